import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_TURN_TTL_SECONDS,
  MIN_TURN_SECRET_LENGTH,
  defaultStaticDir,
  loadConfig,
} from '../../../server/config.js';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

describe('loadConfig', () => {
  it('has safe defaults', () => {
    expect(loadConfig({})).toEqual({
      port: DEFAULT_PORT,
      host: DEFAULT_HOST,
      staticDir: join(repoRoot, 'dist'),
      iceServers: [],
      signalingUrls: [],
      allowedOrigins: [],
      trustedProxyHops: 0,
      limits: {},
      serveSourceMaps: false,
      dataDir: resolve('data'),
      redisUrl: null,
      stunUrls: [],
      turn: null,
    });
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect(DEFAULT_PORT).toBe(8080);
  });

  it('finds the repository dist/ from the module location', () => {
    expect(defaultStaticDir()).toBe(join(repoRoot, 'dist'));
    expect(existsSync(join(defaultStaticDir(), '..', 'package.json'))).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '3000',
      HOST: '0.0.0.0',
      STATIC_DIR: 'some/dir',
      ICE_SERVERS: '[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:t.example.org"],"username":"u","credential":"p"}]',
      SIGNALING_URLS: ' wss://a.example.org/signal , ws://localhost:4444 ,',
      ALLOWED_ORIGINS: 'https://notes.example.org, http://localhost:8080/',
      TRUST_PROXY: '1',
      MAX_CONNECTIONS_PER_ADDRESS: '5000',
      MAX_TOPICS_PER_ADDRESS: '20000',
      SERVE_SOURCE_MAPS: '1',
      DATA_DIR: 'relay/here',
      REDIS_URL: 'redis://127.0.0.1:6380',
      MAX_PEER_CONNECTIONS: '4',
      STUN_URLS: 'stun:stun.example.org:3478, stuns:stun.example.org:5349',
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      TURN_SECRET: ' 0123456789abcdef0123 ',
      TURN_TTL: '600',
    });
    expect(config).toEqual({
      port: 3000,
      host: '0.0.0.0',
      staticDir: resolve('some/dir'),
      iceServers: [
        { urls: 'stun:stun.example.org:3478' },
        { urls: ['turn:t.example.org'], username: 'u', credential: 'p' },
      ],
      signalingUrls: ['wss://a.example.org/signal', 'ws://localhost:4444'],
      allowedOrigins: ['https://notes.example.org', 'http://localhost:8080'],
      trustedProxyHops: 1,
      limits: { maxConnectionsPerAddress: 5000, maxTopicsPerAddress: 20000 },
      serveSourceMaps: true,
      dataDir: resolve('relay/here'),
      redisUrl: 'redis://127.0.0.1:6380',
      maxPeerConnections: 4,
      stunUrls: ['stun:stun.example.org:3478', 'stuns:stun.example.org:5349'],
      turn: {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
        secret: '0123456789abcdef0123',
        ttlSeconds: 600,
      },
    });
    expect(loadConfig({ TURN_URLS: 'turn:t.example.org', TURN_SECRET: 'x'.repeat(MIN_TURN_SECRET_LENGTH) }).turn?.ttlSeconds).toBe(
      DEFAULT_TURN_TTL_SECONDS,
    );
    expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
    expect(loadConfig({}).maxPeerConnections).toBeUndefined();
    expect(loadConfig({ MAX_PEER_CONNECTIONS: '1' }).maxPeerConnections).toBe(1);
    expect(loadConfig({ MAX_PEER_CONNECTIONS: '64' }).maxPeerConnections).toBe(64);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustedProxyHops).toBe(0);
  });

  it.each([
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL must be/],
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ PORT: '-1' }, /PORT must be an integer/],
    [{ MAX_PEER_CONNECTIONS: '0' }, /MAX_PEER_CONNECTIONS must be an integer from 1 to 64/],
    [{ MAX_PEER_CONNECTIONS: '65' }, /MAX_PEER_CONNECTIONS must be an integer from 1 to 64/],
    [{ MAX_PEER_CONNECTIONS: 'four' }, /MAX_PEER_CONNECTIONS must be an integer/],
    [{ PORT: '80.5' }, /PORT must be an integer/],
    [{ HOST: 'local host' }, /HOST must be/],
    [{ ICE_SERVERS: 'stun:x' }, /not valid JSON/],
    [{ ICE_SERVERS: '{"urls":"stun:x"}' }, /not an array/],
    [{ ICE_SERVERS: '["stun:x"]' }, /ICE_SERVERS\[0\] must be an object/],
    [{ ICE_SERVERS: '[{"url":"stun:x"}]' }, /unknown key "url"/],
    [{ ICE_SERVERS: '[{"urls":[]}]' }, /urls must be/],
    [{ ICE_SERVERS: '[{"urls":"http://x"}]' }, /stun:, stuns:, turn: or turns:/],
    [{ ICE_SERVERS: '[{"urls":"turn:x","credential":5}]' }, /credential must be a string/],
    [{ SIGNALING_URLS: 'not a url' }, /SIGNALING_URLS: "not a url" is not a URL/],
    [{ SIGNALING_URLS: 'https://x.example.org' }, /must start with ws:\/\/ or wss:\/\//],
    [{ ALLOWED_ORIGINS: 'notes.example.org' }, /is not an origin/],
    [{ ALLOWED_ORIGINS: 'https://notes.example.org/app' }, /is not an origin/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY must be an integer from 0 to 10/],
    [{ TRUST_PROXY: '11' }, /TRUST_PROXY must be an integer from 0 to 10/],
    [{ MAX_CONNECTIONS_PER_ADDRESS: '0' }, /MAX_CONNECTIONS_PER_ADDRESS must be an integer of at least 1/],
    [{ MAX_TOPICS_PER_ADDRESS: 'lots' }, /MAX_TOPICS_PER_ADDRESS must be an integer of at least 1/],
    [{ SERVE_SOURCE_MAPS: 'yes' }, /SERVE_SOURCE_MAPS must be an integer from 0 to 1/],
    [{ STUN_URLS: 'turn:t.example.org' }, /STUN_URLS: "turn:t.example.org" must be a URL like stun:/],
    [{ STUN_URLS: 'stun.example.org:3478' }, /STUN_URLS: .* must be a URL like stun:/],
    [{ TURN_URLS: 'stun:s.example.org', TURN_SECRET: 'x'.repeat(32) }, /TURN_URLS: "stun:s.example.org" must be a URL like turn:/],
    [{ TURN_URLS: 'turn:t.example.org' }, /TURN_URLS needs TURN_SECRET/],
    [{ TURN_SECRET: 'x'.repeat(32) }, /TURN_SECRET is set but TURN_URLS is not/],
    [{ TURN_URLS: 'turn:t.example.org', TURN_SECRET: 'short' }, /TURN_SECRET must be at least 16 characters/],
    [{ TURN_URLS: 'turn:t.example.org', TURN_SECRET: 'x'.repeat(32), TURN_TTL: '59' }, /TURN_TTL must be an integer from 60 to 604800/],
    [{ TURN_URLS: 'turn:t.example.org', TURN_SECRET: 'x'.repeat(32), TURN_TTL: '1h' }, /TURN_TTL must be an integer/],
  ])('refuses %o with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never quotes TURN_SECRET in an error', () => {
    const secret = 'tiny-secret';
    try {
      loadConfig({ TURN_URLS: 'turn:t.example.org', TURN_SECRET: secret });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });
});
