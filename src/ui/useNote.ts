import { useEffect, useState } from 'react';
import type { NotesIndex } from '../app/NotesIndex';
import type { NoteSummary } from '../doc/noteEntry';

/** A note's list entry: being read, there, or not on this device. */
export type NoteLookup = { status: 'loading' } | { status: 'found'; note: NoteSummary } | { status: 'missing' };

const LOADING: NoteLookup = { status: 'loading' };
const lookupOf = (note: NoteSummary | undefined): NoteLookup => (note ? { status: 'found', note } : { status: 'missing' });

/**
 * One note's entry, read by id (never the whole list), then kept current:
 * this tab's changes show at once (before they are stored: the title field
 * is typed into), other tabs' once they are.
 */
export function useNote(index: NotesIndex, noteId: string | null, ready: boolean): NoteLookup {
  const [lookup, setLookup] = useState<{ id: string; lookup: NoteLookup } | null>(null);
  useEffect(() => {
    if (!ready || noteId === null) return;
    let disposed = false;
    let read = false;
    const show = (note: NoteSummary | undefined) => {
      if (!disposed) setLookup({ id: noteId, lookup: lookupOf(note) });
    };
    // Until the first read lands, a change may only be in another tab: read it then.
    const stopObserving = index.observe((change) => {
      if (read && change.ids.includes(noteId)) show(index.peek(noteId));
    });
    index.get(noteId).then(
      (note) => {
        read = true;
        show(note);
      },
      () => show(undefined),
    );
    return () => {
      disposed = true;
      stopObserving();
    };
  }, [index, noteId, ready]);
  if (noteId === null || lookup?.id !== noteId) return LOADING;
  return lookup.lookup;
}
