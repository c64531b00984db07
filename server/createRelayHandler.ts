/**
 * The relay's HTTP endpoints (see relayProtocol.ts for the proof, the README's open
 * protocol for the wire format):
 *
 *   GET    /relay/v2/<room>?after=<seq>          blobs after the cursor (JSON)
 *   POST   /relay/v2/<room>/blobs                append one encrypted update blob (signed)
 *   POST   /relay/v2/<room>/snapshot?replaces=n  store a snapshot replacing blobs ≤ n (signed)
 *   DELETE /relay/v2/<room>                      delete the room (signed; "Stop sharing")
 *
 * Hardened like /signal: foreign page origins are refused, bodies are bounded while they
 * stream in, every client address has read, write and byte budgets, every refusal is a
 * JSON `{error, message}` with a status a client can act on. A write is answered only
 * after the store made it durable.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress } from './clientAddress.js';
import { isOriginAllowed } from './isOriginAllowed.js';
import type { Logger } from './logger.js';
import { RELAY_PATH, ROOM_ID, blobHash, checkWriteProof, type BlobKind, type RelayLimits } from './relayProtocol.js';
import type { RelayStore } from './RelayStore.js';
import { MemoryAddressBudgets, type AddressBudgets, type BudgetKind, type BudgetRates } from './AddressBudgets.js';

export interface RelayHandlerOptions {
  store: RelayStore;
  limits: RelayLimits;
  allowedOrigins: ReadonlySet<string>;
  trustedProxyHops: number;
  logger: Logger;
  now?: () => number;
  /** Told after every write and delete (a hint for live readers; may be a no-op). */
  onChange?: (room: string) => void;
  /** Per-address budgets (default: this process's memory; shared ones with Redis). */
  budgets?: AddressBudgets;
}

/** The per-address budgets `limits` set. */
export const budgetRates = (limits: RelayLimits): BudgetRates => ({
  reads: { capacity: limits.readsPerAddressBurst, perSecond: limits.readsPerAddressPerSecond },
  writes: { capacity: limits.writesPerAddressBurst, perSecond: limits.writesPerAddressPerHour / 3600 },
  bytes: { capacity: limits.bytesPerAddressBurst, perSecond: limits.bytesPerAddressPerHour / 3600 },
});

/** Takes from one address's budgets. */
type Budget = (kind: BudgetKind, amount?: number) => Promise<boolean>;

export interface RelayHandler {
  /** Whether the request is the relay's (its path starts with /relay/). */
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, segments: readonly string[]): void;
  /** Deletes rooms idle past the TTL; how many. */
  sweep(): Promise<number>;
  /** Counters for tests and monitoring. */
  stats(): { writes: number; reads: number; refused: number };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/** Reads the whole body, refusing (413) as soon as it passes `max`. */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(new HttpError(413, 'too-large', `a blob here may hold at most ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, 'too-large', `a blob here may hold at most ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

const seqParam = (url: URL, name: string): number => {
  const value = url.searchParams.get(name) ?? '0';
  if (!/^\d{1,15}$/.test(value)) throw new HttpError(400, 'bad-request', `${name} must be a whole number`);
  return Number(value);
};

export function createRelayHandler(options: RelayHandlerOptions): RelayHandler {
  const { store, limits, logger } = options;
  const now = options.now ?? Date.now;
  const budgets = options.budgets ?? new MemoryAddressBudgets(budgetRates(limits));
  const counts = { writes: 0, reads: 0, refused: 0 };

  const quota = (what: string): HttpError =>
    new HttpError(429, 'address-quota', `this address has used its relay ${what} for now; try again later`);

  const write = async (req: IncomingMessage, room: string, kind: BlobKind, url: URL, budget: Budget): Promise<unknown> => {
    const max = kind === 'snapshot' ? limits.maxSnapshotBytes : limits.maxUpdateBytes;
    const body = await readBody(req, max);
    if (body.byteLength === 0) throw new HttpError(400, 'bad-request', 'the blob is empty');
    const proof = checkWriteProof(room, req.method ?? '', req.url ?? '', req.headers, body, now());
    if (!proof.ok) throw new HttpError(401, 'bad-proof', proof.reason);
    if (!(await budget('writes'))) throw quota('write budget');
    if (!(await budget('bytes', body.byteLength))) throw quota('byte budget');
    const replaces = kind === 'snapshot' ? seqParam(url, 'replaces') : undefined;
    const result = await store.write(
      room,
      { kind, data: body, hash: blobHash(body), ...(replaces !== undefined ? { replaces } : {}) },
      { maxBlobs: limits.maxRoomBlobs, maxBytes: limits.maxRoomBytes },
      now(),
    );
    if (!result.ok) {
      if (result.reason === 'stale-snapshot') throw new HttpError(409, 'stale-snapshot', 'the snapshot replaces blobs the room does not have');
      throw new HttpError(
        429,
        'room-quota',
        result.reason === 'room-blobs'
          ? `this note holds ${limits.maxRoomBlobs} changes on the relay, its most: an editor must compact it`
          : `this note holds ${limits.maxRoomBytes} bytes on the relay, its most`,
      );
    }
    counts.writes++;
    if (!result.duplicate) options.onChange?.(room);
    return { seq: result.seq, duplicate: result.duplicate };
  };

  const route = async (req: IncomingMessage, segments: readonly string[]): Promise<{ status: number; body: unknown }> => {
    const [, , room, op, ...rest] = segments;
    if (room === undefined || !ROOM_ID.test(room) || rest.length > 0) throw new HttpError(404, 'not-found', 'no such relay endpoint');
    if (req.headers.origin !== undefined && !isOriginAllowed(req, options.allowedOrigins, options.trustedProxyHops)) {
      throw new HttpError(403, 'origin', 'pages of this origin may not use the relay');
    }
    const url = new URL(req.url ?? '/', 'http://relay');
    const address = clientAddress(req, options.trustedProxyHops);
    const budget: Budget = (kind, amount = 1) => budgets.take(address, kind, amount, now());
    const method = req.method ?? '';
    if (op === undefined && (method === 'GET' || method === 'HEAD')) {
      if (!(await budget('reads'))) throw quota('read budget');
      const page = await store.read(room, seqParam(url, 'after'), limits.maxReadBytes, now());
      counts.reads++;
      return {
        status: 200,
        body: {
          head: page.head,
          count: page.count,
          bytes: page.bytes,
          compactAfter: limits.compactAfterBlobs,
          more: page.more,
          blobs: page.blobs.map((b) => ({ seq: b.seq, kind: b.kind, data: Buffer.from(b.data).toString('base64url') })),
        },
      };
    }
    if (op === undefined && method === 'DELETE') {
      const body = await readBody(req, 0);
      const proof = checkWriteProof(room, method, req.url ?? '', req.headers, body, now());
      if (!proof.ok) throw new HttpError(401, 'bad-proof', proof.reason);
      if (!(await budget('writes'))) throw quota('write budget');
      const existed = await store.deleteRoom(room);
      options.onChange?.(room);
      return { status: 200, body: { deleted: existed } };
    }
    if ((op === 'blobs' || op === 'snapshot') && method === 'POST') {
      return { status: 201, body: await write(req, room, op === 'blobs' ? 'update' : 'snapshot', url, budget) };
    }
    throw new HttpError(405, 'method', 'this relay endpoint does not take that method');
  };

  return {
    matches: (pathname) => pathname === RELAY_PATH.slice(0, -1) || pathname.startsWith(RELAY_PATH),
    handle: (req, res, segments) => {
      route(req, segments).then(
        ({ status, body }) => sendJson(res, status, body),
        (error: unknown) => {
          counts.refused++;
          if (error instanceof HttpError) {
            if (error.status === 405) res.setHeader('Allow', 'GET, HEAD, POST, DELETE');
            sendJson(res, error.status, { error: error.code, message: error.message });
            // A refused body still streaming in would otherwise keep the socket busy.
            if (!req.complete) res.on('finish', () => req.destroy());
            return;
          }
          logger.error('relay store failure');
          sendJson(res, 503, { error: 'unavailable', message: 'the relay store is unavailable; your changes wait on your device' });
        },
      );
    },
    sweep: () => store.expire(now() - limits.roomTtlMs),
    stats: () => ({ ...counts }),
  };
}
