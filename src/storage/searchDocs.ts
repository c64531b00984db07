/**
 * Search documents as both NotesIndexStore adapters keep them (see
 * `SearchDoc`): read defensively, and worked out anew after each entry write.
 */
import type { IndexRecord } from '../doc/noteEntry';
import type { SearchDoc } from './NotesIndexStore';

/** A stored search document, or null when the value is not one (a text stored before change numbers). */
export function toSearchDoc(value: unknown): SearchDoc | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq)) return null;
  return {
    id: v.id,
    text: typeof v.text === 'string' ? v.text : '',
    title: typeof v.title === 'string' ? v.title : '',
    listed: v.listed === true,
    removed: v.removed === true,
    seq: v.seq,
  };
}

/**
 * The note's search document after a write: `previous` itself when nothing
 * search sees changed (nothing is written), else a new one numbered by
 * `nextSeq`. `entry` is the entry after the write (undefined: deleted or
 * absent); `text` the write's text (undefined: the stored one, `storedText`,
 * stays). A deleted entry leaves a `removed` document without text.
 */
export function nextSearchDoc(
  id: string,
  previous: SearchDoc | undefined,
  storedText: string,
  before: IndexRecord | undefined,
  entry: IndexRecord | undefined,
  text: string | undefined,
  nextSeq: () => number,
): SearchDoc | undefined {
  if (!entry) {
    if (before === undefined && (previous === undefined || previous.removed)) return previous;
    return { id, text: '', title: '', listed: false, removed: true, seq: nextSeq() };
  }
  const next = { text: text ?? previous?.text ?? storedText, title: entry.explicitTitle ?? '', listed: entry.deletedAt === null };
  if (previous && !previous.removed && previous.text === next.text && previous.title === next.title && previous.listed === next.listed) return previous;
  return { id, ...next, removed: false, seq: nextSeq() };
}
