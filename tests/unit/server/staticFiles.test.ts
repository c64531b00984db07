/** Serving the built app: routing, traversal, types, caching, compression, security headers. */
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { precompressDirectory } from '../../../server/precompress.js';
import { CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY } from '../../../server/securityHeaders.js';
import { cleanup, makeTempDir, rawRequest, startServer, type RawResponse } from './serverTestKit.js';

const SECRET = 'TOP-SECRET-outside-the-static-root';
const INDEX = '<!doctype html><title>Weft</title>';

/** A fake build in `<tmp>/site`, with a secret file next to it that must never be served. */
function makeSite(): string {
  const root = makeTempDir();
  writeFileSync(join(root, 'package.json'), JSON.stringify({ secret: SECRET }));
  const site = join(root, 'site');
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), INDEX);
  writeFileSync(join(site, 'assets', 'index-CF37NF1f.js'), 'console.log(1)');
  writeFileSync(join(site, 'assets', 'index-CF37NF1f.js.map'), '{}');
  writeFileSync(join(site, 'assets', 'index-Dx_9-aB2.css'), 'body{}');
  writeFileSync(join(site, 'sw.js'), 'self');
  writeFileSync(join(site, 'registerSW.js'), 'navigator');
  writeFileSync(join(site, 'workbox-3e911b1d.js'), 'wb');
  writeFileSync(join(site, 'manifest.webmanifest'), '{"name":"Weft"}');
  writeFileSync(join(site, 'icon-192.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(site, 'favicon.svg'), '<svg/>');
  writeFileSync(join(site, 'robots.txt'), 'User-agent: *');
  writeFileSync(join(site, 'font.woff2'), 'w');
  writeFileSync(join(site, 'data.bin'), 'b');
  writeFileSync(join(site, '.env'), SECRET);
  symlinkSync(join(root, 'package.json'), join(site, 'link.json'));
  return site;
}

let port = 0;
const get = (path: string, options?: Parameters<typeof rawRequest>[2]): Promise<RawResponse> =>
  rawRequest(port, path, options);

function expectSecurityHeaders(res: RawResponse): void {
  expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers['permissions-policy']).toBe(PERMISSIONS_POLICY);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
}

afterEach(cleanup);

describe('static files', () => {
  beforeEach(async () => {
    ({ port } = await startServer({
      staticDir: makeSite(),
      iceServers: [{ urls: 'turn:turn.example.org:3478', username: 'u', credential: 'c' }],
      signalingUrls: ['wss://signal.example.org/signal'],
      maxPeerConnections: 4,
    }));
  });

  it('serves index.html at / with no-cache and the security headers', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(res);
  });

  it('has a CSP that allows the app and nothing more', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self' ws: wss:; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
        "form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('has a Permissions-Policy that denies the powerful features a notes app never uses', () => {
    const denied = new Set(PERMISSIONS_POLICY.split(', ').map((entry) => /^([a-z-]+)=\(\)$/.exec(entry)?.[1]));
    expect(denied.has(undefined), 'every entry is feature=()').toBe(false);
    for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb', 'serial', 'hid', 'midi', 'display-capture']) {
      expect(denied.has(feature), feature).toBe(true);
    }
    // The share dialog copies its link: the clipboard stays the page's own default.
    expect(PERMISSIONS_POLICY).not.toContain('clipboard');
  });

  it('does not serve source maps by default, nor name them', async () => {
    const map = await get('/assets/index-CF37NF1f.js.map');
    expect(map.status).toBe(404);
    expect(map.body).not.toContain('{}');
    expectSecurityHeaders(map);
    expect((await get('/assets/index-CF37NF1f.js.map', { method: 'HEAD' })).status).toBe(404);
    expect((await get('/assets/index-CF37NF1f.js')).headers.sourcemap).toBeUndefined();
  });

  it('falls back to index.html for deep links without an extension', async () => {
    for (const path of ['/note/abc', '/note/abc/', '/settings?x=1', '/note/%F0%9F%93%9D']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(INDEX);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('answers 404 for missing assets and any missing path with an extension', async () => {
    for (const path of ['/assets/index-missing1.js', '/assets/chunk', '/assets/', '/missing.png', '/note/x.json']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expectSecurityHeaders(res);
    }
  });

  it.each([
    ['/assets/index-CF37NF1f.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/index-Dx_9-aB2.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/sw.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/registerSW.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/workbox-3e911b1d.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8', 'no-cache'],
    ['/icon-192.png', 'image/png', 'no-cache'],
    ['/favicon.svg', 'image/svg+xml', 'no-cache'],
    ['/robots.txt', 'text/plain; charset=utf-8', 'no-cache'],
    ['/font.woff2', 'font/woff2', 'no-cache'],
    ['/data.bin', 'application/octet-stream', 'no-cache'],
  ])('serves %s as %s with Cache-Control %s', async (path, type, cache) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cache);
    expectSecurityHeaders(res);
  });

  it.each([
    '/../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/..%2fpackage.json',
    '/..%5cpackage.json',
    '/..\\package.json',
    '/index.html%00.png',
    '/%00',
    '/%E0%A4%A',
    'package.json',
  ])('refuses the traversal attempt %s with 400', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain(SECRET);
    expectSecurityHeaders(res);
  });

  it('never serves dotfiles or symlinks that leave the root', async () => {
    for (const path of ['/.env', '/link.json', '/%2eenv']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain(SECRET);
    }
    // A double-encoded dot-dot is a literal (missing) file name, not a traversal.
    const res = await get('/%252e%252e/package.json');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(SECRET);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get('/assets/index-CF37NF1f.js', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String('console.log(1)'.length));
    expect(res.body).toBe('');
  });

  it('answers other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const res = await get('/config.json', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow, method).toBe('GET, HEAD');
      expectSecurityHeaders(res);
    }
  });

  it('revalidates with ETag and Last-Modified (304)', async () => {
    const first = await get('/sw.js');
    const etag = first.headers.etag!;
    expect(etag).toBeTruthy();
    const byEtag = await get('/sw.js', { headers: { 'If-None-Match': etag } });
    expect(byEtag.status).toBe(304);
    expect(byEtag.body).toBe('');
    expect(byEtag.headers['cache-control']).toBe('no-cache');
    const byDate = await get('/sw.js', { headers: { 'If-Modified-Since': first.headers['last-modified']! } });
    expect(byDate.status).toBe(304);
    const stale = await get('/sw.js', { headers: { 'If-None-Match': 'W/"nope"' } });
    expect(stale.status).toBe(200);
  });

  it('serves /config.json with the ICE servers, extra signaling URLs and connection cap, uncached', async () => {
    const res = await get('/config.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(res.body)).toEqual({
      iceServers: [{ urls: 'turn:turn.example.org:3478', username: 'u', credential: 'c' }],
      signaling: ['wss://signal.example.org/signal'],
      maxPeerConnections: 4,
    });
    expectSecurityHeaders(res);
    const head = await get('/config.json?t=1', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers a plain GET of /signal with 426', async () => {
    const res = await get('/signal');
    expect(res.status).toBe(426);
  });
});

describe('source maps with SERVE_SOURCE_MAPS', () => {
  it('serves them and points to each from its script or style with a SourceMap header', async () => {
    ({ port } = await startServer({ staticDir: makeSite(), serveSourceMaps: true }));
    const map = await get('/assets/index-CF37NF1f.js.map');
    expect(map.status).toBe(200);
    expect(map.body).toBe('{}');
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(map.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/assets/index-CF37NF1f.js')).headers.sourcemap).toBe('index-CF37NF1f.js.map');
    // No map, no header.
    expect((await get('/assets/index-Dx_9-aB2.css')).headers.sourcemap).toBeUndefined();
    expect((await get('/sw.js')).headers.sourcemap).toBeUndefined();
  });
});

describe('static files without a build', () => {
  it('answers 503 saying to build, and keeps serving config and signaling', async () => {
    const { port: p } = await startServer({ staticDir: join(makeTempDir(), 'missing-dist') });
    for (const path of ['/', '/note/abc', '/assets/x.js']) {
      const res = await rawRequest(p, path);
      expect(res.status, path).toBe(503);
      expect(res.body).toContain('npm run build');
      expectSecurityHeaders(res);
    }
    expect((await rawRequest(p, '/config.json')).status).toBe(200);
  });

  it('starts serving once a build appears', async () => {
    const dir = makeTempDir();
    const { port: p } = await startServer({ staticDir: dir });
    expect((await rawRequest(p, '/')).status).toBe(503);
    writeFileSync(join(dir, 'index.html'), INDEX);
    expect((await rawRequest(p, '/')).body).toBe(INDEX);
  });
});

describe('precompressed copies (precompress.ts)', () => {
  /** ~10 KB of script: compressible, above the size threshold. */
  const SCRIPT = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i} * 2;`).join('\n');
  const PAGE = `<!doctype html><title>Weft</title>${'<p>Notes that work offline.</p>'.repeat(80)}`;
  let site = '';

  beforeEach(async () => {
    site = join(makeTempDir(), 'site');
    mkdirSync(join(site, 'assets'), { recursive: true });
    writeFileSync(join(site, 'index.html'), PAGE);
    writeFileSync(join(site, 'assets', 'index-CF37NF1f.js'), SCRIPT);
    writeFileSync(join(site, 'assets', 'index-CF37NF1f.js.map'), JSON.stringify({ mappings: SCRIPT }));
    writeFileSync(join(site, 'assets', 'tiny-Dx_9-aB2.css'), 'body{}');
    writeFileSync(join(site, 'icon.png'), Buffer.alloc(4096, 7));
    ({ port } = await startServer({ staticDir: site }));
  });

  const script = (encoding?: string, extra: Record<string, string> = {}) =>
    get('/assets/index-CF37NF1f.js', { headers: { ...(encoding === undefined ? {} : { 'Accept-Encoding': encoding }), ...extra } });

  it('writes .br and .gz copies of text files only, and only where they are smaller', async () => {
    const result = await precompressDirectory(site);
    expect(result.files).toBe(2); // the page and the script
    expect(result.brotliBytes).toBeLessThan(result.bytes / 3);
    expect(brotliDecompressSync(readFileSync(join(site, 'assets', 'index-CF37NF1f.js.br'))).toString()).toBe(SCRIPT);
    expect(gunzipSync(readFileSync(join(site, 'index.html.gz'))).toString()).toBe(PAGE);
    for (const skipped of ['assets/index-CF37NF1f.js.map', 'assets/tiny-Dx_9-aB2.css', 'icon.png']) {
      expect(existsSync(join(site, `${skipped}.br`)), skipped).toBe(false);
      expect(existsSync(join(site, `${skipped}.gz`)), skipped).toBe(false);
    }
  });

  it("serves the client's preferred coding, by q-value, Brotli first on a tie", async () => {
    await precompressDirectory(site);
    const cases: Array<[string | undefined, string | undefined]> = [
      ['gzip, deflate, br, zstd', 'br'], // what Chromium sends
      ['gzip', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['br;q=0, gzip;q=0.1', 'gzip'],
      ['*', 'br'],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['br;q=0, gzip;q=0', undefined],
      ['br;q=nonsense', undefined],
      ['identity', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [accept, expected] of cases) {
      const res = await script(accept);
      const label = `Accept-Encoding: ${accept}`;
      expect(res.status, label).toBe(200);
      expect(res.headers['content-encoding'], label).toBe(expected);
      expect(res.headers.vary, label).toBe('Accept-Encoding');
      expect(res.headers['content-type'], label).toBe('text/javascript; charset=utf-8');
      expect(res.headers['cache-control'], label).toBe('public, max-age=31536000, immutable');
      expect(Number(res.headers['content-length']), label).toBe(res.bytes.length);
      const decoded = expected === 'br' ? brotliDecompressSync(res.bytes) : expected === 'gzip' ? gunzipSync(res.bytes) : res.bytes;
      expect(decoded.toString(), label).toBe(SCRIPT);
    }
  });

  it('serves deep links the compressed app shell, and HEAD the compressed length', async () => {
    await precompressDirectory(site);
    const page = await get('/note/abc', { headers: { 'Accept-Encoding': 'br' } });
    expect(page.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(page.bytes).toString()).toBe(PAGE);
    const head = await script('br', {});
    const headOnly = await get('/assets/index-CF37NF1f.js', { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } });
    expect(headOnly.headers['content-length']).toBe(head.headers['content-length']);
    expect(headOnly.bytes.length).toBe(0);
  });

  it('gives each coding its own ETag, so revalidation never swaps one for the other', async () => {
    await precompressDirectory(site);
    const plain = await script();
    const br = await script('br');
    expect(br.headers.etag).not.toBe(plain.headers.etag);
    expect((await script('br', { 'If-None-Match': br.headers.etag! })).status).toBe(304);
    const other = await script(undefined, { 'If-None-Match': br.headers.etag! });
    expect(other.status).toBe(200);
    expect(other.body).toBe(SCRIPT);
  });

  it('ignores a copy older than its file (left over from an earlier build)', async () => {
    await precompressDirectory(site);
    const file = join(site, 'assets', 'index-CF37NF1f.js');
    const newer = statSync(`${file}.br`).mtime.getTime() / 1000 + 60;
    utimesSync(file, newer, newer);
    const res = await script('br, gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe(SCRIPT);
  });

  it('never serves a copy that is a symlink out of the root', async () => {
    const outside = join(site, '..', 'secret.br');
    writeFileSync(outside, SECRET);
    symlinkSync(outside, join(site, 'assets', 'index-CF37NF1f.js.br'));
    const res = await script('br');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe(SCRIPT);
  });

  it('serves files the build did not compress as they are, without Vary for images', async () => {
    await precompressDirectory(site);
    const css = await get('/assets/tiny-Dx_9-aB2.css', { headers: { 'Accept-Encoding': 'br' } });
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.body).toBe('body{}');
    const png = await get('/icon.png', { headers: { 'Accept-Encoding': 'br' } });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers.vary).toBeUndefined();
    expect(png.bytes.length).toBe(4096);
  });
});
