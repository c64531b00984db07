import { describe, expect, it } from 'vitest';
import { cacheControlFor } from '../../../server/cacheControlFor.js';
import { mimeTypeFor } from '../../../server/mimeTypeFor.js';
import { resolveRequestPath } from '../../../server/resolveRequestPath.js';

describe('resolveRequestPath', () => {
  it('decodes segments once and drops query, fragment, empty segments and the trailing slash', () => {
    expect(resolveRequestPath('/')).toEqual({ ok: true, segments: [], pathname: '/' });
    expect(resolveRequestPath('/note/a%20b/?x=1#y')).toEqual({
      ok: true,
      segments: ['note', 'a b'],
      pathname: '/note/a b',
    });
    expect(resolveRequestPath('//assets//x.js')).toEqual({ ok: true, segments: ['assets', 'x.js'], pathname: '/assets/x.js' });
    // Double encoding stays literal after the single decode.
    expect(resolveRequestPath('/%252e%252e')).toEqual({ ok: true, segments: ['%2e%2e'], pathname: '/%2e%2e' });
  });

  it.each([
    '/..',
    '/.',
    '/a/../b',
    '/%2e%2e/x',
    '/%2E%2e/x',
    '/%2e/x',
    '/a%2f..%2fb',
    '/a%2Fb',
    '/a%5cb',
    '/a\\b',
    '/a%00',
    '/%',
    '/%zz',
    'relative',
    'http://example.org/x',
    '*',
    '',
  ])('rejects %j with 400', (url) => {
    expect(resolveRequestPath(url)).toEqual({ ok: false, status: 400 });
  });

  it('treats dotfiles as not found', () => {
    expect(resolveRequestPath('/.git/config')).toEqual({ ok: false, status: 404 });
    expect(resolveRequestPath('/%2eenv')).toEqual({ ok: false, status: 404 });
  });
});

describe('cacheControlFor and mimeTypeFor', () => {
  it('caches only hashed assets forever', () => {
    expect(cacheControlFor('/assets/index-CF37NF1f.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('/assets/logo.svg')).toBe('no-cache');
    expect(cacheControlFor('/index.html')).toBe('no-cache');
    expect(cacheControlFor('/workbox-5ffe50d4.js')).toBe('no-cache');
    expect(cacheControlFor('/assets/workbox-window.prod.es5-BIl4cyR9.js')).toBe('no-cache');
  });

  it('types files by extension, case-insensitively, with a safe default', () => {
    expect(mimeTypeFor('a.MJS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('m.webmanifest')).toBe('application/manifest+json; charset=utf-8');
    expect(mimeTypeFor('favicon.ico')).toBe('image/x-icon');
    expect(mimeTypeFor('noext')).toBe('application/octet-stream');
  });
});
