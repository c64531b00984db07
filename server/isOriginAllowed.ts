/**
 * Which `Origin`s may open a signaling WebSocket. Browsers always send `Origin` on a
 * WebSocket upgrade, so this keeps other web sites from using their visitors' browsers
 * against our signaling server (non-browser clients can claim any Origin: the per-address
 * quotas are what bound them). Allowed by default: the server's own origin, i.e. the
 * request's `Host` — what the app served from here sends. `ALLOWED_ORIGINS` adds others.
 */
import type { IncomingMessage } from 'node:http';

/** In `ALLOWED_ORIGINS`: any Origin (and none) is accepted — a public signaling server. */
export const ANY_ORIGIN = '*';

/** The request fields `isOriginAllowed` reads. */
export type OriginRequest = Pick<IncomingMessage, 'headers'> & {
  socket: object;
};

const lastValue = (header: string | string[] | undefined): string | undefined =>
  (Array.isArray(header) ? header.join(',') : header)?.split(',').at(-1)?.trim().toLowerCase();

/** A `Host` value: a name or [IPv6] and an optional port — nothing that changes a URL's meaning. */
const HOST_HEADER = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** `scheme://host` as a browser writes it (lowercase, default port dropped), or null. */
function originOf(scheme: 'http' | 'https', host: string): string | null {
  if (!HOST_HEADER.test(host)) return null;
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * The origins that count as the server's own for `req`: `https://<Host>` always (only
 * whoever holds the certificate for that name can serve a page there, e.g. a
 * TLS-terminating proxy in front of us), and `http://<Host>` unless the request is known
 * to have come over TLS (our own TLS socket, or `X-Forwarded-Proto: https` from a trusted
 * proxy): then a plain-http page on the same name is not ours.
 */
export function ownOrigins(req: OriginRequest, trustedProxyHops: number): string[] {
  const host = req.headers.host;
  if (host === undefined) return [];
  const overTls =
    (req.socket as { encrypted?: unknown }).encrypted === true ||
    (trustedProxyHops > 0 && lastValue(req.headers['x-forwarded-proto']) === 'https');
  const schemes: Array<'http' | 'https'> = overTls ? ['https'] : ['https', 'http'];
  return schemes.map((scheme) => originOf(scheme, host)).filter((o): o is string => o !== null);
}

/**
 * Whether a WebSocket upgrade from `req`'s Origin is accepted: its own origin (see
 * `ownOrigins`) or one of `allowed` (exact `scheme://host[:port]` strings; `ANY_ORIGIN`
 * accepts everything). A missing Origin is refused unless `ANY_ORIGIN` is listed: it is
 * not a browser, and the app served here always sends one.
 */
export function isOriginAllowed(req: OriginRequest, allowed: ReadonlySet<string>, trustedProxyHops: number): boolean {
  if (allowed.has(ANY_ORIGIN)) return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  return allowed.has(origin) || ownOrigins(req, trustedProxyHops).includes(origin);
}
