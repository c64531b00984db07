/**
 * Deploy-time network configuration of the sync layer: ICE servers
 * (STUN/TURN), extra signaling URLs and optionally the per-note cap on
 * WebRTC connections, served by our server as `GET /config.json` →
 * `{ "iceServers": RTCIceServer[], "signaling": string[], "maxPeerConnections"?: number,
 *    "iceCredentialTtl"?: number }` — the last when the TURN credentials in
 * `iceServers` were minted for this request and last that many seconds
 * (SyncConfigSource.ts fetches fresh ones before then).
 *
 * Fetched at start-up with a timeout; the last good value is cached in
 * localStorage so an offline start (the app comes from the service worker)
 * still knows the TURN servers for when the network returns. The document is
 * validated strictly: bad entries are dropped, never passed to WebRTC.
 */

/** Where the server publishes the configuration (same origin). */
export const SYNC_CONFIG_PATH = '/config.json';
/** WebSocket path of our signaling server on the app's own origin. */
export const SIGNALING_PATH = '/signal';
/** How long start-up waits for `/config.json` before using the cached value. */
export const SYNC_CONFIG_TIMEOUT_MS = 3000;
/** localStorage key of the last good configuration. */
export const SYNC_CONFIG_STORAGE_KEY = 'weft:sync-config';
/** Most ICE servers / signaling URLs accepted from the configuration. */
export const MAX_ICE_SERVERS = 8;
export const MAX_SIGNALING_URLS = 4;
/** Most URLs one ICE server entry may list. */
export const MAX_URLS_PER_ICE_SERVER = 4;
/** Bounds of `maxPeerConnections` (the server's MAX_PEER_CONNECTIONS has the same). */
export const MIN_PEER_CONNECTIONS = 1;
export const MAX_PEER_CONNECTIONS = 64;
/** Longest credential lifetime accepted, in seconds (the server's TURN_TTL allows a week). */
export const MAX_ICE_CREDENTIAL_TTL_S = 7 * 24 * 3600;
/** Longest URL or credential string accepted. */
export const MAX_CONFIG_STRING_LENGTH = 512;

/** The validated configuration. */
export interface SyncConfig {
  readonly iceServers: RTCIceServer[];
  /** Extra signaling URLs (ws:/wss:), in addition to the same-origin one. */
  readonly signaling: string[];
  /** The most WebRTC connections a note opens itself (PeerNetworkOptions.maxConnections); absent: the app's default. */
  readonly maxPeerConnections?: number;
  /** Seconds the TURN credentials in `iceServers` stay valid from when they were fetched; absent: static ones. */
  readonly iceCredentialTtl?: number;
}

/** Used when nothing was ever fetched: LAN/loopback peers still connect with no ICE servers. */
export const DEFAULT_SYNC_CONFIG: SyncConfig = Object.freeze({ iceServers: [], signaling: [] });

const ICE_URL = /^(stuns?|turns?):[^\s]+$/;
const SHORT_STRING = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_CONFIG_STRING_LENGTH;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseIceServer = (entry: unknown): RTCIceServer | null => {
  if (!isRecord(entry)) return null;
  const rawUrls = typeof entry.urls === 'string' ? [entry.urls] : entry.urls;
  if (!Array.isArray(rawUrls)) return null;
  const urls = rawUrls
    .filter((url): url is string => SHORT_STRING(url) && ICE_URL.test(url))
    .slice(0, MAX_URLS_PER_ICE_SERVER);
  if (urls.length === 0) return null;
  const server: RTCIceServer = { urls };
  // TURN needs both; a half-specified credential pair is a deploy mistake: drop the entry.
  const hasUsername = entry.username !== undefined;
  const hasCredential = entry.credential !== undefined;
  if (hasUsername || hasCredential) {
    if (!SHORT_STRING(entry.username) || !SHORT_STRING(entry.credential)) return null;
    server.username = entry.username;
    server.credential = entry.credential;
  }
  return server;
};

const parseSignalingUrl = (entry: unknown): string | null => {
  if (!SHORT_STRING(entry)) return null;
  try {
    const url = new URL(entry);
    return url.protocol === 'ws:' || url.protocol === 'wss:' ? url.href : null;
  } catch {
    return null;
  }
};

/** Validates a parsed `/config.json`; anything malformed is ignored entry by entry. */
export const parseSyncConfig = (json: unknown): SyncConfig => {
  if (!isRecord(json)) return DEFAULT_SYNC_CONFIG;
  const iceServers = Array.isArray(json.iceServers)
    ? json.iceServers
        .map(parseIceServer)
        .filter((server): server is RTCIceServer => server !== null)
        .slice(0, MAX_ICE_SERVERS)
    : [];
  const signaling = Array.isArray(json.signaling)
    ? [...new Set(json.signaling.map(parseSignalingUrl).filter((url): url is string => url !== null))].slice(
        0,
        MAX_SIGNALING_URLS,
      )
    : [];
  const cap = json.maxPeerConnections;
  const validCap = typeof cap === 'number' && Number.isInteger(cap) && cap >= MIN_PEER_CONNECTIONS && cap <= MAX_PEER_CONNECTIONS;
  const ttl = json.iceCredentialTtl;
  const validTtl = typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 1 && ttl <= MAX_ICE_CREDENTIAL_TTL_S;
  return { iceServers, signaling, ...(validCap ? { maxPeerConnections: cap } : {}), ...(validTtl ? { iceCredentialTtl: ttl } : {}) };
};

/** A TURN server with credentials (a relay ICE can use). */
export const isTurnServer = (server: RTCIceServer): boolean =>
  server.username !== undefined && (Array.isArray(server.urls) ? server.urls : [server.urls]).some((url) => /^turns?:/.test(url));

/** True when the configuration lists a TURN server with credentials: relayed connections are possible. */
export const hasTurn = (config: SyncConfig): boolean => config.iceServers.some(isTurnServer);

/**
 * The signaling URLs to use: our own origin's `/signal` first (ws: for http:,
 * wss: for https:), then the configured extras, without duplicates. Never
 * y-webrtc's public default servers.
 */
export const resolveSignalingUrls = (location: { protocol: string; host: string }, config: SyncConfig): string[] => {
  const urls: string[] = [];
  if ((location.protocol === 'http:' || location.protocol === 'https:') && location.host !== '') {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    urls.push(new URL(`${scheme}//${location.host}${SIGNALING_PATH}`).href);
  }
  for (const url of config.signaling) if (!urls.includes(url)) urls.push(url);
  return urls;
};

/** What {@link loadSyncConfig} needs from the environment; injectable for tests. */
export interface SyncConfigEnvironment {
  fetch: (url: string, init: { signal: AbortSignal; cache: RequestCache }) => Promise<Response>;
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  timeoutMs?: number;
  url?: string;
}

const readCached = (storage: SyncConfigEnvironment['storage']): SyncConfig | null => {
  try {
    const text = storage?.getItem(SYNC_CONFIG_STORAGE_KEY);
    return text ? parseSyncConfig(JSON.parse(text)) : null;
  } catch {
    // Storage disabled or the cached value corrupt: behave as if there were none.
    return null;
  }
};

/**
 * Fetches and validates `/config.json`, caching the result; on any failure
 * (offline, timeout, HTTP error, bad JSON) returns the cached value, else
 * {@link DEFAULT_SYNC_CONFIG}. Never rejects.
 */
export const loadSyncConfig = async (env: SyncConfigEnvironment = browserEnvironment()): Promise<SyncConfig> =>
  (await fetchSyncConfig(env)) ?? readCached(env.storage) ?? DEFAULT_SYNC_CONFIG;

/**
 * Fetches and validates `/config.json` and caches it; null on any failure
 * (offline, timeout, HTTP error, bad JSON). Never rejects.
 */
export const fetchSyncConfig = async (env: SyncConfigEnvironment = browserEnvironment()): Promise<SyncConfig | null> => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), env.timeoutMs ?? SYNC_CONFIG_TIMEOUT_MS);
  try {
    const response = await env.fetch(env.url ?? SYNC_CONFIG_PATH, { signal: controller.signal, cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const config = parseSyncConfig(await response.json());
    try {
      env.storage?.setItem(SYNC_CONFIG_STORAGE_KEY, JSON.stringify(config));
    } catch {
      // Quota or disabled storage: the fetched value still applies to this session.
    }
    return config;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
};

/**
 * The last configuration fetched on this device, read synchronously so that
 * notes opened at start-up (before `/config.json` answers, or offline) use
 * the deployment's ICE servers right away.
 */
export const cachedSyncConfig = (env: Pick<SyncConfigEnvironment, 'storage'> = browserEnvironment()): SyncConfig =>
  readCached(env.storage) ?? DEFAULT_SYNC_CONFIG;

const browserEnvironment = (): SyncConfigEnvironment => {
  let storage: Storage | null = null;
  try {
    storage = globalThis.localStorage ?? null;
  } catch {
    // Accessing localStorage throws when storage is blocked.
  }
  return { fetch: (url, init) => globalThis.fetch(url, init), storage };
};
