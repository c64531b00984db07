/**
 * The server's configuration, read from the environment here and nowhere else. Every
 * value is validated up front: a bad value stops the server with a `ConfigError` whose
 * message names the variable and what is expected.
 *
 *   PORT             TCP port (default 8080)
 *   HOST             interface to bind (default 127.0.0.1)
 *   STATIC_DIR       the built app (default: the repository's dist/)
 *   ICE_SERVERS      JSON array of RTCIceServer objects (default [])
 *   SIGNALING_URLS   comma-separated extra ws:/wss: signaling URLs handed to clients
 *   ALLOWED_ORIGINS  comma-separated origins accepted for signaling WebSockets besides the
 *                    server's own (the request's Host); `*` accepts any Origin
 *   TRUST_PROXY      number of reverse proxies in front of the server whose X-Forwarded-For
 *                    and X-Forwarded-Proto are believed (default 0: the TCP peer is the client)
 *   MAX_CONNECTIONS_PER_ADDRESS, MAX_TOPICS_PER_ADDRESS
 *                    per-client-address signaling quotas (defaults in signalingLimits.ts)
 *   SERVE_SOURCE_MAPS  1 to serve the build's *.map files (default 0: they are 404)
 *   DATA_DIR         where the relay's embedded database lives (default: data/ in the
 *                    working directory)
 *   REDIS_URL        redis://host:port — the relay store and the signaling fan-out go
 *                    through Redis so that several instances act as one (default: none)
 *   MAX_PEER_CONNECTIONS  the most WebRTC connections a browser opens itself per note,
 *                    handed to clients in /config.json (default: the app's own, 20)
 *   STUN_URLS        comma-separated stun:/stuns: URLs handed to clients
 *   TURN_URLS        comma-separated turn:/turns: URLs of TURN servers sharing TURN_SECRET
 *   TURN_SECRET      coturn's static-auth-secret: each client gets a credential minted
 *                    from it (turnCredentials.ts), never the secret
 *   TURN_TTL         seconds a minted TURN credential is valid (default 3600)
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANY_ORIGIN } from './isOriginAllowed.js';
import type { SignalingLimits } from './signalingLimits.js';
import type { TurnConfig } from './turnCredentials.js';

/** Default TCP port. */
export const DEFAULT_PORT = 8080;
/** Default bind address: loopback, so nothing is exposed unless asked for. */
export const DEFAULT_HOST = '127.0.0.1';
/** Most directory levels searched upwards for the repository root. */
const MAX_ROOT_SEARCH_DEPTH = 8;
/** An ICE URL a browser accepts: stun:, stuns:, turn: or turns: and something after it. */
const ICE_URL = /^(stuns?|turns?):\S+$/;
/** Most reverse proxies `TRUST_PROXY` may count: a longer chain is surely a mistake. */
export const MAX_TRUSTED_PROXY_HOPS = 10;
/** Bounds of `MAX_PEER_CONNECTIONS` (the client accepts the same: src/sync/syncConfig.ts). */
export const MAX_PEER_CONNECTIONS_RANGE = { min: 1, max: 64 } as const;
/**
 * Default `TURN_TTL`: one hour. A credential is needed only to make an allocation (coturn
 * checks the expiry then, not while a relay is in use), clients fetch a fresh one before
 * it expires, and a credential copied out of a page is worth an hour to whoever took it.
 */
export const DEFAULT_TURN_TTL_SECONDS = 3600;
/** Bounds of `TURN_TTL`: a minute (clients need time to use it) to a week. */
export const TURN_TTL_RANGE = { min: 60, max: 7 * 24 * 3600 } as const;
/** Shortest `TURN_SECRET` accepted: an HMAC key anyone could guess would let anyone relay through the server. */
export const MIN_TURN_SECRET_LENGTH = 16;
/** A TURN URL (the REST scheme is for TURN only). */
const TURN_URL = /^turns?:\S+$/;
/** A STUN URL. */
const STUN_URL = /^stuns?:\S+$/;
/** Keys of an RTCIceServer that we pass through. */
const ICE_KEYS = new Set(['urls', 'username', 'credential']);

/** One STUN/TURN server, as the browser's RTCIceServer. */
export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The validated configuration. */
export interface WeftConfig {
  port: number;
  host: string;
  staticDir: string;
  iceServers: IceServerConfig[];
  signalingUrls: string[];
  /** Origins accepted besides the server's own; `'*'` accepts any. */
  allowedOrigins: string[];
  /** Reverse proxies whose forwarded headers are believed (`TRUST_PROXY`). */
  trustedProxyHops: number;
  /** Signaling limits set in the environment; the rest keep their defaults. */
  limits: Partial<SignalingLimits>;
  /** Serve `*.map` (`SERVE_SOURCE_MAPS=1`). */
  serveSourceMaps: boolean;
  /** The relay's embedded database directory (`DATA_DIR`, absolute). */
  dataDir: string;
  /** Redis for the relay store and signaling fan-out (`REDIS_URL`), or null. */
  redisUrl: string | null;
  /** The per-note cap on WebRTC connections a browser opens (`MAX_PEER_CONNECTIONS`); absent: the app's default. */
  maxPeerConnections?: number;
  /** STUN servers handed to clients (`STUN_URLS`). */
  stunUrls: string[];
  /** TURN servers whose credentials are minted per client (`TURN_URLS`, `TURN_SECRET`, `TURN_TTL`), or null. */
  turn: TurnConfig | null;
}

/** A configuration problem, with a message meant for the person starting the server. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The repository's `dist/`, found from this file's location so that both
 * `node build/server/main.js` (compiled) and `server/config.ts` (tests) resolve it,
 * whatever the working directory.
 */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < MAX_ROOT_SEARCH_DEPTH; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // No package.json above (a copied build): assume the build/server/ layout.
  return resolve(here, '..', '..', 'dist');
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535 (got "${value}").`);
  }
  return n;
}

function parseHost(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return DEFAULT_HOST;
  const v = value.trim();
  if (!/^[A-Za-z0-9.:_%-]+$/.test(v)) {
    throw new ConfigError(`HOST must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0 (got "${value}").`);
  }
  return v;
}

function parseIceServers(value: string | undefined): IceServerConfig[] {
  if (value === undefined || value.trim() === '') return [];
  const hint = 'ICE_SERVERS must be a JSON array like [{"urls":"stun:stun.example.org:3478"}]';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(`${hint}; it is not valid JSON.`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${hint}; it is not an array.`);
  return parsed.map((entry: unknown, i): IceServerConfig => {
    const where = `ICE_SERVERS[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(`${where} must be an object with "urls".`);
    }
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (!ICE_KEYS.has(key)) throw new ConfigError(`${where} has an unknown key "${key}" (allowed: urls, username, credential).`);
    }
    const urls = typeof e.urls === 'string' ? [e.urls] : e.urls;
    if (!Array.isArray(urls) || urls.length === 0) {
      throw new ConfigError(`${where}.urls must be a URL string or a non-empty array of them.`);
    }
    for (const url of urls) {
      if (typeof url !== 'string' || !ICE_URL.test(url)) {
        throw new ConfigError(`${where}.urls must be stun:, stuns:, turn: or turns: URLs.`);
      }
    }
    for (const key of ['username', 'credential'] as const) {
      if (e[key] !== undefined && typeof e[key] !== 'string') throw new ConfigError(`${where}.${key} must be a string.`);
    }
    const server: IceServerConfig = { urls: e.urls as string | string[] };
    if (typeof e.username === 'string') server.username = e.username;
    if (typeof e.credential === 'string') server.credential = e.credential;
    return server;
  });
}

function parseSignalingUrls(value: string | undefined): string[] {
  return list(value).map((s) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new ConfigError(`SIGNALING_URLS: "${s}" is not a URL (expected e.g. wss://signal.example.org/signal).`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new ConfigError(`SIGNALING_URLS: "${s}" must start with ws:// or wss://.`);
    }
    return s;
  });
}

function parseAllowedOrigins(value: string | undefined): string[] {
  return list(value).map((s) => {
    if (s === ANY_ORIGIN) return s;
    let url: URL | null = null;
    try {
      url = new URL(s);
    } catch {
      // reported below
    }
    // An origin is scheme://host[:port] exactly as browsers send it: no path, no slash.
    const origin = url !== null && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : null;
    if (origin === null || origin !== s.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError(`ALLOWED_ORIGINS: "${s}" is not an origin (expected e.g. https://notes.example.org).`);
    }
    return origin;
  });
}

/** A whole number from `min` to `max` (no upper bound if omitted), or `fallback` when unset. */
function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max?: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range} (got "${value}").`);
  }
  return n;
}

/** The signaling limits a deployment may set, by variable (e.g. the bench raises them). */
const LIMIT_VARIABLES = {
  MAX_CONNECTIONS_PER_ADDRESS: 'maxConnectionsPerAddress',
  MAX_TOPICS_PER_ADDRESS: 'maxTopicsPerAddress',
} as const satisfies Record<string, keyof SignalingLimits>;

/** The limits the environment sets (only those it sets; the rest keep their defaults). */
function parseLimits(env: Readonly<Record<string, string | undefined>>): Partial<SignalingLimits> {
  const limits: Partial<SignalingLimits> = {};
  for (const [name, key] of Object.entries(LIMIT_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') limits[key] = parseInteger(name, value, 0, 1);
  }
  return limits;
}

/** Default relay data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = 'data';

function parseRedisUrl(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379 (got "${value}").`);
  }
  return value.trim();
}

function parseMaxPeerConnections(value: string | undefined): { maxPeerConnections?: number } {
  if (value === undefined || value.trim() === '') return {};
  const { min, max } = MAX_PEER_CONNECTIONS_RANGE;
  return { maxPeerConnections: parseInteger('MAX_PEER_CONNECTIONS', value, min, min, max) };
}

function parseIceUrls(name: string, value: string | undefined, pattern: RegExp, example: string): string[] {
  return list(value).map((url) => {
    if (!pattern.test(url)) throw new ConfigError(`${name}: "${url}" must be a URL like ${example}.`);
    return url;
  });
}

function parseTurn(env: Readonly<Record<string, string | undefined>>): TurnConfig | null {
  const urls = parseIceUrls('TURN_URLS', env.TURN_URLS, TURN_URL, 'turn:turn.example.org:3478?transport=udp or turns:turn.example.org:5349');
  const secret = env.TURN_SECRET?.trim() ?? '';
  const ttlSeconds = parseInteger('TURN_TTL', env.TURN_TTL, DEFAULT_TURN_TTL_SECONDS, TURN_TTL_RANGE.min, TURN_TTL_RANGE.max);
  if (urls.length === 0) {
    if (secret !== '') throw new ConfigError('TURN_SECRET is set but TURN_URLS is not: list the TURN servers that share the secret.');
    return null;
  }
  if (secret === '') {
    throw new ConfigError("TURN_URLS needs TURN_SECRET: the static-auth-secret of the TURN server (coturn's use-auth-secret), from which each client's short-lived credential is minted.");
  }
  if (secret.length < MIN_TURN_SECRET_LENGTH) {
    throw new ConfigError(`TURN_SECRET must be at least ${MIN_TURN_SECRET_LENGTH} characters (e.g. the output of: openssl rand -hex 32).`);
  }
  return { urls, secret, ttlSeconds };
}

/** Reads and validates the configuration from `env` (default: `process.env`). Throws `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): WeftConfig {
  const staticDir = env.STATIC_DIR?.trim();
  return {
    port: parsePort(env.PORT),
    host: parseHost(env.HOST),
    staticDir: staticDir ? resolve(staticDir) : defaultStaticDir(),
    iceServers: parseIceServers(env.ICE_SERVERS),
    signalingUrls: parseSignalingUrls(env.SIGNALING_URLS),
    allowedOrigins: parseAllowedOrigins(env.ALLOWED_ORIGINS),
    trustedProxyHops: parseInteger('TRUST_PROXY', env.TRUST_PROXY, 0, 0, MAX_TRUSTED_PROXY_HOPS),
    limits: parseLimits(env),
    serveSourceMaps: parseInteger('SERVE_SOURCE_MAPS', env.SERVE_SOURCE_MAPS, 0, 0, 1) === 1,
    dataDir: resolve(env.DATA_DIR?.trim() || DEFAULT_DATA_DIR),
    redisUrl: parseRedisUrl(env.REDIS_URL),
    ...parseMaxPeerConnections(env.MAX_PEER_CONNECTIONS),
    stunUrls: parseIceUrls('STUN_URLS', env.STUN_URLS, STUN_URL, 'stun:stun.example.org:3478'),
    turn: parseTurn(env),
  };
}
