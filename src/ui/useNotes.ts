import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import type { NotesIndex, NoteSummary } from '../doc/notesIndex';

/** The notes list, filtered by `query`, re-rendering whenever the index changes (any tab, any origin). */
export function useNotes(index: NotesIndex, query: string): NoteSummary[] {
  const version = useRef(0);
  // A stable subscribe: React re-subscribes (here: re-observes the index doc) whenever it changes.
  const subscribe = useCallback(
    (onChange: () => void) =>
      index.observe(() => {
        version.current++;
        onChange();
      }),
    [index],
  );
  const current = useSyncExternalStore(subscribe, () => version.current);
  return useMemo(() => {
    void current; // recompute whenever the index changed
    return index.list({ query });
  }, [index, query, current]);
}
