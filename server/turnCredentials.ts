/**
 * Short-lived TURN credentials, minted per `/config.json` request with the TURN REST API
 * scheme that coturn implements with `use-auth-secret` / `static-auth-secret`
 * (draft-uberti-behave-turn-rest): the username is `<expiry unix seconds>:<random id>`
 * and the password `base64(HMAC-SHA1(secret, username))`. coturn recomputes the password
 * from the shared secret and refuses a username whose expiry has passed, so the secret
 * itself never leaves the server and a leaked credential is worth `ttlSeconds` at most.
 * (coturn checks the expiry when an allocation is made, not during one: a call that
 * outlives its credentials keeps its relay.)
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IceServerConfig } from './config.js';

/** TURN servers that share a secret with this server (TURN_URLS, TURN_SECRET, TURN_TTL). */
export interface TurnConfig {
  /** `turn:` / `turns:` URLs, all served by servers that know {@link secret}. */
  readonly urls: readonly string[];
  readonly secret: string;
  /** How long a minted credential is accepted for a new allocation, in seconds. */
  readonly ttlSeconds: number;
}

/** Random bytes of the id part of a username: unguessable, and tells coturn's per-user quotas apart. */
const ID_BYTES = 12;

/** One minted credential pair. */
export interface TurnCredential {
  readonly username: string;
  readonly credential: string;
}

/**
 * Mints a credential valid until `nowMs / 1000 + ttlSeconds` (unix seconds). `id` defaults
 * to fresh random bytes; tests pass one to compare against a known value.
 */
export function mintTurnCredential(secret: string, ttlSeconds: number, nowMs: number, id = randomBytes(ID_BYTES).toString('base64url')): TurnCredential {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${id}`;
  const credential = createHmac('sha1', secret).update(username, 'utf8').digest('base64');
  return { username, credential };
}

/**
 * The ICE servers one client gets: the STUN URLs, the TURN URLs with a freshly minted
 * credential, then the static `ICE_SERVERS` as configured.
 */
export function iceServersFor(
  options: { stunUrls: readonly string[]; turn: TurnConfig | null; iceServers: readonly IceServerConfig[] },
  nowMs: number,
): IceServerConfig[] {
  const servers: IceServerConfig[] = [];
  if (options.stunUrls.length > 0) servers.push({ urls: [...options.stunUrls] });
  if (options.turn !== null) {
    const { username, credential } = mintTurnCredential(options.turn.secret, options.turn.ttlSeconds, nowMs);
    servers.push({ urls: [...options.turn.urls], username, credential });
  }
  return [...servers, ...options.iceServers];
}
