import { useEffect, useRef, useState } from 'react';
import type { ListPage, NotesIndex } from '../app/NotesIndex';

/**
 * At most one read of the list per this long while changes keep coming (a
 * restore of 10,000 notes stores 10,000 entries, one at a time): the first
 * change is read at once, the rest of a burst once it is over or this much
 * later.
 */
export const LIST_REFRESH_MS = 250;

/**
 * The first `limit` notes of the list, filtered by `query`, read again
 * whenever a change is stored (this tab or another). Null until the first
 * read; nothing is read before `ready` (the list may still be migrating).
 * Reads never pile up: a change heard during a read makes one more read
 * after it, and bursts are thinned out (see {@link LIST_REFRESH_MS}).
 */
export function useNotes(index: NotesIndex, query: string, limit: number, ready: boolean, onError: (error: unknown) => void): ListPage | null {
  const [page, setPage] = useState<ListPage | null>(null);
  // The latest callback, without re-reading the list whenever the caller passes a new one.
  const onErrorRef = useRef(onError);
  useEffect(() => {
    onErrorRef.current = onError;
  });
  useEffect(() => {
    if (!ready) return;
    let disposed = false;
    let reading = false;
    let again = false;
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const next = await index.list({ query, limit });
          if (!disposed && !again) setPage(next);
        } while (again && !disposed);
      } catch (error) {
        if (!disposed) onErrorRef.current(error);
      } finally {
        reading = false;
      }
    };
    void read();
    let lastRead = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stopObserving = index.observe((change) => {
      if (!change.stored || timer !== null) return;
      const wait = lastRead + LIST_REFRESH_MS - Date.now();
      const run = () => {
        timer = null;
        lastRead = Date.now();
        void read();
      };
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    });
    return () => {
      disposed = true;
      if (timer !== null) clearTimeout(timer);
      stopObserving();
    };
  }, [index, query, limit, ready]);
  return page;
}
