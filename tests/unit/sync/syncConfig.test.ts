import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SYNC_CONFIG,
  MAX_CONFIG_STRING_LENGTH,
  MAX_ICE_SERVERS,
  MAX_PEER_CONNECTIONS,
  MIN_PEER_CONNECTIONS,
  MAX_SIGNALING_URLS,
  MAX_URLS_PER_ICE_SERVER,
  SIGNALING_PATH,
  SYNC_CONFIG_PATH,
  SYNC_CONFIG_STORAGE_KEY,
  SYNC_CONFIG_TIMEOUT_MS,
  cachedSyncConfig,
  loadSyncConfig,
  parseSyncConfig,
  resolveSignalingUrls,
  type SyncConfigEnvironment,
} from '../../../src/sync/syncConfig';

const memoryStorage = (): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } => {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
};

describe('parseSyncConfig', () => {
  it('keeps valid entries and drops bad ones', () => {
    const config = parseSyncConfig({
      iceServers: [
        { urls: 'stun:stun.example.org:3478' },
        { urls: ['turn:turn.example.org', 'http://not-ice', 5], username: 'u', credential: 'p' },
        { urls: 'turns:t.example.org', username: 'only-user' }, // half a credential pair
        { urls: [] },
        'stun:bare-string',
        null,
        { urls: 'javascript:alert(1)' },
      ],
      signaling: ['wss://signal.example.org/signal', 'ws://lan:8080/signal', 'https://not-ws', 'garbage', 7, 'wss://signal.example.org/signal'],
    });
    expect(config.iceServers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      { urls: ['turn:turn.example.org'], username: 'u', credential: 'p' },
    ]);
    expect(config.signaling).toEqual(['wss://signal.example.org/signal', 'ws://lan:8080/signal']);
  });

  it('falls back to empty lists for wrong shapes and caps list lengths', () => {
    for (const bad of [null, 'x', 3, [], { iceServers: 'x', signaling: {} }]) expect(parseSyncConfig(bad)).toEqual(DEFAULT_SYNC_CONFIG);
    const many = parseSyncConfig({ iceServers: Array.from({ length: 50 }, (_, i) => ({ urls: `stun:s${i}` })) });
    expect(many.iceServers).toHaveLength(MAX_ICE_SERVERS);
  });

  it('takes a connection cap only as a whole number in its range; anything else leaves the app’s default', () => {
    expect(parseSyncConfig({ maxPeerConnections: 4 }).maxPeerConnections).toBe(4);
    expect(parseSyncConfig({ maxPeerConnections: MIN_PEER_CONNECTIONS }).maxPeerConnections).toBe(MIN_PEER_CONNECTIONS);
    expect(parseSyncConfig({ maxPeerConnections: MAX_PEER_CONNECTIONS }).maxPeerConnections).toBe(MAX_PEER_CONNECTIONS);
    for (const bad of [0, MAX_PEER_CONNECTIONS + 1, 2.5, '4', null, Infinity, -3]) {
      expect('maxPeerConnections' in parseSyncConfig({ maxPeerConnections: bad }), String(bad)).toBe(false);
    }
  });
});

describe('resolveSignalingUrls', () => {
  it('puts same-origin /signal first with the matching scheme, then extras, without duplicates', () => {
    expect(resolveSignalingUrls({ protocol: 'https:', host: 'weft.example' }, { iceServers: [], signaling: ['wss://weft.example/signal', 'wss://b/signal'] })).toEqual([
      'wss://weft.example/signal',
      'wss://b/signal',
    ]);
    expect(resolveSignalingUrls({ protocol: 'http:', host: 'localhost:4173' }, DEFAULT_SYNC_CONFIG)).toEqual(['ws://localhost:4173/signal']);
    expect(resolveSignalingUrls({ protocol: 'file:', host: '' }, DEFAULT_SYNC_CONFIG)).toEqual([]);
  });
});

describe('loadSyncConfig', () => {
  const response = (body: unknown, ok = true): Response =>
    ({ ok, status: ok ? 200 : 500, json: async () => body }) as unknown as Response;

  it('fetches, validates and caches', async () => {
    const storage = memoryStorage();
    const config = await loadSyncConfig({ fetch: async () => response({ iceServers: [{ urls: 'stun:a' }], signaling: [] }), storage });
    expect(config.iceServers).toEqual([{ urls: ['stun:a'] }]);
    expect(JSON.parse(storage.data.get(SYNC_CONFIG_STORAGE_KEY)!)).toEqual(config);
  });

  it('uses the cached value when offline, on HTTP errors and on bad JSON', async () => {
    const storage = memoryStorage();
    storage.setItem(SYNC_CONFIG_STORAGE_KEY, JSON.stringify({ iceServers: [{ urls: ['stun:cached'] }], signaling: [] }));
    const failures: SyncConfigEnvironment['fetch'][] = [
      async () => {
        throw new TypeError('Failed to fetch');
      },
      async () => response({}, false),
      async () => ({ ok: true, status: 200, json: async () => JSON.parse('{') }) as unknown as Response,
    ];
    for (const fetch of failures) {
      expect((await loadSyncConfig({ fetch, storage })).iceServers).toEqual([{ urls: ['stun:cached'] }]);
    }
  });

  it('times out and falls back to the default when nothing is cached or the cache is corrupt', async () => {
    const storage = memoryStorage();
    storage.setItem(SYNC_CONFIG_STORAGE_KEY, '{corrupt');
    const hanging: SyncConfigEnvironment['fetch'] = (_url, init) =>
      new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    expect(await loadSyncConfig({ fetch: hanging, storage, timeoutMs: 10 })).toEqual(DEFAULT_SYNC_CONFIG);
    expect(await loadSyncConfig({ fetch: hanging, storage: null, timeoutMs: 10 })).toEqual(DEFAULT_SYNC_CONFIG);
  });
});

describe('parseSyncConfig bounds (each limit and pattern checked at its edge)', () => {
  it('accepts stun:, stuns:, turn:, turns: only, as a whole URL without white space', () => {
    const urls = ['stun:a', 'stuns:b', 'turn:c', 'turns:d', 'xstun:e', 'stun:f g', 'stun:', 'stunx:h', ' stun:i'];
    const config = parseSyncConfig({ iceServers: urls.map((url) => ({ urls: url })) });
    expect(config.iceServers).toEqual([{ urls: ['stun:a'] }, { urls: ['stuns:b'] }, { urls: ['turn:c'] }, { urls: ['turns:d'] }]);
  });

  it('keeps at most MAX_URLS_PER_ICE_SERVER urls per entry, counting only valid ones', () => {
    const urls = ['http://bad', ...Array.from({ length: MAX_URLS_PER_ICE_SERVER + 2 }, (_, i) => `stun:s${i}`)];
    expect(parseSyncConfig({ iceServers: [{ urls }] }).iceServers).toEqual([{ urls: urls.slice(1, 1 + MAX_URLS_PER_ICE_SERVER) }]);
  });

  it('accepts strings up to MAX_CONFIG_STRING_LENGTH, refuses longer and empty ones', () => {
    const url = (length: number): string => `stun:${'a'.repeat(length - 5)}`;
    const longest = url(MAX_CONFIG_STRING_LENGTH);
    expect(parseSyncConfig({ iceServers: [{ urls: [longest, url(MAX_CONFIG_STRING_LENGTH + 1)] }] }).iceServers).toEqual([{ urls: [longest] }]);
    const user = 'u'.repeat(MAX_CONFIG_STRING_LENGTH);
    expect(parseSyncConfig({ iceServers: [{ urls: 'turn:t', username: user, credential: 'p' }] }).iceServers).toEqual([
      { urls: ['turn:t'], username: user, credential: 'p' },
    ]);
    const halfBad: Array<[string, string]> = [
      [`${user}u`, 'p'],
      ['u', `${user}p`],
      ['', 'p'],
      ['u', ''],
    ];
    for (const [username, credential] of halfBad) {
      expect(parseSyncConfig({ iceServers: [{ urls: 'turn:t', username, credential }] }).iceServers, `${username.length}/${credential.length}`).toEqual([]);
    }
    const ws = `wss://h/${'s'.repeat(MAX_CONFIG_STRING_LENGTH - 8)}`;
    expect(parseSyncConfig({ signaling: [ws, `${ws}s`, ''] }).signaling).toEqual([ws]);
  });

  it('drops an entry with only a credential, or a credential that is not a string', () => {
    const config = parseSyncConfig({
      iceServers: [
        { urls: 'turn:a', credential: 'p' },
        { urls: 'turn:b', username: 'u', credential: 5 },
        { urls: 'turn:c', username: 5, credential: 'p' },
        { urls: 'stun:d', username: undefined, credential: undefined },
      ],
    });
    expect(config.iceServers).toEqual([{ urls: ['stun:d'] }]);
  });

  it('keeps the first MAX_SIGNALING_URLS distinct signaling URLs, normalized, duplicates removed before the cap', () => {
    const signaling = ['WSS://A/signal', 'wss://a/signal', 'ws://b', 'ws://c', 'ws://d', 'ws://e'];
    expect(parseSyncConfig({ signaling }).signaling).toEqual(['wss://a/signal', 'ws://b/', 'ws://c/', 'ws://d/']);
    expect(MAX_SIGNALING_URLS).toBe(4);
  });

  it('keeps only valid ICE servers toward the cap: invalid ones do not use it up', () => {
    const iceServers = [{ urls: 'http://bad' }, ...Array.from({ length: MAX_ICE_SERVERS }, (_, i) => ({ urls: `stun:s${i}` }))];
    expect(parseSyncConfig({ iceServers }).iceServers).toHaveLength(MAX_ICE_SERVERS);
  });
});

describe('resolveSignalingUrls edges', () => {
  it('adds no same-origin URL without a host or for other protocols, and drops duplicate extras', () => {
    const config = { iceServers: [], signaling: ['wss://x/signal', 'wss://x/signal'] };
    expect(resolveSignalingUrls({ protocol: 'http:', host: '' }, config)).toEqual(['wss://x/signal']);
    expect(resolveSignalingUrls({ protocol: 'ftp:', host: 'h' }, config)).toEqual(['wss://x/signal']);
    expect(resolveSignalingUrls({ protocol: 'https:', host: 'h:8443' }, DEFAULT_SYNC_CONFIG)).toEqual([`wss://h:8443${SIGNALING_PATH}`]);
  });
});

describe('loadSyncConfig environment', () => {
  const ok = (body: unknown): Response => ({ ok: true, status: 200, json: async () => body }) as unknown as Response;

  it(`asks ${SYNC_CONFIG_PATH} (or the given url) past the HTTP cache, with an abort signal`, async () => {
    const asked: Array<[string, RequestCache, boolean]> = [];
    const fetch: SyncConfigEnvironment['fetch'] = async (url, init) => {
      asked.push([url, init.cache, init.signal.aborted]);
      return ok({});
    };
    await loadSyncConfig({ fetch, storage: null });
    await loadSyncConfig({ fetch, storage: null, url: '/elsewhere.json' });
    expect(asked).toEqual([
      [SYNC_CONFIG_PATH, 'no-store', false],
      ['/elsewhere.json', 'no-store', false],
    ]);
  });

  it(`waits ${SYNC_CONFIG_TIMEOUT_MS} ms by default before giving up, and clears its timer when answered`, async () => {
    vi.useFakeTimers();
    try {
      let signal: AbortSignal | undefined;
      const hanging: SyncConfigEnvironment['fetch'] = (_url, init) => {
        signal = init.signal;
        return new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      };
      const pending = loadSyncConfig({ fetch: hanging, storage: null });
      await vi.advanceTimersByTimeAsync(SYNC_CONFIG_TIMEOUT_MS - 1);
      expect(signal?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(signal?.aborted).toBe(true);
      expect(await pending).toEqual(DEFAULT_SYNC_CONFIG);
      await loadSyncConfig({ fetch: async () => ok({}), storage: null });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('returns the fetched value when caching it throws, and ignores an empty cached string', async () => {
    const throwing = { getItem: () => '', setItem: () => { throw new DOMException('full', 'QuotaExceededError'); } };
    expect((await loadSyncConfig({ fetch: async () => ok({ iceServers: [{ urls: 'stun:fresh' }] }), storage: throwing })).iceServers).toEqual([{ urls: ['stun:fresh'] }]);
    expect(await loadSyncConfig({ fetch: async () => { throw new TypeError('offline'); }, storage: throwing })).toEqual(DEFAULT_SYNC_CONFIG);
  });
});

describe('cachedSyncConfig', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads the last fetched configuration synchronously, or the default', () => {
    const storage = memoryStorage();
    expect(cachedSyncConfig({ storage })).toEqual(DEFAULT_SYNC_CONFIG);
    storage.setItem(SYNC_CONFIG_STORAGE_KEY, JSON.stringify({ iceServers: [{ urls: 'turn:t', username: 'u', credential: 'p' }], signaling: ['wss://s'] }));
    expect(cachedSyncConfig({ storage })).toEqual({ iceServers: [{ urls: ['turn:t'], username: 'u', credential: 'p' }], signaling: ['wss://s/'] });
    storage.setItem(SYNC_CONFIG_STORAGE_KEY, '{corrupt');
    expect(cachedSyncConfig({ storage })).toEqual(DEFAULT_SYNC_CONFIG);
    expect(cachedSyncConfig({ storage: null })).toEqual(DEFAULT_SYNC_CONFIG);
  });

  it("uses the browser's localStorage by default, and the default when reading it throws", () => {
    const storage = memoryStorage();
    storage.setItem(SYNC_CONFIG_STORAGE_KEY, JSON.stringify({ iceServers: [{ urls: 'stun:from-local-storage' }] }));
    vi.stubGlobal('localStorage', storage);
    expect(cachedSyncConfig().iceServers).toEqual([{ urls: ['stun:from-local-storage'] }]);
    vi.stubGlobal('localStorage', { getItem: () => { throw new DOMException('blocked', 'SecurityError'); } });
    expect(cachedSyncConfig()).toEqual(DEFAULT_SYNC_CONFIG);
  });

  it('fetches through the global fetch by default', async () => {
    const asked: string[] = [];
    vi.stubGlobal('localStorage', memoryStorage());
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url);
      return { ok: true, status: 200, json: async () => ({ signaling: ['wss://global'] }) } as unknown as Response;
    });
    expect((await loadSyncConfig()).signaling).toEqual(['wss://global/']);
    expect(asked).toEqual([SYNC_CONFIG_PATH]);
  });
});
