/**
 * URL rules for links in notes. Link nodes arrive from peers through the Yjs
 * document, so their URLs are attacker-controlled: everything here is an
 * allow-list, never a block-list.
 */

/** The only URL schemes a note may render as a clickable link. */
export const SAFE_LINK_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);

/** What a blocked link's URL is replaced with where a string is required (Lexical's own convention). */
export const BLOCKED_URL = 'about:blank';

// C0 controls, DEL and C1 controls. Browsers silently drop tabs and newlines
// inside URLs (so `java\tscript:` navigates as `javascript:`); rather than
// reproduce the URL parser's cleanup rules, a URL containing any of them is
// refused outright. No legitimate link needs one.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * The href to render for a link's stored URL, or `null` when the link must not
 * be clickable. Only absolute `http:`, `https:` and `mailto:` URLs pass;
 * `javascript:`, `data:`, `vbscript:`, relative, protocol-relative and
 * unparsable URLs all give `null`.
 *
 * The result is the URL parser's own serialization, so what lands in the DOM
 * is exactly what was checked (no second, different parse by the browser).
 */
export function safeLinkHref(url: unknown): string | null {
  // A peer's document may hold any value where a URL belongs.
  if (typeof url !== 'string') return null;
  const trimmed = url.trim();
  if (trimmed === '' || CONTROL_CHARACTERS.test(trimmed)) return null;
  let parsed: URL;
  try {
    // No base URL on purpose: a relative URL would otherwise resolve against
    // the app's origin and could point at app routes (share links, etc.).
    parsed = new URL(trimmed);
  } catch {
    return null;
  }
  if (!SAFE_LINK_PROTOCOLS.has(parsed.protocol)) return null;
  if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname === '') {
    return null;
  }
  return parsed.href;
}

/** True when {@link safeLinkHref} accepts the URL. */
export function isSafeLinkUrl(url: unknown): boolean {
  return safeLinkHref(url) !== null;
}

/**
 * Turns what a user typed into the link form into a URL to store, or `null`
 * when it cannot become a safe link. Adds the scheme people usually leave out
 * (`example.com` → `https://example.com/`, `me@example.com` → `mailto:`), but
 * never rescues an explicit unsafe scheme.
 */
export function toLinkUrl(input: string): string | null {
  const trimmed = input.trim();
  if (trimmed === '') return null;
  const looksLikeHostPort = /^(localhost|[^:/?#]+\.[^:/?#]+):\d+(?:[/?#]|$)/i.test(trimmed);
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !looksLikeHostPort) {
    // An explicit scheme: take it or leave it.
    return safeLinkHref(trimmed);
  }
  if (trimmed.startsWith('/') || trimmed.startsWith('.') || trimmed.startsWith('#')) {
    // Relative references have no meaning inside a note that travels between peers.
    return null;
  }
  if (/^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(trimmed)) return safeLinkHref(`mailto:${trimmed}`);
  return safeLinkHref(`https://${trimmed}`);
}
