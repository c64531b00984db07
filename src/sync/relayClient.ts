/**
 * The relay's HTTP API seen from a client (server/createRelayHandler.ts is the other
 * side): one small interface, so the relay transport can be tested against an in-process
 * relay and a hostile one. `httpRelayClient` is the real adapter (fetch).
 */
import { fromBase64url } from './shareLink';
import { signWrite, type BlobKind, type RelayKeys } from './relayCrypto';

/** Path prefix of the relay's API on the app's origin. */
export const RELAY_PATH = '/relay/v2/';

/** One blob as the relay returned it (untrusted). */
export interface RelayBlob {
  readonly seq: number;
  readonly kind: BlobKind;
  readonly data: Uint8Array;
}

/** A page of a room after a cursor (untrusted). */
export interface RelayPage {
  readonly head: number;
  readonly count: number;
  /** The relay asks for a snapshot past this many blobs. */
  readonly compactAfter: number;
  readonly more: boolean;
  readonly blobs: readonly RelayBlob[];
}

/**
 * A refusal or failure. `code` is the relay's (`room-quota`, `address-quota`, `bad-proof`,
 * `too-large`, `stale-snapshot`, …) or `network` / `bad-response`.
 */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** Worth retrying later unchanged (the network, the server, a budget that refills). */
  get transient(): boolean {
    return this.code === 'network' || this.code === 'unavailable' || this.code === 'address-quota' || this.code === 'bad-response';
  }
}

export interface RelayClient {
  read(roomId: string, after: number): Promise<RelayPage>;
  /** Stores a blob; resolves with its sequence number once the relay made it durable. */
  write(keys: RelayKeys, kind: BlobKind, blob: Uint8Array<ArrayBuffer>, replaces?: number): Promise<number>;
  deleteRoom(keys: RelayKeys): Promise<void>;
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_SEQ;

/** Checks a read's JSON strictly; throws RelayError('bad-response') on anything else. */
export function parseRelayPage(json: unknown): RelayPage {
  const bad = (why: string) => new RelayError('bad-response', `The relay answered something that is not a relay page (${why}).`);
  if (typeof json !== 'object' || json === null) throw bad('not an object');
  const page = json as Record<string, unknown>;
  if (!isSeq(page.head) || !isSeq(page.count) || !isSeq(page.compactAfter) || typeof page.more !== 'boolean' || !Array.isArray(page.blobs)) {
    throw bad('fields');
  }
  const blobs = page.blobs.map((entry: unknown): RelayBlob => {
    if (typeof entry !== 'object' || entry === null) throw bad('blob');
    const b = entry as Record<string, unknown>;
    const data = typeof b.data === 'string' ? fromBase64url(b.data) : null;
    if (!isSeq(b.seq) || (b.kind !== 'update' && b.kind !== 'snapshot') || data === null) throw bad('blob fields');
    return { seq: b.seq, kind: b.kind, data };
  });
  return { head: page.head, count: page.count, compactAfter: page.compactAfter, more: page.more, blobs };
}

/** The relay on `origin` (e.g. `location.origin`), through `fetch`. */
export function httpRelayClient(origin: string, fetchFn: typeof fetch = (...args) => fetch(...args), now: () => number = Date.now): RelayClient {
  const base = origin.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: Uint8Array<ArrayBuffer>, keys?: RelayKeys): Promise<unknown> => {
    const headers: Record<string, string> = keys ? await signWrite(keys, method, path, body ?? new Uint8Array(0), now()) : {};
    if (body) headers['Content-Type'] = 'application/octet-stream';
    let response: Response;
    try {
      response = await fetchFn(base + path, { method, headers, ...(body ? { body } : {}), cache: 'no-store' });
    } catch {
      throw new RelayError('network', 'The relay cannot be reached.');
    }
    let json: unknown = null;
    try {
      json = await response.json();
    } catch {
      // reported below
    }
    if (!response.ok) {
      const e = (json ?? {}) as { error?: unknown; message?: unknown };
      const code = typeof e.error === 'string' ? e.error.slice(0, 40) : response.status >= 500 ? 'unavailable' : 'bad-response';
      const message = typeof e.message === 'string' ? e.message.slice(0, 300) : `HTTP ${response.status}`;
      throw new RelayError(code, message);
    }
    return json;
  };
  return {
    read: async (roomId, after) => parseRelayPage(await call('GET', `${RELAY_PATH}${roomId}?after=${after}`)),
    write: async (keys, kind, blob, replaces) => {
      const path = kind === 'update' ? `${RELAY_PATH}${keys.roomId}/blobs` : `${RELAY_PATH}${keys.roomId}/snapshot?replaces=${replaces ?? 0}`;
      const answer = (await call('POST', path, blob, keys)) as { seq?: unknown } | null;
      if (!isSeq(answer?.seq)) throw new RelayError('bad-response', 'The relay did not say where it stored the change.');
      return answer.seq;
    },
    deleteRoom: async (keys) => {
      await call('DELETE', `${RELAY_PATH}${keys.roomId}`, undefined, keys);
    },
  };
}

/** How long a prefetched first page waits to be claimed before it is dropped. */
export const PREFETCH_TTL_MS = 30_000;

/** A {@link RelayClient} that can start a room's first read before anyone asks for it. */
export interface PrefetchingRelayClient extends RelayClient {
  /**
   * Starts reading `roomId` from the beginning now; the next `read(roomId, 0)` (within
   * {@link PREFETCH_TTL_MS}) gets that answer instead of asking again.
   */
  prefetch(roomId: string): void;
}

/**
 * Wraps `client` so that opening a share link on a new device reads the relay while the
 * app is still starting (the link names the room before storage has even opened).
 */
export function prefetchingRelayClient(client: RelayClient): PrefetchingRelayClient {
  const pending = new Map<string, { page: Promise<RelayPage>; timer: ReturnType<typeof setTimeout> }>();
  return {
    ...client,
    prefetch: (roomId) => {
      if (pending.has(roomId)) return;
      const page = client.read(roomId, 0);
      page.catch(() => undefined); // a failed prefetch is asked again by the transport
      const timer = setTimeout(() => pending.delete(roomId), PREFETCH_TTL_MS);
      pending.set(roomId, { page, timer });
    },
    read: (roomId, after) => {
      const early = after === 0 ? pending.get(roomId) : undefined;
      if (early === undefined) return client.read(roomId, after);
      pending.delete(roomId);
      clearTimeout(early.timer);
      return early.page;
    },
  };
}
