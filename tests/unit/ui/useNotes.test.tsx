// @vitest-environment jsdom
/**
 * useNotes (src/ui/useNotes.ts): reads the list's first page once ready, reads it again after
 * stored changes, thins out a burst of them (a restore stores one entry per note), and follows
 * the query. Over the in-memory store, counting the store's page reads.
 */
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotesIndex, type ListPage } from '../../../src/app/NotesIndex';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import type { PageOptions } from '../../../src/storage/NotesIndexStore';
import { LIST_REFRESH_MS, useNotes } from '../../../src/ui/useNotes';
import { waitFor } from '../waitFor';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

let root: Root | null = null;
afterEach(() => {
  root?.unmount();
  root = null;
});

/** A store that counts its page reads. */
class CountingStore extends MemoryNotesIndexStore {
  pages = 0;
  override page(options: PageOptions) {
    this.pages++;
    return super.page(options);
  }
}

function mount(index: NotesIndex, props: { query: string; limit: number; ready: boolean }) {
  const seen: { page: ListPage | null; errors: unknown[]; renders: number } = { page: null, errors: [], renders: 0 };
  function Probe(p: { query: string; limit: number; ready: boolean }) {
    seen.renders++;
    seen.page = useNotes(index, p.query, p.limit, p.ready, (error) => seen.errors.push(error));
    return null;
  }
  const container = document.createElement('div');
  root = createRoot(container);
  const render = (next: typeof props) => root!.render(<Probe {...next} />);
  render(props);
  return { seen, render };
}

const titles = (page: ListPage | null) => page?.notes.map((n) => n.title) ?? null;

describe('useNotes', () => {
  it('reads nothing before ready, then the first page; follows stored changes and the query', async () => {
    const store = new CountingStore();
    let time = 1_000;
    const index = new NotesIndex({ store, now: () => ++time });
    const a = await index.create({ title: 'Alpha' });
    await index.create({ title: 'Beta' });
    const { seen, render } = mount(index, { query: '', limit: 1, ready: false });
    await waitFor('the first render', () => seen.renders > 0);
    expect(store.pages).toBe(0);
    expect(seen.page).toBeNull();
    render({ query: '', limit: 1, ready: true });
    await waitFor('the first page', () => titles(seen.page)?.[0] === 'Beta');
    expect(seen.page?.total).toBe(2);
    await index.rename(a, 'Alpha renamed');
    await index.updateFromContent(a, { firstLine: 'x', text: 'x' });
    await waitFor('the renamed note on top', () => titles(seen.page)?.[0] === 'Alpha renamed');
    render({ query: 'beta', limit: 1, ready: true });
    await waitFor('the search results', () => titles(seen.page)?.join() === 'Beta' && seen.page?.total === 1);
    expect(seen.errors).toEqual([]);
  });

  it('a burst of 200 stored changes is read twice: at its first change, and once LIST_REFRESH_MS later', async () => {
    const store = new CountingStore();
    let time = 1_000;
    const index = new NotesIndex({ store, now: () => ++time });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push(await index.create({ title: `Note ${n}` }));
    const { seen } = mount(index, { query: '', limit: 100, ready: true });
    await waitFor('the first page', () => seen.page?.total === 5);
    // The throttle's clock only (React's scheduler keeps its own): the burst takes no time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const before = store.pages;
      for (let n = 0; n < 200; n++) await index.rename(ids[n % 5]!, `Rename ${n}`);
      expect(store.pages - before).toBe(1);
      vi.advanceTimersByTime(LIST_REFRESH_MS);
      await waitFor('the last rename', () => titles(seen.page)?.includes('Rename 199') === true);
      expect(store.pages - before).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
