// @vitest-environment jsdom
/**
 * ActionsMenu is a disclosure (issue 19, narrow screens): its button says
 * whether the actions are shown, opening focuses the first one, Escape and a
 * press elsewhere close it (Escape returning the focus), picking an action
 * closes it unless it keeps open for their reports, and its document
 * listeners go with it. Which of its parts show at which width is CSS (the
 * phone end-to-end test); here the state and the focus.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionsMenu } from '../../../src/ui/ActionsMenu';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

function mount(keepOpenOnPick = false, onHistory = () => {}) {
  const container = document.createElement('div');
  const outside = document.createElement('p');
  document.body.append(container, outside);
  root = createRoot(container);
  act(() =>
    root?.render(
      <ActionsMenu label="Note actions" keepOpenOnPick={keepOpenOnPick}>
        <button type="button" onClick={onHistory}>
          History
        </button>
        <button type="button">Export HTML</button>
      </ActionsMenu>,
    ),
  );
  const toggle = container.querySelector<HTMLButtonElement>('button[aria-label="Note actions"]');
  const items = container.querySelector<HTMLElement>('.actions-menu__items');
  const action = (name: string) => [...container.querySelectorAll('button')].find((b) => b.textContent === name);
  if (!toggle || !items) throw new Error('ActionsMenu did not render its button and items');
  return { toggle, items, action, outside };
}

function press(key: string): void {
  act(() => {
    document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  });
}
function pointerDown(target: Element): void {
  act(() => {
    target.dispatchEvent(new Event('pointerdown', { bubbles: true }));
  });
}

describe('ActionsMenu', () => {
  it('is a disclosure: the button controls the actions and says whether they are shown; opening focuses the first action', () => {
    const { toggle, items, action } = mount();
    expect(toggle.getAttribute('aria-controls')).toBe(items.id);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    act(() => toggle.click());
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(items.dataset.open).toBe('true');
    expect(document.activeElement).toBe(action('History'));
    act(() => toggle.click());
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
  });

  it('Escape closes it and gives the focus back to its button', () => {
    const { toggle } = mount();
    act(() => toggle.click());
    press('Escape');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(toggle);
  });

  it('a press elsewhere closes it; a press inside does not', () => {
    const { toggle, action, outside } = mount();
    act(() => toggle.click());
    pointerDown(action('Export HTML') as Element);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    pointerDown(outside);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
  });

  it('picking an action runs it, closes the menu and puts the focus on its button', () => {
    const onHistory = vi.fn();
    const { toggle, action } = mount(false, onHistory);
    act(() => toggle.click());
    act(() => action('History')?.click());
    expect(onHistory).toHaveBeenCalledTimes(1);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(toggle);
  });

  it('with keepOpenOnPick, picking an action leaves it open', () => {
    const { toggle, action } = mount(true);
    act(() => toggle.click());
    act(() => action('History')?.click());
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
  });

  it('listens to the document only while open, and not after unmounting', () => {
    const add = vi.spyOn(document, 'addEventListener');
    const remove = vi.spyOn(document, 'removeEventListener');
    const { toggle } = mount();
    const ours = (spy: typeof add) => spy.mock.calls.filter(([type]) => type === 'keydown' || type === 'pointerdown').length;
    expect(ours(add)).toBe(0);
    act(() => toggle.click());
    expect(ours(add)).toBe(2);
    act(() => root?.unmount());
    root = null;
    expect(ours(remove)).toBe(2);
  });
});
