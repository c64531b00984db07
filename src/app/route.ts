/**
 * In-app routes live in the URL fragment (`#/note/<id>`), never in the path,
 * so that the server that delivers the app never sees which note is open —
 * the same reason share links carry their secret in the fragment.
 */
export type Route =
  | { kind: 'home' }
  | { kind: 'note'; noteId: string }
  /** A share link (`#/join/...` style, parsed by the sync layer); handled once, then replaced by a note route. */
  | { kind: 'share'; fragment: string }
  | { kind: 'invalid'; message: string };

/** Note ids are base64url strings of a bounded length (see src/doc/noteId.ts). */
const NOTE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const NOTE_PREFIX = '#/note/';

/** The fragment of the route to a local note. */
export function noteHref(noteId: string): string {
  return `${NOTE_PREFIX}${noteId}`;
}

/**
 * Parses `location.hash` into a route. Anything that looks like a note link but
 * is not well-formed is an `invalid` route with a plain message, so the UI can
 * say so instead of half-opening something.
 */
export function parseRoute(hash: string, isShareFragment: (hash: string) => boolean): Route {
  if (hash === '' || hash === '#' || hash === '#/') return { kind: 'home' };
  if (hash.startsWith(NOTE_PREFIX)) {
    const id = hash.slice(NOTE_PREFIX.length);
    if (NOTE_ID_PATTERN.test(id)) return { kind: 'note', noteId: id };
    return { kind: 'invalid', message: 'This note link is malformed: the note id is missing or has invalid characters.' };
  }
  if (isShareFragment(hash)) return { kind: 'share', fragment: hash };
  return { kind: 'invalid', message: 'This link is not a Weft note link.' };
}
