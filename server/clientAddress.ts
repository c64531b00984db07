/**
 * The client address that per-address quotas are counted against. By default it is the
 * TCP peer; behind reverse proxies (`TRUST_PROXY=n`) it is read from `X-Forwarded-For`,
 * skipping the `n` trusted hops from the right — each proxy appends the address it got
 * the request from, so only those entries are believable; anything further left could
 * have been written by the client itself. This is Express's `trust proxy = n` rule.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * An IPv6 client is counted by its /64 (4 groups): one home or phone line is usually
 * given a whole /64, so counting single addresses would hand one client 2^64 quotas.
 */
const IPV6_QUOTA_GROUPS = 4;
/** Groups in a full IPv6 address. */
const IPV6_GROUPS = 8;
/** `::ffff:a.b.c.d` — an IPv4 client seen by a dual-stack socket. */
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The request fields `clientAddress` reads. */
export type AddressedRequest = Pick<IncomingMessage, 'headers'> & {
  socket: Pick<IncomingMessage['socket'], 'remoteAddress'>;
};

/** The /64 of an IPv6 address, as `a:b:c:d::/64`; null if `ip` is not IPv6. */
function ipv6Prefix(ip: string): string | null {
  if (!isIPv6(ip)) return null;
  const [head = '', tail] = ip.split('::');
  const groupsOf = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array.from({ length: IPV6_GROUPS - left.length - right.length }, () => '0');
  const groups = [...left, ...zeros, ...right].slice(0, IPV6_QUOTA_GROUPS);
  return `${groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The quota key of one address: IPv4 as is (mapped ones unwrapped), IPv6 by its /64. */
function quotaKey(ip: string): string {
  const unzoned = ip.split('%')[0] ?? ip;
  const mapped = IPV4_MAPPED.exec(unzoned)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  return ipv6Prefix(unzoned) ?? unzoned;
}

/**
 * The address `req` is counted against. With `trustedProxyHops` = 0 the TCP peer; with
 * n > 0 the entry n places left of the peer in `X-Forwarded-For, peer` (the left-most one
 * when the chain is shorter). An entry that is not an IP address counts as the peer.
 */
export function clientAddress(req: AddressedRequest, trustedProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops <= 0) return quotaKey(peer);
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const chain = [...forwarded, peer];
  const entry = chain[Math.max(0, chain.length - 1 - trustedProxyHops)] ?? peer;
  return quotaKey(isIPv4(entry) || isIPv6(entry) ? entry : peer);
}
