/**
 * While the editor cannot draw a note, its plain text is shown read-only in
 * the editor's place (NoteSession.displayError). This keeps that text in
 * step with the doc as peers keep editing, debounced like the notes list.
 */
import type * as Y from 'yjs';
import { noteText } from '../doc/noteText';
import { INDEX_REFRESH_MS } from './IndexRefresher';

export interface FallbackTextFeedOptions {
  doc: Y.Doc;
  /** Whether the read-only text is on screen now (checked on every update and again before publishing). */
  showing: () => boolean;
  /** Shows this text instead of the previous one. */
  publish: (text: string) => void;
  /** Debounce; default INDEX_REFRESH_MS. */
  delayMs?: number;
}

export class FallbackTextFeed {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly disposers: Array<() => void> = [];

  constructor(private readonly options: FallbackTextFeedOptions) {}

  start(): void {
    if (this.disposers.length > 0) return;
    const { doc, showing, publish, delayMs = INDEX_REFRESH_MS } = this.options;
    const onUpdate = () => {
      if (this.timer !== null || !showing()) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (showing()) publish(noteText(doc));
      }, delayMs);
    };
    doc.on('update', onUpdate);
    this.disposers.push(() => doc.off('update', onUpdate));
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
