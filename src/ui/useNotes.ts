import { useEffect, useState } from 'react';
import type { ListPage, NotesIndex } from '../app/NotesIndex';

/**
 * The first `limit` notes of the list, filtered by `query`, read again
 * whenever a change is stored (this tab or another). Null until the first
 * read; nothing is read before `ready` (the list may still be migrating).
 * Reads never pile up: a change heard during a read makes one more read
 * after it (a restore of 10,000 notes changes the list 10,000 times).
 */
export function useNotes(index: NotesIndex, query: string, limit: number, ready: boolean, onError: (error: unknown) => void): ListPage | null {
  const [page, setPage] = useState<ListPage | null>(null);
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
        if (!disposed) onError(error);
      } finally {
        reading = false;
      }
    };
    void read();
    const stopObserving = index.observe((change) => {
      if (change.stored) void read();
    });
    return () => {
      disposed = true;
      stopObserving();
    };
  }, [index, query, limit, ready, onError]);
  return page;
}
