import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FIRST_RETRY_MS, MIN_REFRESH_MS, SyncConfigSource } from '../../../src/sync/SyncConfigSource';
import { DEFAULT_SYNC_CONFIG, hasTurn, parseSyncConfig, type SyncConfig } from '../../../src/sync/syncConfig';

/** A configuration as the server sends it with TURN: credential `n`, valid `ttl` seconds. */
const minted = (n: number, ttl = 3600): SyncConfig =>
  parseSyncConfig({ iceServers: [{ urls: 'turn:turn.example.org', username: `${n}:id`, credential: `c${n}` }], signaling: [], iceCredentialTtl: ttl });

const credentialOf = (config: SyncConfig) => config.iceServers[0]?.credential;

describe('SyncConfigSource', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('uses the cached configuration until the first fetch answers, then the fetched one', async () => {
    const cached = minted(0);
    let answer: (config: SyncConfig | null) => void = () => undefined;
    const source = new SyncConfigSource({ initial: cached, fetch: () => new Promise((resolve) => (answer = resolve)) });
    source.start();
    expect(source.current()).toBe(cached);
    const changed = vi.fn();
    source.subscribe(changed);
    answer(minted(1));
    await vi.waitFor(() => expect(credentialOf(source.current())).toBe('c1'));
    expect(changed).toHaveBeenCalledTimes(1);
    source.destroy();
  });

  it('fetches fresh credentials at half their lifetime, again and again', async () => {
    let n = 0;
    const fetch = vi.fn(async () => minted(++n, 600));
    const source = new SyncConfigSource({ initial: DEFAULT_SYNC_CONFIG, fetch });
    source.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(credentialOf(source.current())).toBe('c1');
    await vi.advanceTimersByTimeAsync(300_000 - 1);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(credentialOf(source.current())).toBe('c2');
    await vi.advanceTimersByTimeAsync(300_000);
    expect(credentialOf(source.current())).toBe('c3');
    source.destroy();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('never refreshes faster than MIN_REFRESH_MS, and not at all for a static configuration', async () => {
    const shortLived = vi.fn(async () => minted(1, 2));
    const a = new SyncConfigSource({ initial: DEFAULT_SYNC_CONFIG, fetch: shortLived });
    a.start();
    await vi.advanceTimersByTimeAsync(MIN_REFRESH_MS - 1);
    expect(shortLived).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(shortLived).toHaveBeenCalledTimes(2);
    a.destroy();

    const staticConfig = vi.fn(async () => parseSyncConfig({ iceServers: [{ urls: 'stun:s.example.org' }] }));
    const b = new SyncConfigSource({ initial: DEFAULT_SYNC_CONFIG, fetch: staticConfig });
    b.start();
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(staticConfig).toHaveBeenCalledTimes(1);
    b.destroy();
  });

  it('keeps the last good configuration when a fetch fails, retries with backoff and when the browser comes online', async () => {
    const answers: (SyncConfig | null | Error)[] = [minted(1), null, new Error('offline'), minted(2)];
    const fetch = vi.fn(async () => {
      const next = answers.shift() ?? null;
      if (next instanceof Error) throw next;
      return next;
    });
    let online: () => void = () => undefined;
    const source = new SyncConfigSource({
      initial: DEFAULT_SYNC_CONFIG,
      fetch,
      onOnline: (listener) => {
        online = listener;
        return () => (online = () => undefined);
      },
    });
    source.start();
    await vi.advanceTimersByTimeAsync(1_800_000); // the scheduled refresh: fails (null)
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(credentialOf(source.current())).toBe('c1');
    await vi.advanceTimersByTimeAsync(FIRST_RETRY_MS); // retry: throws
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(credentialOf(source.current())).toBe('c1');
    online(); // does not wait for the doubled backoff
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(4);
    expect(credentialOf(source.current())).toBe('c2');
    source.destroy();
    online();
    expect(fetch).toHaveBeenCalledTimes(4);
  });
});

describe('hasTurn', () => {
  it('is true only for a turn:/turns: server with credentials', () => {
    expect(hasTurn(minted(1))).toBe(true);
    expect(hasTurn(parseSyncConfig({ iceServers: [{ urls: 'stun:s.example.org' }] }))).toBe(false);
    expect(hasTurn(parseSyncConfig({ iceServers: [{ urls: ['stun:s', 'turns:t'], username: 'u', credential: 'c' }] }))).toBe(true);
    expect(hasTurn(DEFAULT_SYNC_CONFIG)).toBe(false);
  });

  it('parses iceCredentialTtl only as a whole number of seconds in range', () => {
    expect(parseSyncConfig({ iceCredentialTtl: 600 }).iceCredentialTtl).toBe(600);
    for (const bad of [0, -1, 1.5, '600', 8 * 24 * 3600, null]) expect('iceCredentialTtl' in parseSyncConfig({ iceCredentialTtl: bad })).toBe(false);
  });
});
