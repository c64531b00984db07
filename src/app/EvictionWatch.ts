/**
 * Notices a note whose storage the browser cleared while the app was closed:
 * the doc loads with nothing but the seed although the notes list remembers
 * text. The user is told (never a silent empty note), and told again when a
 * peer that is online sends the note back.
 */
import type * as Y from 'yjs';
import type { NotesIndex } from './NotesIndex';
import { NOTE_RESTORED_FROM_PEER_MESSAGE, NOTE_STORAGE_CLEARED_MESSAGE } from './messages';

/** Alert key of a note's eviction alerts: the "restored" one replaces the "cleared" one. */
export const evictedAlertKey = (noteId: string) => `evicted:${noteId}`;

export interface EvictionWatchOptions {
  index: NotesIndex;
  noteId: string;
  doc: Y.Doc;
  alert: (key: string, message: string) => void;
}

export class EvictionWatch {
  private readonly disposers: Array<() => void> = [];
  private started = false;
  private disposed = false;

  constructor(private readonly options: EvictionWatchOptions) {}

  /**
   * Call once storage has loaded a doc holding only the seed. When the list
   * remembers text for the note, its storage was cleared: alerts, then
   * watches for the first update from elsewhere. Resolves whether it did
   * (the list is read from storage first; a list that cannot be read says nothing).
   */
  async start(): Promise<boolean> {
    if (this.started) return false;
    this.started = true;
    const { index, noteId, doc, alert } = this.options;
    const [text, entry] = await Promise.all([index.text(noteId), index.get(noteId)]).catch(() => ['', undefined] as const);
    if (this.disposed || (text.trim() === '' && !entry?.derivedTitle)) return false;
    alert(evictedAlertKey(noteId), NOTE_STORAGE_CLEARED_MESSAGE);
    const onRestored = (_update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      if (tr.local) return;
      this.dispose();
      alert(evictedAlertKey(noteId), NOTE_RESTORED_FROM_PEER_MESSAGE);
    };
    doc.on('update', onRestored);
    this.disposers.push(() => doc.off('update', onRestored));
    return true;
  }

  /** Stops watching. */
  dispose(): void {
    this.disposed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
