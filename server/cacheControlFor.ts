import { posix } from 'node:path';

/** One year: the customary lifetime of content-hashed assets. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Always revalidate (cheap with ETag): the files that decide which version of the app runs. */
const NO_CACHE = 'no-cache';

/** App-shell files whose names never change across builds. */
const UNHASHED_SHELL = new Set(['index.html', 'sw.js', 'registerSW.js', 'manifest.webmanifest']);
/** Vite names hashed assets `name-<hash>.ext` (hash: 8+ base64url characters). */
const HASHED_NAME = /[-.][A-Za-z0-9_-]{8,}\.[A-Za-z0-9.]+$/;

/**
 * The Cache-Control for a request path (decoded, starting with `/`). Only content-hashed
 * files under `/assets/` are cached forever; everything else revalidates, so a deploy is
 * never hidden behind a stale shell (the service worker does the offline caching).
 */
export function cacheControlFor(pathname: string): string {
  const name = posix.basename(pathname);
  if (UNHASHED_SHELL.has(name) || /^workbox-.*\.js$/.test(name)) return NO_CACHE;
  if (pathname.startsWith('/assets/') && HASHED_NAME.test(name)) return IMMUTABLE;
  return NO_CACHE;
}
