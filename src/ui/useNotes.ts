import { useMemo, useRef, useSyncExternalStore } from 'react';
import type { NotesIndex, NoteSummary } from '../doc/notesIndex';

/** The notes list, filtered by `query`, re-rendering whenever the index changes (any tab, any origin). */
export function useNotes(index: NotesIndex, query: string): NoteSummary[] {
  const version = useRef(0);
  const current = useSyncExternalStore(
    (onChange) =>
      index.observe(() => {
        version.current++;
        onChange();
      }),
    () => version.current,
  );
  return useMemo(() => {
    void current; // recompute whenever the index changed
    return index.list({ query });
  }, [index, query, current]);
}
