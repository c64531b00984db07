/**
 * Serves the built PWA from a directory: streamed files with the right type and cache
 * policy, ETag/Last-Modified revalidation, the build's precompressed copies (`.br`, `.gz`,
 * see precompress.ts) to browsers that accept them, and an SPA fallback so deep links
 * (`/note/abc`) load the app. The caller has already checked the method (GET/HEAD) and
 * resolved the request path with `resolveRequestPath`.
 *
 * Source maps (`*.map`) are 404 unless asked for (`serveSourceMaps`): they would hand
 * anyone the app's whole source with comments. The build makes them "hidden" (no
 * `sourceMappingURL` comment, see vite.config.ts), so nothing points at the missing
 * file; when they are served, scripts and styles name theirs in a `SourceMap` header.
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { acceptedEncodings } from './acceptedEncodings.js';
import { cacheControlFor } from './cacheControlFor.js';
import type { Logger } from './logger.js';
import { mimeTypeFor } from './mimeTypeFor.js';
import { PRECOMPRESSED_ENCODINGS, isCompressible } from './precompress.js';
import type { ResolvedPath } from './resolveRequestPath.js';
import { sendText } from './sendText.js';

/** Shown when the static directory holds no build. */
export const NOT_BUILT_MESSAGE = 'Weft has not been built yet: run `npm run build` (or `npm start`), then reload.';

/** Options of `createStaticHandler`. */
export interface StaticHandlerOptions {
  /** Serve `*.map` files (and point to them with `SourceMap`); default false: they are 404. */
  serveSourceMaps?: boolean;
}

/** A source map, by name. */
const SOURCE_MAP = /\.map$/i;
/** The files a build gives source maps to. */
const MAPPED = /\.(?:js|css)$/i;

/** Serves one request from the static root. Never rejects. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, path: ResolvedPath) => Promise<void>;

interface OpenFile {
  /** The resolved path (symlinks followed). */
  real: string;
  handle: FileHandle;
  stats: Stats;
}

const OFFERED_ENCODINGS = PRECOMPRESSED_ENCODINGS.map(({ token }) => token);

/** Opens `file` if it is a regular file that really lives under `realRoot` (symlinks included). */
async function openInside(realRoot: string, file: string): Promise<OpenFile | null> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return null;
  }
  if (!real.startsWith(realRoot + sep)) return null;
  let handle: FileHandle;
  try {
    // O_NOFOLLOW-free on purpose: `real` is already resolved; fstat below checks what was opened.
    handle = await open(real, constants.O_RDONLY);
  } catch {
    return null;
  }
  const stats = await handle.stat().catch(() => null);
  if (stats === null || !stats.isFile()) {
    await handle.close().catch(() => {});
    return null;
  }
  return { real, handle, stats };
}

/**
 * The build's compressed copy of `file` in the first of `encodings` that has one, or null.
 * A copy older than its file is left alone: it was made from an earlier build of it.
 */
async function openCompressed(
  realRoot: string,
  file: OpenFile,
  encodings: readonly string[],
): Promise<{ file: OpenFile; encoding: string } | null> {
  for (const encoding of encodings) {
    const suffix = PRECOMPRESSED_ENCODINGS.find((e) => e.token === encoding)?.suffix;
    if (suffix === undefined) continue;
    const copy = await openInside(realRoot, file.real + suffix);
    if (copy === null) continue;
    if (copy.stats.mtimeMs >= file.stats.mtimeMs) return { file: copy, encoding };
    await copy.handle.close().catch(() => {});
  }
  return null;
}

/** Whether a missing path should get the app shell: a navigation to a route, not a missing file. */
function isSpaRoute(path: ResolvedPath): boolean {
  const last = path.segments.at(-1);
  if (path.segments[0] === 'assets') return false;
  return last === undefined || !last.includes('.');
}

function isNotModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm.split(',').some((tag) => {
      const t = tag.trim();
      return t === '*' || t === etag || t.replace(/^W\//, '') === etag.replace(/^W\//, '');
    });
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have whole seconds.
    return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
  }
  return false;
}

/** Creates the handler for files under `root`. */
export function createStaticHandler(root: string, logger: Logger, options: StaticHandlerOptions = {}): StaticHandler {
  const serveSourceMaps = options.serveSourceMaps ?? false;
  return async (req, res, path) => {
    let file: OpenFile | null = null;
    try {
      let realRoot: string;
      let indexStats: Stats | null;
      try {
        realRoot = await realpath(root);
        indexStats = await stat(join(realRoot, 'index.html'));
      } catch {
        indexStats = null;
        realRoot = '';
      }
      // Checked per request so a build made while the server runs is picked up.
      if (indexStats === null || !indexStats.isFile()) {
        sendText(res, 503, NOT_BUILT_MESSAGE, { 'Retry-After': '10' });
        return;
      }

      let servedPath = path.pathname === '/' ? '/index.html' : path.pathname;
      if (!serveSourceMaps && SOURCE_MAP.test(servedPath)) {
        sendText(res, 404, 'Not found');
        return;
      }
      file = await openInside(realRoot, join(realRoot, ...servedPath.split('/').filter(Boolean)));
      if (file === null && isSpaRoute(path)) {
        servedPath = '/index.html';
        file = await openInside(realRoot, join(realRoot, 'index.html'));
      }
      if (file === null) {
        sendText(res, 404, 'Not found');
        return;
      }

      if (serveSourceMaps && MAPPED.test(servedPath)) {
        const map = await openInside(realRoot, `${file.real}.map`);
        if (map !== null) {
          await map.handle.close().catch(() => {});
          res.setHeader('SourceMap', `${basename(servedPath)}.map`);
        }
      }
      // The file's own: validators describe the file, whichever coding of it is sent.
      const { stats } = file;
      let encoding: string | null = null;
      if (isCompressible(servedPath)) {
        res.setHeader('Vary', 'Accept-Encoding');
        const accepted = acceptedEncodings(req.headers['accept-encoding'], OFFERED_ENCODINGS);
        const compressed = await openCompressed(realRoot, file, accepted);
        if (compressed !== null) {
          await file.handle.close().catch(() => {});
          ({ file, encoding } = compressed);
        }
      }
      // Each representation has its own tag (RFC 9110 §8.8.3): a cache must not answer a
      // request for one with the other.
      const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
      res.setHeader('Cache-Control', cacheControlFor(servedPath));
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', stats.mtime.toUTCString());
      if (isNotModified(req, etag, stats.mtimeMs)) {
        res.statusCode = 304;
        res.end();
        return;
      }
      res.statusCode = 200;
      res.setHeader('Content-Type', mimeTypeFor(servedPath));
      if (encoding !== null) res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', file.stats.size);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = file.handle.createReadStream({ autoClose: true });
      file = null; // the stream owns the handle now and closes it
      await pipeline(stream, res);
    } catch {
      // A client that goes away mid-stream lands here too: nothing to report to anyone.
      if (!res.headersSent) {
        sendText(res, 500, 'Internal error');
        logger.error('static file error');
      } else {
        res.destroy();
      }
    } finally {
      await file?.handle.close().catch(() => {});
    }
  };
}
