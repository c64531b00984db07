// @vitest-environment jsdom
/**
 * NotesList draws the newest NOTES_PAGE_SIZE entries of any number of notes
 * (issue 21: 10,000 links were drawn at start-up and on every index change),
 * and more on request.
 */
import { act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { NoteSummary } from '../../../src/doc/noteEntry';
import { NOTES_PAGE_SIZE, NotesList } from '../../../src/ui/NotesList';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const summary = (n: number): NoteSummary => ({
  id: `note${n}`,
  title: `Note ${n}`,
  explicitTitle: null,
  derivedTitle: `Note ${n}`,
  secret: '',
  createdAt: 0,
  updatedAt: 0,
  deletedAt: null,
  shared: false,
});

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = '';
});

/** What the App does: reads the first `limit` notes (here: slices them) and adds a page per "Show more". */
function Paged({ all }: { all: NoteSummary[] }) {
  const [limit, setLimit] = useState(NOTES_PAGE_SIZE);
  return (
    <NotesList notes={all.slice(0, limit)} total={all.length} activeId={null} query="" now={0} onShowMore={() => setLimit((n) => n + NOTES_PAGE_SIZE)} />
  );
}

function render(count: number): HTMLElement {
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  const notes = Array.from({ length: count }, (_, n) => summary(n));
  act(() => root!.render(<Paged all={notes} />));
  return container;
}

const links = (container: HTMLElement) => [...container.querySelectorAll('nav a')].map((a) => a.textContent);

describe('NotesList', () => {
  it('draws every note of a short list, with no "Show more"', () => {
    const container = render(NOTES_PAGE_SIZE);
    expect(links(container)).toHaveLength(NOTES_PAGE_SIZE);
    expect(container.querySelector('button')).toBeNull();
  });

  it('draws the first page of 10,000 notes, and one more page per "Show more notes"', () => {
    const container = render(10_000);
    expect(links(container)).toEqual(Array.from({ length: NOTES_PAGE_SIZE }, (_, n) => `Note ${n}`));
    expect(container.textContent).toContain(`Showing ${NOTES_PAGE_SIZE} of 10,000 notes.`);
    const more = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Show more notes')!;
    act(() => more.click());
    expect(links(container)).toHaveLength(2 * NOTES_PAGE_SIZE);
    expect(links(container).at(-1)).toBe(`Note ${2 * NOTES_PAGE_SIZE - 1}`);
  });
});
