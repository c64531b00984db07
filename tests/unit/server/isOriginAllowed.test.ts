import { describe, expect, it } from 'vitest';
import { isOriginAllowed, ownOrigins } from '../../../server/isOriginAllowed.js';

const req = (headers: Record<string, string>, encrypted = false) => ({ headers, socket: { encrypted } });
const none = new Set<string>();

describe('ownOrigins', () => {
  it('is the Host over https, and over http unless the request is known to have come over TLS', () => {
    expect(ownOrigins(req({ host: 'notes.example.org' }), 0)).toEqual(['https://notes.example.org', 'http://notes.example.org']);
    expect(ownOrigins(req({ host: 'Notes.Example.org:8080' }), 0)).toEqual([
      'https://notes.example.org:8080',
      'http://notes.example.org:8080',
    ]);
    expect(ownOrigins(req({ host: '[::1]:8080' }), 0)).toEqual(['https://[::1]:8080', 'http://[::1]:8080']);
    expect(ownOrigins(req({ host: 'notes.example.org' }, true), 0)).toEqual(['https://notes.example.org']);
  });

  it('believes X-Forwarded-Proto only from a trusted proxy', () => {
    const viaProxy = req({ host: 'notes.example.org', 'x-forwarded-proto': 'https' });
    expect(ownOrigins(viaProxy, 0)).toEqual(['https://notes.example.org', 'http://notes.example.org']);
    expect(ownOrigins(viaProxy, 1)).toEqual(['https://notes.example.org']);
    expect(ownOrigins(req({ host: 'notes.example.org', 'x-forwarded-proto': 'http' }), 1)).toHaveLength(2);
  });

  it('is nothing without a usable Host', () => {
    expect(ownOrigins(req({}), 0)).toEqual([]);
    for (const host of ['evil.example/x', 'user@evil.example', 'a b', '']) expect(ownOrigins(req({ host }), 0), host).toEqual([]);
  });
});

describe('isOriginAllowed', () => {
  it("accepts the server's own origin and listed ones, nothing else", () => {
    const listed = new Set(['https://app.example.org']);
    const host = 'notes.example.org';
    expect(isOriginAllowed(req({ host, origin: 'https://notes.example.org' }), none, 0)).toBe(true);
    expect(isOriginAllowed(req({ host, origin: 'http://notes.example.org' }), none, 0)).toBe(true);
    expect(isOriginAllowed(req({ host, origin: 'https://app.example.org' }), none, 0)).toBe(false);
    expect(isOriginAllowed(req({ host, origin: 'https://app.example.org' }), listed, 0)).toBe(true);
    expect(isOriginAllowed(req({ host, origin: 'https://notes.example.org:444' }), listed, 0)).toBe(false);
    expect(isOriginAllowed(req({ host }), listed, 0)).toBe(false);
    expect(isOriginAllowed(req({ host: 'notes.example.org', origin: 'http://notes.example.org' }, true), none, 0)).toBe(false);
  });

  it("accepts anything, even no Origin, when '*' is listed", () => {
    expect(isOriginAllowed(req({ origin: 'https://x.example' }), new Set(['*']), 0)).toBe(true);
    expect(isOriginAllowed(req({}), new Set(['*']), 0)).toBe(true);
  });
});
