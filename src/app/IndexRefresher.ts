/**
 * Keeps a note's entry in the notes list (derived title, search text, last
 * edit) in step with its Y.Doc. Read from the doc, not the editor: the list
 * must be right even when the editor could not draw the note.
 */
import type * as Y from 'yjs';
import { noteLeadingText } from '../doc/noteText';
import { MAX_INDEXED_TEXT_CHARS } from '../doc/noteEntry';
import type { NotesIndex } from './NotesIndex';

/** How long typing may go on before the notes list (title, search text, order) is refreshed. */
export const INDEX_REFRESH_MS = 400;

export interface IndexRefresherOptions {
  index: NotesIndex;
  noteId: string;
  doc: Y.Doc;
  now: () => number;
  /**
   * Called before each read: lets the editor commit keystrokes it has not
   * written to the doc yet, so the list shows what is on screen.
   */
  settle?: () => void;
  /** Debounce of the refresh after an update; default {@link INDEX_REFRESH_MS}. */
  delayMs?: number;
}

export class IndexRefresher {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly disposers: Array<() => void> = [];
  private started = false;
  private disposed = false;

  constructor(private readonly options: IndexRefresherOptions) {}

  /**
   * Refreshes the entry after every burst of updates from now on. Call once
   * the note has loaded: only edits after that are edits (opening a note must
   * not move it to the top of the list). Also writes a pending refresh when
   * the page is hidden or unloaded, since a reload or a closed tab never
   * runs {@link dispose}.
   */
  start(): void {
    if (this.disposed || this.started) return;
    this.started = true;
    const { doc, delayMs = INDEX_REFRESH_MS } = this.options;
    const onUpdate = () => {
      if (this.timer === null) this.timer = setTimeout(() => this.refresh(), delayMs);
    };
    doc.on('update', onUpdate);
    this.disposers.push(() => doc.off('update', onUpdate));
    if (typeof window !== 'undefined') {
      const onPageHide = (event: Event) => {
        // `visibilitychange` only when hidden: a tab switch may be the last chance (mobile).
        if (event.type === 'visibilitychange' && document.visibilityState !== 'hidden') return;
        this.flush();
      };
      // Capture phase: it must run before the storage adapter's own `pagehide`
      // listener, which journals the writes still in flight — including this one.
      window.addEventListener('pagehide', onPageHide, { capture: true });
      document.addEventListener('visibilitychange', onPageHide);
      this.disposers.push(() => {
        window.removeEventListener('pagehide', onPageHide, { capture: true });
        document.removeEventListener('visibilitychange', onPageHide);
      });
    }
  }

  /**
   * Writes title and text now. `at` is the edit time; 0 refreshes title and
   * text without touching the last-edit time (the list catching up with
   * content stored by a page that died before its refresh was written).
   */
  refresh(at: number = this.options.now()): void {
    if (this.disposed) return;
    const { index, noteId, doc, settle } = this.options;
    // Before cancelling: what it commits schedules a refresh that this one makes redundant.
    settle?.();
    this.cancel();
    const { firstLine, text } = noteLeadingText(doc, MAX_INDEXED_TEXT_CHARS);
    // Stored in the background; a failure is reported by the index (onError).
    void index.updateFromContent(noteId, { firstLine, text, at });
  }

  /** Writes a pending refresh now (flush, page hide, unmount); nothing when none is pending. */
  flush(): void {
    // Edits the editor holds but the doc does not yet (written after the next
    // frame) arm the timer as they land: a closing page must not wait for that frame.
    this.options.settle?.();
    if (this.timer !== null) this.refresh();
  }

  /** Stops refreshing; a pending refresh is dropped (flush first to keep it). */
  dispose(): void {
    this.cancel();
    this.disposed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  private cancel(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}
