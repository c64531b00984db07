/**
 * Turns a raw HTTP request target into safe path segments — pure, so the traversal rules
 * are unit-testable. Each segment is percent-decoded exactly once and then checked, so
 * encoded tricks (`%2e%2e`, `%2f`, `%5c`, `%00`) are caught after decoding; the result can
 * only name something inside the static root.
 */

/** A request path that may be looked up under the static root. */
export interface ResolvedPath {
  ok: true;
  /** Decoded, non-empty segments, none of them `.`/`..`, hidden, or containing separators/NUL. */
  segments: string[];
  /** `/` + segments joined by `/` (trailing slash dropped). */
  pathname: string;
}

/** A request path that must not be served, with the HTTP status to answer. */
export interface RejectedPath {
  ok: false;
  status: 400 | 404;
}

/** Characters that may never appear in a decoded segment. */
const FORBIDDEN_IN_SEGMENT = /[/\\\0]/;

/** Parses the request target (`req.url`) into path segments, or rejects it. */
export function resolveRequestPath(rawUrl: string): ResolvedPath | RejectedPath {
  // Only origin-form targets ("/path?query"); absolute-form and "*" are not for us.
  if (!rawUrl.startsWith('/')) return { ok: false, status: 400 };
  const end = rawUrl.search(/[?#]/);
  const rawPath = end === -1 ? rawUrl : rawUrl.slice(0, end);
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue; // "//" and the trailing slash carry no meaning here
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400 };
    }
    if (segment === '.' || segment === '..' || FORBIDDEN_IN_SEGMENT.test(segment)) return { ok: false, status: 400 };
    // Dotfiles (.env, .git…) are never part of a build: not found rather than served.
    if (segment.startsWith('.')) return { ok: false, status: 404 };
    segments.push(segment);
  }
  return { ok: true, segments, pathname: '/' + segments.join('/') };
}
