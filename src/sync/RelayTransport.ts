/**
 * One note's link to the store-and-forward relay: the note reaches devices that are never
 * online at the same time as this one. A {@link Transport} with origin `ORIGIN_RELAY`
 * (it has no peers of its own: the peer network next to it has those).
 *
 * - Out: this device's own changes are batched, encrypted (relayCrypto.ts) and pushed;
 *   what the relay lacks when the note opens (changes made while offline, or received
 *   from peers that never reached the relay) is pushed as one diff against what the
 *   relay is known to hold. Nothing waits only in memory: the note itself is in
 *   IndexedDB, and the persisted {@link RelayCursor} says how many changes wait and what
 *   the relay holds, so the next start pushes them.
 * - In: on open, on a timer and when the browser comes back online, everything after the
 *   cursor is pulled, decrypted, checked (the same schema firewall as peer updates) and
 *   applied. A blob that does not decrypt (garbage, another room's, tampered), one served
 *   again (its writer's counter not newer) or one the firewall refuses is ignored and the
 *   status says so; peers are unaffected.
 * - Compaction: the relay cannot merge what it cannot read, so past `compactAfter`
 *   blobs an editor uploads one snapshot of the whole note that replaces them.
 */
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { ORIGIN_RELAY, isTransportOrigin } from '../doc/origins';
import { toBase64Url } from '../doc/noteId';
import { ChangeListeners } from './ChangeListeners';
import { RelayError, type RelayClient, type RelayPage } from './relayClient';
import * as encoding from 'lib0/encoding';
import { openBlob, sealBlob, WRITER_BYTES, type BlobKind } from './relayCrypto';
import { deriveNoteKeys, type NoteKeys } from './noteKeys';
import { MESSAGE_SYNC, SYNC_STEP_2, decodePeerMessage, peerMessage } from './peerMessage';
import type { ApplyHooks, SyncRoom, SyncStatus, Transport } from './Transport';
import { MAX_UPDATE_BYTES, checkNoteUpdate } from './updateFirewall';

/** Local changes are gathered this long before one encrypted push. */
export const RELAY_BATCH_MS = 250;
/** The relay is asked for news this often while the note is open. */
export const RELAY_POLL_MS = 20_000;
/** First retry after a failed push or pull; doubles up to {@link RELAY_MAX_RETRY_MS}. */
export const RELAY_RETRY_MS = 2_000;
export const RELAY_MAX_RETRY_MS = 60_000;
/** Most writers whose last counter is remembered per note (oldest forgotten first). */
export const MAX_SEEN_WRITERS = 256;
/** Most pages one pull reads (a bound on a relay that always says "more"). */
export const MAX_PAGES_PER_PULL = 64;

/** What the relay holds of this note and what waits, persisted per room. */
export interface RelayCursor {
  /** Every blob up to this sequence number was read. */
  cursor: number;
  /** Per Yjs client, the clock up to which the relay is known to hold its changes. */
  held: Record<string, number>;
  /** Own changes not yet acknowledged by the relay. */
  pending: number;
  /** Per writer id, the newest counter read (replayed blobs are refused). */
  seen: Record<string, number>;
}

/** Persistence of {@link RelayCursor}s (localStorage in the app, memory in tests). */
export interface RelayCursorStore {
  load(roomId: string): RelayCursor | null;
  save(roomId: string, cursor: RelayCursor): void;
  remove(roomId: string): void;
}

/** What the status line says about the relay. */
export interface RelayStatus {
  /**
   * `off`: the note is not shared (the relay holds nothing of it); `syncing`: talking to
   * the relay; `saved`: the relay holds every change of this device; `waiting`: changes
   * wait for the relay (offline, unreachable); `refused`: the relay refuses them (a quota).
   */
  readonly state: 'off' | 'syncing' | 'saved' | 'waiting' | 'refused';
  /** Own changes not yet on the relay. */
  readonly pending: number;
  /** Why changes wait or are refused, for the user; null when all is well. */
  readonly message: string | null;
  /** Blobs from the relay that were refused (tampering or a broken relay), for the user; null if none. */
  readonly problem: string | null;
  /** A blob written by someone else decrypted: proof that the link's secret is right. */
  readonly verified: boolean;
}

/** The relay side of a transport, for the share dialog and the status line. */
export interface RelayHandle {
  readonly relayStatus: RelayStatus;
  /** Starts keeping the note on the relay (the user shared it). */
  share(): void;
  /** Deletes the note from the relay and stops keeping it there ("Stop sharing"). */
  unshare(): Promise<void>;
}

export interface RelayTransportOptions {
  doc: Y.Doc;
  awareness: Awareness;
  room: SyncRoom;
  client: RelayClient;
  cursors: RelayCursorStore;
  /** Whether the note is shared now (only shared notes go to the relay). */
  shared: () => boolean;
  /** Marks the note shared or not (remembered by the caller). */
  setShared: (shared: boolean) => void;
  hooks?: ApplyHooks;
  /** Check updates with the note schema firewall (default true; off for non-note docs in tests). */
  firewall?: boolean;
  batchMs?: number;
  pollMs?: number;
  retryMs?: number;
  /** Subscribes to "the network is back" (the browser's `online` event); returns the disposer. */
  onOnline?: (listener: () => void) => () => void;
}

const emptyCursor = (): RelayCursor => ({ cursor: 0, held: {}, pending: 0, seen: {} });

const svBytes = (held: Record<string, number>): Uint8Array => {
  // A state vector in Yjs's encoding, via a doc-free route: an update holding nothing
  // has the empty vector; Y.encodeStateVector needs a doc, so build the map's encoding.
  const entries = Object.entries(held).filter(([, clock]) => clock > 0);
  const out: number[] = [];
  const varUint = (n: number) => {
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  varUint(entries.length);
  for (const [client, clock] of entries) {
    varUint(Number(client));
    varUint(clock);
  }
  return new Uint8Array(out);
};

/** Advances `held` by an update the relay now holds, where it extends what is held without a gap. */
const extendHeld = (held: Record<string, number>, update: Uint8Array): void => {
  const { from, to } = Y.parseUpdateMeta(update);
  for (const [client, end] of to) {
    const start = from.get(client) ?? 0;
    const have = held[client] ?? 0;
    if (start <= have && end > have) held[client] = end;
  }
};

export class RelayTransport implements Transport, RelayHandle {
  readonly awareness: Awareness;
  private readonly listeners = new ChangeListeners();
  private readonly writer = crypto.getRandomValues(new Uint8Array(WRITER_BYTES));
  private readonly writerId = toBase64Url(this.writer);
  private counter = 0;
  private keys: NoteKeys | null = null;
  private state: RelayCursor = emptyCursor();
  private queue: Uint8Array[] = [];
  private queued = 0;
  private started = false;
  private destroyed = false;
  private running = false;
  private again = false;
  private fullPush = false;
  private needPull = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private poller: ReturnType<typeof setInterval> | null = null;
  private retryDelay: number;
  private reachable = false;
  private rejected = 0;
  private current: RelayStatus = { state: 'off', pending: 0, message: null, problem: null, verified: false };
  private disposeOnline: (() => void) | null = null;

  constructor(private readonly options: RelayTransportOptions) {
    this.awareness = options.awareness;
    this.retryDelay = options.retryMs ?? RELAY_RETRY_MS;
    options.doc.on('update', this.onUpdate);
    this.disposeOnline = options.onOnline?.(() => this.pullNow()) ?? null;
    if (options.shared()) this.start();
  }

  get status(): SyncStatus {
    return this.reachable ? 'connected' : this.started ? 'connecting' : 'offline';
  }

  /** The relay is not a peer: the peer network next to it counts those. */
  get peerCount(): number {
    return 0;
  }

  get relay(): RelayHandle {
    return this;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  share(): void {
    this.options.setShared(true);
    this.start();
  }

  async unshare(): Promise<void> {
    this.options.setShared(false);
    this.stop();
    const keys = this.keys ?? (await this.deriveKeys());
    if (!keys.canWrite) throw new Error('this device has a view-only link: only editors can delete the note from the relay');
    await this.options.client.deleteRoom(keys.relay);
    this.options.cursors.remove(keys.relay.roomId);
    this.state = emptyCursor();
    this.update({ state: 'off', pending: 0, message: null });
  }

  /** Pulls now (the network came back; tests). */
  pullNow(): void {
    if (!this.started) return;
    this.needPull = true;
    this.kick(0);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stop();
    this.options.doc.off('update', this.onUpdate);
    this.disposeOnline?.();
    this.listeners.clear();
  }

  private start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    this.update({ state: 'syncing' });
    this.poller = setInterval(() => this.pullNow(), this.options.pollMs ?? RELAY_POLL_MS);
    this.deriveKeys().then(
      (keys) => {
        if (!this.started) return;
        this.keys = keys;
        // View-only: it reads the relay and never writes (it cannot sign).
        if (!keys.canWrite) this.dropQueue();
        this.state = this.options.cursors.load(keys.relay.roomId) ?? emptyCursor();
        this.state.pending += this.queued;
        this.save();
        this.fullPush = true;
        this.kick(0);
      },
      () => this.update({ state: 'refused', message: 'This browser cannot make the keys the relay needs (no Ed25519 in WebCrypto).' }),
    );
  }

  /** The note's keys: the ones derived for the room (shared with the peers' transport) or our own. */
  private deriveKeys(): Promise<NoteKeys> {
    return this.options.room.keys ?? deriveNoteKeys(this.options.room.noteId, this.options.room.secret);
  }

  private dropQueue(): void {
    this.queue = [];
    this.queued = 0;
  }

  private stop(): void {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.poller !== null) clearInterval(this.poller);
    this.timer = null;
    this.poller = null;
    this.queue = [];
    this.queued = 0;
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    // Own changes only: peers push their own, and a peer's change the relay lacks is in
    // the diff pushed on the next open.
    if (isTransportOrigin(origin) || this.destroyed || !this.options.shared() || this.keys?.canWrite === false) return;
    if (!this.started) this.start();
    this.queue.push(update);
    this.queued++;
    if (this.keys) {
      this.state.pending++;
      this.save();
    }
    this.update({
      pending: this.state.pending + (this.keys ? 0 : this.queued),
      ...(this.current.state === 'saved' ? { state: 'syncing' as const } : {}),
    });
    this.kick(this.options.batchMs ?? RELAY_BATCH_MS);
  };

  private kick(delay: number): void {
    if (!this.started || this.destroyed || this.keys === null) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delay);
  }

  /** One round: pull what is new, push what waits, compact when asked. Serial. */
  private async run(): Promise<void> {
    const keys = this.keys;
    if (this.running || keys === null || !this.started) return;
    this.running = true;
    this.again = false;
    try {
      let page: RelayPage | null = null;
      if (this.needPull) {
        this.needPull = false;
        page = await this.pull(keys);
      }
      await this.push(keys);
      if (page && page.count > page.compactAfter && !page.more) await this.compact(keys, page.head);
      this.reachable = true;
      this.retryDelay = this.options.retryMs ?? RELAY_RETRY_MS;
      // Changes typed while this round ran are not "waiting": the next round takes them.
      this.update({
        state: this.state.pending > 0 ? 'syncing' : 'saved',
        pending: this.state.pending,
        message: null,
      });
    } catch (error) {
      if (this.destroyed || !this.started) return;
      const e = error instanceof RelayError ? error : new RelayError('network', String(error));
      this.reachable = false;
      this.needPull = true;
      this.update({
        state: e.transient ? 'waiting' : 'refused',
        pending: this.state.pending,
        message:
          e.code === 'network'
            ? null
            : e.code === 'room-quota' || e.code === 'address-quota'
              ? `The relay refuses more changes of this note for now: ${e.message}`
              : `The relay refused this note's changes: ${e.message}`,
      });
      this.running = false;
      this.kick(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, RELAY_MAX_RETRY_MS);
      return;
    }
    this.running = false;
    if (this.again || this.queue.length > 0) this.kick(0);
  }

  private async pull(keys: NoteKeys): Promise<RelayPage | null> {
    let last: RelayPage | null = null;
    let rewound = false;
    for (let i = 0; i < MAX_PAGES_PER_PULL; i++) {
      const page = await this.options.client.read(keys.relay.roomId, this.state.cursor);
      if (!this.started) return null;
      last = page;
      if (page.head < this.state.cursor && !rewound) {
        // The relay is behind what it once said (restored from a backup, or it lied
        // before): read it all again. Yjs ignores what the doc already has, and what
        // was read before is skipped quietly rather than reported as replayed.
        this.state.cursor = 0;
        rewound = true;
        continue;
      }
      for (const blob of page.blobs) {
        if (blob.seq <= this.state.cursor) {
          this.reject('stale');
          continue;
        }
        await this.take(keys, blob.kind, blob.data, rewound);
        this.state.cursor = blob.seq;
      }
      this.save();
      if (!page.more || page.blobs.length === 0) break;
    }
    return last;
  }

  /** Opens, checks and applies one blob. */
  private async take(keys: NoteKeys, kind: BlobKind, data: Uint8Array, rewound: boolean): Promise<void> {
    const opened = await openBlob(keys.relay, kind, data);
    if (!this.started) return;
    if (opened === null) return this.reject('garbage');
    if (opened.writer === this.writerId) return; // our own, read back
    const seen = this.state.seen[opened.writer];
    if (seen !== undefined && opened.counter <= seen) return rewound ? undefined : this.reject('replayed');
    // Verified before anything is decoded: the read key opens blobs, only the seed signs them.
    const message = await keys.openUpdate(opened.signed);
    if (!this.started) return;
    if (message === null) return this.reject('not signed by an editor');
    const decoded = decodePeerMessage(message, { localClientId: this.options.doc.clientID });
    if (!decoded.ok || (decoded.message.kind !== 'sync-step-2' && decoded.message.kind !== 'update')) return this.reject('undecodable');
    const update = decoded.message.update;
    const { doc, hooks } = this.options;
    if (this.options.firewall !== false) {
      // Checked as a sync: a relay blob is a batch or a diff (the first push of a note
      // holds its whole history, every client id in it), not one keystroke's update.
      const verdict = checkNoteUpdate(doc, update, { kind: 'sync' });
      if (!verdict.ok) return this.reject('refused by the note schema');
    }
    try {
      hooks?.beforeApply?.(update);
      Y.applyUpdate(doc, update, ORIGIN_RELAY);
    } catch {
      return this.reject('undecodable');
    }
    extendHeld(this.state.held, update);
    if (!this.current.verified) this.update({ verified: true });
    delete this.state.seen[opened.writer];
    this.state.seen[opened.writer] = opened.counter;
    const writers = Object.keys(this.state.seen);
    if (writers.length > MAX_SEEN_WRITERS) delete this.state.seen[writers[0] as string];
  }

  private reject(why: string): void {
    this.rejected++;
    console.warn(`[weft] relay blob ignored: ${why}`);
    this.update({
      problem: `The relay sent ${this.rejected} change${this.rejected === 1 ? '' : 's'} that failed their check (${why}); they were ignored. Live sync with peers is not affected.`,
    });
  }

  private async push(keys: NoteKeys): Promise<void> {
    const { doc } = this.options;
    if (!keys.canWrite) return;
    const taken = this.queue.length;
    if (taken === 0 && !this.fullPush) return;
    let update: Uint8Array;
    let full = this.fullPush;
    if (!full) {
      update = taken === 1 ? (this.queue[0] as Uint8Array) : Y.mergeUpdates(this.queue.slice(0, taken));
      if (update.byteLength > MAX_UPDATE_BYTES) full = true;
    }
    if (full) {
      // What the relay lacks: everything past what it is known to hold (and every delete).
      const docSv = Y.decodeStateVector(Y.encodeStateVector(doc));
      const lacks = [...docSv].some(([client, clock]) => clock > (this.state.held[client] ?? 0));
      if (!lacks && this.state.pending === 0 && taken === 0) {
        this.fullPush = false;
        return;
      }
      update = Y.encodeStateAsUpdate(doc, svBytes(this.state.held));
    }
    const sentPending = this.state.pending;
    const tooBig = update!.byteLength > MAX_UPDATE_BYTES;
    if (tooBig) {
      // Too large for one update blob: the whole note goes up as a snapshot instead (not
      // now if structs wait for dependencies: then it stays queued for the next round).
      if (!(await this.compact(keys, this.state.cursor))) return;
    } else {
      const blob = await this.seal(keys, 'update', update!);
      await this.options.client.write(keys.relay, 'update', blob as Uint8Array<ArrayBuffer>);
      if (!this.started) return;
      extendHeld(this.state.held, update!);
    }
    this.queue.splice(0, taken);
    this.queued = Math.max(0, this.queued - taken);
    this.fullPush = false;
    this.state.pending = Math.max(0, this.state.pending - (full ? sentPending : taken));
    this.save();
  }

  /** Uploads the whole note as one snapshot replacing the relay's blobs up to `head`; whether it did. */
  private async compact(keys: NoteKeys, head: number): Promise<boolean> {
    const { doc } = this.options;
    if (!keys.canWrite) return false;
    // Structs waiting for a dependency are not in the snapshot: replacing the blobs that
    // hold them would drop them. Wait for them to resolve.
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return false;
    const snapshot = Y.encodeStateAsUpdate(doc);
    const blob = await this.seal(keys, 'snapshot', snapshot);
    try {
      await this.options.client.write(keys.relay, 'snapshot', blob as Uint8Array<ArrayBuffer>, head);
    } catch (error) {
      if (error instanceof RelayError && error.code === 'stale-snapshot') return false;
      throw error;
    }
    if (!this.started) return false;
    this.state.held = Object.fromEntries([...Y.decodeStateVector(Y.encodeStateVector(doc))].map(([c, k]) => [String(c), k]));
    return true;
  }

  /** A blob of `update` (a batch, a diff or the whole note), signed as a sync step 2 and encrypted. */
  private async seal(keys: NoteKeys, kind: BlobKind, update: Uint8Array): Promise<Uint8Array> {
    const message = peerMessage(MESSAGE_SYNC, (e) => {
      encoding.writeVarUint(e, SYNC_STEP_2);
      encoding.writeVarUint8Array(e, update);
    });
    const signed = await keys.sealUpdate(message);
    if (signed === null) throw new RelayError('refused', 'this device has a view-only link and cannot write');
    return sealBlob(keys.relay, kind, this.writer, ++this.counter, signed);
  }

  private save(): void {
    if (this.keys) this.options.cursors.save(this.keys.relay.roomId, this.state);
  }

  private update(change: Partial<RelayStatus>): void {
    if (this.destroyed) return;
    const next = { ...this.current, ...change };
    if (!this.options.shared()) next.state = 'off';
    const same = (Object.keys(next) as Array<keyof RelayStatus>).every((k) => next[k] === this.current[k]);
    if (same) return;
    this.current = next;
    this.listeners.notify();
  }

  get relayStatus(): RelayStatus {
    return this.current;
  }
}
