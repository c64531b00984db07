import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SYNC_CONFIG,
  MAX_ICE_SERVERS,
  SYNC_CONFIG_STORAGE_KEY,
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
