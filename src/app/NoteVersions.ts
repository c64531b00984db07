/**
 * The version history of one open note, wired to its storage: a
 * {@link VersionRecorder} that starts once the note has loaded, knows which
 * changes are this device's own, and reports failures to save.
 */
import type * as Y from 'yjs';
import { isTransportOrigin } from '../doc/origins';
import type { VersionAuthor, VersionStore } from '../storage/VersionStore';
import { VersionRecorder } from './versionRecorder';

export interface NoteVersionsOptions {
  versions: VersionStore;
  noteId: string;
  doc: Y.Doc;
  now: () => number;
  intervalMs: number;
  /** Resolves (or rejects: recording starts all the same) once storage has loaded into the doc. */
  loaded: Promise<void>;
  /** `message` is for the user. */
  onError: (message: string) => void;
  /** The verified device behind a Yjs client id (see VersionRecorderOptions.authorOf). */
  authorOf?: (clientId: number) => VersionAuthor | null;
}

export class NoteVersions {
  readonly recorder: VersionRecorder;
  private disposed = false;

  constructor(private readonly options: NoteVersionsOptions) {
    const { versions, noteId, doc, now, intervalMs, onError, authorOf } = options;
    this.recorder = new VersionRecorder({
      versions,
      noteId,
      doc,
      now,
      intervalMs,
      // Every transport applies with a named origin (src/doc/origins.ts).
      isFromElsewhere: isTransportOrigin,
      onError: (error) => onError(`Version history could not be saved: ${error instanceof Error ? error.message : String(error)}`),
      ...(authorOf ? { authorOf } : {}),
    });
  }

  /** Starts recording once the note has loaded (the first version is the note as opened). */
  start(): void {
    void this.options.loaded.catch(() => undefined).then(() => {
      if (!this.disposed) this.recorder.start();
    });
  }

  /** Resolves once the version saves under way (the on-open one included) have finished. */
  async flush(): Promise<void> {
    await this.options.loaded.catch(() => undefined);
    await Promise.resolve(); // the on-open record is queued in the task that saw the load
    await this.recorder.flush();
  }

  /** Stops recording; saves already started still finish. */
  dispose(): void {
    this.disposed = true;
    this.recorder.dispose();
  }
}
