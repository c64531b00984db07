/** Short-lived TURN credentials (TURN REST API, coturn's use-auth-secret) and their delivery in /config.json. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { iceServersFor, mintTurnCredential, type TurnConfig } from '../../../server/turnCredentials.js';
import { cleanup, makeTempDir, rawRequest, startServer } from './serverTestKit.js';

const SECRET = 'north-secret-0123456789';
const TURN: TurnConfig = { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], secret: SECRET, ttlSeconds: 3600 };

afterEach(cleanup);

describe('mintTurnCredential', () => {
  it('matches the TURN REST API: username "<expiry>:<id>", password base64(HMAC-SHA1(secret, username))', () => {
    // Computed apart (Python's hmac) for this secret and username.
    expect(mintTurnCredential(SECRET, 3600, 1_700_000_000_000, 'abc')).toEqual({
      username: '1700003600:abc',
      credential: 'GMUVfinps2M+LKk0wTuNKFOW/NU=',
    });
  });

  it('sets the expiry to now + ttl in whole unix seconds, with a fresh random id each time', () => {
    const now = 1_700_000_000_999;
    const a = mintTurnCredential(SECRET, 600, now);
    const b = mintTurnCredential(SECRET, 600, now);
    const [expiry, id] = a.username.split(':');
    expect(Number(expiry)).toBe(1_700_000_600);
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(b.username).not.toBe(a.username);
    expect(b.credential).toBe(createHmac('sha1', SECRET).update(b.username).digest('base64'));
  });
});

describe('iceServersFor', () => {
  it('lists STUN, then TURN with a minted credential, then the static ICE_SERVERS', () => {
    const servers = iceServersFor(
      { stunUrls: ['stun:stun.example.org'], turn: TURN, iceServers: [{ urls: 'stun:other.example.org' }] },
      1_700_000_000_000,
    );
    expect(servers).toHaveLength(3);
    expect(servers[0]).toEqual({ urls: ['stun:stun.example.org'] });
    expect(servers[1]).toMatchObject({ urls: TURN.urls, username: expect.stringMatching(/^1700003600:/) as unknown });
    expect(servers[2]).toEqual({ urls: 'stun:other.example.org' });
  });

  it('adds nothing when nothing is configured', () => {
    expect(iceServersFor({ stunUrls: [], turn: null, iceServers: [] }, 0)).toEqual([]);
  });
});

describe('/config.json with TURN', () => {
  it('mints a credential per request, says how long it lasts, is never cached and never contains the secret', async () => {
    let now = 1_700_000_000_000;
    const { port } = await startServer({ staticDir: makeTempDir(), stunUrls: ['stun:stun.example.org'], turn: TURN, now: () => now });
    const first = await rawRequest(port, '/config.json');
    now += 5_000;
    const second = await rawRequest(port, '/config.json');
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).not.toContain(SECRET);
    }
    const a = JSON.parse(first.body) as { iceServers: { urls: string[]; username?: string; credential?: string }[]; iceCredentialTtl: number };
    const b = JSON.parse(second.body) as typeof a;
    expect(a.iceCredentialTtl).toBe(3600);
    expect(a.iceServers[0]).toEqual({ urls: ['stun:stun.example.org'] });
    const turnA = a.iceServers[1]!;
    const turnB = b.iceServers[1]!;
    expect(turnA.urls).toEqual(TURN.urls);
    expect(turnA.username).toMatch(/^1700003600:/);
    expect(turnB.username).toMatch(/^1700003605:/);
    expect(turnA.credential).toBe(createHmac('sha1', SECRET).update(turnA.username!).digest('base64'));
    expect(turnB.credential).toBe(createHmac('sha1', SECRET).update(turnB.username!).digest('base64'));
  });

  it('keeps the static body and no-cache without TURN', async () => {
    const { port } = await startServer({ staticDir: makeTempDir(), stunUrls: ['stun:stun.example.org'] });
    const res = await rawRequest(port, '/config.json');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(res.body)).toEqual({ iceServers: [{ urls: ['stun:stun.example.org'] }], signaling: [] });
  });
});
