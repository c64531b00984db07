/**
 * Records versions of one open note, following src/doc/versionPolicy.ts:
 * on open (if changed), every interval while edited (if changed), on demand
 * (before a restore), and just before changes from elsewhere remove a large
 * share of the note's own text (src/doc/removalGuard.ts). Saves run one at a
 * time, each followed by pruning.
 *
 * Each version says whether it holds anything of this device's
 * (`fromElsewhere`): the recorder counts local changes (every origin that is
 * not from elsewhere; what storage loaded at open counts as local) and marks a
 * version as from elsewhere when no local change happened since the newest own
 * version. Retention protects the own ones from churn.
 */
import * as Y from 'yjs';
import { noteText } from '../doc/noteText';
import { SEED_CLIENT_ID } from '../doc/seed';
import { watchLargeRemovals, type RemovalWatch } from '../doc/removalGuard';
import { shouldRecord, versionPreview, versionsToPrune } from '../doc/versionPolicy';
import { MAX_VERSION_AUTHORS, type VersionAuthor, type VersionMeta, type VersionReason, type VersionStore } from '../storage/VersionStore';

/**
 * The Yjs client ids that wrote something between two snapshots: those whose
 * clock advanced (all of them, but the seed's, which is nobody's, when there
 * is no earlier one).
 * Deletions advance no clock (Yjs records what was deleted, not by whom), so a
 * version that only deletes names nobody new.
 */
export const clientsBetween = (before: Y.Snapshot | null, after: Y.Snapshot): number[] => {
  const clients: number[] = [];
  for (const [client, clock] of after.sv) {
    if (client !== SEED_CLIENT_ID && clock > (before?.sv.get(client) ?? 0)) clients.push(client);
  }
  return clients.sort((a, b) => a - b);
};

export interface VersionRecorderOptions {
  versions: VersionStore;
  noteId: string;
  /** The note's live doc. */
  doc: Y.Doc;
  now: () => number;
  /** How often to check for changes while the note is open. */
  intervalMs: number;
  /** Transaction origins that come from elsewhere (peers, other tabs), for the large-removal guard. */
  isFromElsewhere: (origin: unknown) => boolean;
  /** Called when saving or pruning fails (the note itself is unaffected). */
  onError: (error: unknown) => void;
  /**
   * The verified device behind a Yjs client id (PresenceIdentities.deviceOf),
   * or null when none is known: a version records the devices of the clients
   * that wrote in it. Absent: versions name nobody.
   */
  authorOf?: (clientId: number) => VersionAuthor | null;
}

export class VersionRecorder {
  private last: Y.Snapshot | null = null;
  private hasVersions = false;
  private dirty = false;
  private started = false;
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly disposers: Array<() => void> = [];
  private guard: RemovalWatch | null = null;
  /** Local changes seen so far; 1 at start: what storage loaded is the user's until a version says otherwise. */
  private localChanges = 0;
  /** `localChanges` as of the newest own version (one holding this device's edits). */
  private ownThrough = 0;
  /** `localChanges` when the guard's open churn started (its state is from then). */
  private localAtChurn = 0;

  constructor(private readonly options: VersionRecorderOptions) {}

  /**
   * Starts recording (call once the note has loaded): records an `open`
   * version if the note changed since its newest one, then watches.
   * Idempotent; stops on {@link dispose}.
   */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    const { doc, versions, noteId, isFromElsewhere } = this.options;
    this.localChanges = 1;
    const onUpdate = (_update: Uint8Array, origin: unknown) => {
      this.dirty = true;
      if (!isFromElsewhere(origin)) this.localChanges++;
    };
    doc.on('update', onUpdate);
    this.disposers.push(() => doc.off('update', onUpdate));
    const timer = setInterval(() => {
      if (!this.dirty) return;
      this.dirty = false;
      void this.recordIfChanged('periodic').catch(() => undefined);
    }, this.options.intervalMs);
    this.disposers.push(() => clearInterval(timer));
    const guard = watchLargeRemovals(doc, {
      watch: isFromElsewhere,
      onChurnStart: () => {
        this.localAtChurn = this.localChanges;
      },
      onLargeRemoval: ({ before }) =>
        void this.recordState('before-remote-removal', before, this.localAtChurn).catch(() => undefined),
    });
    this.guard = guard;
    this.disposers.push(() => {
      guard.dispose();
      this.guard = null;
    });
    this.enqueue(async () => {
      const newest = (await versions.list(noteId))[0];
      if (newest) {
        this.hasVersions = true;
        this.last = Y.decodeSnapshot(newest.snapshot);
      }
    }).catch(() => undefined);
    void this.recordIfChanged('open').catch(() => undefined);
  }

  /**
   * Records the doc as it is now, unless it equals the newest version (or is
   * an empty note with no versions yet). Resolves with the new version, or
   * null when nothing was recorded. Rejects when storing failed.
   */
  recordIfChanged(reason: VersionReason): Promise<VersionMeta | null> {
    return this.enqueue(async () => {
      if (this.disposed) return null;
      const { doc } = this.options;
      const snapshot = Y.snapshot(doc);
      const local = this.localChanges;
      const changed = this.last === null || !Y.equalSnapshots(this.last, snapshot);
      // Unchanged notes are never recorded: skip walking the whole text for them.
      // (Unchanged, the newest version already holds all there is.)
      if (!changed) {
        this.ownThrough = Math.max(this.ownThrough, local);
        return null;
      }
      const text = noteText(doc);
      if (!shouldRecord({ changed, hasVersions: this.hasVersions, text })) return null;
      const authors = this.authorsBetween(this.last, snapshot);
      const meta = await this.save(reason, Y.encodeStateAsUpdate(doc), Y.encodeSnapshot(snapshot), text, local, authors);
      this.last = snapshot;
      // What this version holds is no longer at risk: removals count from here.
      this.guard?.checkpoint();
      return meta;
    });
  }

  /** Resolves once every save started so far has finished. */
  async flush(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** Stops watching; saves already started still finish. */
  dispose(): void {
    this.disposed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  /**
   * Records a state that is not the doc's current one (the doc before a
   * removal), taken when `localChanges` was `local`.
   */
  private recordState(reason: VersionReason, state: Uint8Array, local: number): Promise<VersionMeta> {
    return this.enqueue(async () => {
      const before = new Y.Doc();
      try {
        Y.applyUpdate(before, state);
        const snapshot = Y.snapshot(before);
        return await this.save(reason, state, Y.encodeSnapshot(snapshot), noteText(before), local, this.authorsBetween(this.last, snapshot));
      } finally {
        before.destroy();
      }
    });
  }

  /** Saves a state taken when `localChanges` was `local`, then prunes. */
  private async save(
    reason: VersionReason,
    state: Uint8Array,
    snapshot: Uint8Array,
    text: string,
    local: number,
    authors: readonly VersionAuthor[],
  ): Promise<VersionMeta> {
    const { versions, noteId, now } = this.options;
    const at = now();
    const fromElsewhere = local <= this.ownThrough;
    const meta = await versions.save({ noteId, at, state, snapshot, preview: versionPreview(text), reason, fromElsewhere, authors });
    this.hasVersions = true;
    if (!fromElsewhere) this.ownThrough = Math.max(this.ownThrough, local);
    await versions.prune(noteId, (list) => versionsToPrune(list, at));
    return meta;
  }

  /** The known devices of the clients that wrote between two snapshots, one entry per device key. */
  private authorsBetween(before: Y.Snapshot | null, after: Y.Snapshot): VersionAuthor[] {
    const { authorOf } = this.options;
    if (!authorOf) return [];
    const byKey = new Map<string, VersionAuthor>();
    for (const client of clientsBetween(before, after)) {
      const author = authorOf(client);
      if (author !== null) byKey.set(author.key, author);
    }
    return [...byKey.values()].slice(0, MAX_VERSION_AUTHORS);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch((error: unknown) => this.options.onError(error));
    return run;
  }
}
