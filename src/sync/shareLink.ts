/**
 * Share links: the one format that carries a note id and its capability.
 *
 * Format version 2 (written; the keys issue):
 *
 * ```text
 * <origin>/#/share/v2/<noteId>/edit/<secret>                  edit link
 * <origin>/#/share/v2/<noteId>/view/<readKey>/<publicKey>     view-only link
 * ```
 *
 * Format version 1 (read, as an edit link: its secret is the same `s`):
 *
 * ```text
 * <origin>/#/share/v1/<noteId>/<secret>
 * ```
 *
 * - `readKey` and `publicKey` are 32 bytes each in canonical base64url (43
 *   characters): what noteKeys.ts derives from the secret. A view-only link
 *   lets its holder read and verify the note, never sign.
 *
 * - Everything after `#` is the URL fragment, which browsers never send to
 *   any server (not in requests, not in `Referer`).
 * - `noteId` and `secret` are each {@link ID_BYTES} = 16 random bytes (128 bits)
 *   encoded as unpadded base64url (RFC 4648 §5, alphabet `A–Z a–z 0–9 - _`),
 *   which is exactly {@link ENCODED_ID_LENGTH} = 22 characters. The encoding
 *   must be canonical: the last character carries only 2 significant bits, so
 *   it is one of `AEIMQUYcgkosw048`.
 * - `share` names the route and `v1` the format version; a future format gets
 *   a new version segment and this parser reports it as unsupported rather
 *   than guessing.
 * - Nothing else is allowed: no trailing slash, query, extra segment or
 *   percent-encoding.
 *
 * The in-app route for a local note is the app's business, not this module's.
 */
import { fromBase64UrlEncoded } from 'lib0/buffer';
import { BASE64URL_CHARS, CAPABILITY_KEY_BYTES, NOTE_ID_BYTES, base64UrlLength, isCanonicalBase64Url, viewCapability } from '../doc/noteId';

/** Length of a read key or public key in a view-only link. */
const ENCODED_KEY_LENGTH = base64UrlLength(CAPABILITY_KEY_BYTES);

/** Random bytes in a note id and in a share secret (128 bits each; ids and secrets are minted in src/doc/noteId.ts). */
export const ID_BYTES = NOTE_ID_BYTES;
/** Length of {@link ID_BYTES} bytes as unpadded base64url. */
export const ENCODED_ID_LENGTH = Math.ceil((ID_BYTES * 8) / 6);
/** Fragment route of a share link, before the version segment. */
export const SHARE_ROUTE = '/share/';
/** The version segment this module writes. */
export const SHARE_LINK_VERSION = 'v2';
/** The older version it still reads (an edit link). */
export const SHARE_LINK_V1 = 'v1';

/** Why a fragment is not a valid share link. `not-a-share-link` means "some other route": not an error to show. */
export type ShareLinkErrorCode =
  | 'not-a-share-link'
  | 'unsupported-version'
  | 'missing-note-id'
  | 'missing-secret'
  | 'extra-parts'
  | 'bad-characters'
  | 'too-short'
  | 'too-long'
  | 'not-canonical'
  | 'unknown-access';

/** Result of {@link parseShareFragment}. `secret` is the capability a note entry stores (an edit secret or `<readKey>.<publicKey>`). */
export type ParsedShareFragment =
  | { readonly ok: true; readonly noteId: string; readonly secret: string; readonly access: 'edit' | 'view' }
  | { readonly ok: false; readonly code: ShareLinkErrorCode; readonly error: string };

/** Decodes unpadded base64url; null when it contains other characters or has an impossible length. */
export const fromBase64url = (text: string): Uint8Array | null =>
  BASE64URL_CHARS.test(text) && text.length % 4 !== 1 ? fromBase64UrlEncoded(text) : null;

/** Checks one 22-character base64url field; returns an error or null. */
const checkField = (
  value: string,
  what: 'note id' | 'secret' | 'read key' | 'public key',
  length = ENCODED_ID_LENGTH,
): { code: ShareLinkErrorCode; error: string } | null => {
  if (!BASE64URL_CHARS.test(value)) {
    return {
      code: 'bad-characters',
      error: `The ${what} in this link contains characters that are not allowed (only A–Z, a–z, 0–9, "-" and "_"). The link may have been cut or changed while copying.`,
    };
  }
  if (value.length < length) {
    return {
      code: 'too-short',
      error: `The ${what} in this link is too short (${value.length} of ${length} characters). The link may have been cut off while copying.`,
    };
  }
  if (value.length > length) {
    return {
      code: 'too-long',
      error: `The ${what} in this link is too long (${value.length} instead of ${length} characters).`,
    };
  }
  if (!isCanonicalBase64Url(value, length === ENCODED_ID_LENGTH ? ID_BYTES : CAPABILITY_KEY_BYTES)) {
    return { code: 'not-canonical', error: `The ${what} in this link is not valid (its last character is wrong).` };
  }
  return null;
};

/** True when `hash` is meant to be a share link (valid or not): starts with `#/share/`. */
export const isShareFragment = (hash: string): boolean =>
  (hash.startsWith('#') ? hash.slice(1) : hash).startsWith(SHARE_ROUTE);

/**
 * The one strict parser for share-link fragments. Accepts `location.hash`
 * with or without the leading `#`. Every rejection carries a message meant
 * for the user; `code: 'not-a-share-link'` means the fragment is some other
 * route and should not be shown as an error.
 */
export const parseShareFragment = (hash: string): ParsedShareFragment => {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const fail = (code: ShareLinkErrorCode, error: string): ParsedShareFragment => ({ ok: false, code, error });
  if (!fragment.startsWith(SHARE_ROUTE)) {
    return fail('not-a-share-link', 'This is not a Weft share link.');
  }
  const parts = fragment.slice(SHARE_ROUTE.length).split('/');
  const version = parts[0];
  if (version !== SHARE_LINK_VERSION && version !== SHARE_LINK_V1) {
    return version === undefined || version === ''
      ? fail('missing-note-id', 'This share link is incomplete: it has no note id.')
      : /^v\d+$/.test(version)
        ? fail('unsupported-version', `This share link uses format ${version}, which this version of Weft cannot open. Update the app and try again.`)
        : fail('unsupported-version', 'This share link is not in a format Weft understands.');
  }
  const noteId = parts[1];
  if (noteId === undefined || noteId === '') {
    return fail('missing-note-id', 'This share link is incomplete: it has no note id.');
  }
  // v1: <noteId>/<secret>; v2: <noteId>/edit/<secret> or <noteId>/view/<readKey>/<publicKey>.
  const access = version === SHARE_LINK_V1 ? 'edit' : parts[2];
  if (access !== 'edit' && access !== 'view') {
    return access === undefined || access === ''
      ? fail('missing-secret', 'This share link is incomplete: it has no secret key, so the note cannot be opened.')
      : fail('unknown-access', 'This share link is neither an edit link nor a view-only link.');
  }
  const keys = parts.slice(version === SHARE_LINK_V1 ? 2 : 3);
  const expected = access === 'edit' ? 1 : 2;
  if (keys.length === 0 || keys[0] === '') {
    return fail('missing-secret', 'This share link is incomplete: it has no secret key, so the note cannot be opened.');
  }
  if (keys.length > expected) {
    return fail('extra-parts', 'This share link has unexpected extra parts after the secret key.');
  }
  const idProblem = checkField(noteId, 'note id');
  if (idProblem) return fail(idProblem.code, idProblem.error);
  if (access === 'edit') {
    const secret = keys[0]!;
    const secretProblem = checkField(secret, 'secret');
    if (secretProblem) return fail(secretProblem.code, secretProblem.error);
    return { ok: true, noteId, secret, access };
  }
  const [readKey, publicKey] = keys;
  if (readKey === undefined || publicKey === undefined || publicKey === '') {
    return fail('missing-secret', 'This view-only link is incomplete: it lacks its public key, so the note cannot be opened.');
  }
  const keyProblem = checkField(readKey, 'read key', ENCODED_KEY_LENGTH) ?? checkField(publicKey, 'public key', ENCODED_KEY_LENGTH);
  if (keyProblem) return fail(keyProblem.code, keyProblem.error);
  return { ok: true, noteId, secret: viewCapability(readKey, publicKey), access };
};

/**
 * Builds an edit link. `origin` is e.g. `location.origin` (a trailing slash is
 * tolerated); the result is `<origin>/#/share/v2/<noteId>/edit/<secret>`.
 *
 * @throws TypeError when `noteId` or `secret` is not in the required format,
 *   so that we never hand out a link our own parser would reject.
 */
export const formatShareLink = (origin: string, noteId: string, secret: string): string => {
  const link = `#${SHARE_ROUTE}${SHARE_LINK_VERSION}/${noteId}/edit/${secret}`;
  const parsed = parseShareFragment(link);
  if (!parsed.ok) throw new TypeError(`cannot format share link: ${parsed.error}`);
  return `${origin.replace(/\/+$/, '')}/${link}`;
};

/**
 * Builds a view-only link: `<origin>/#/share/v2/<noteId>/view/<readKey>/<publicKey>`
 * (the keys of NoteKeys, base64url).
 *
 * @throws TypeError when a part is not in the required format.
 */
export const formatViewLink = (origin: string, noteId: string, readKey: string, publicKey: string): string => {
  const link = `#${SHARE_ROUTE}${SHARE_LINK_VERSION}/${noteId}/view/${readKey}/${publicKey}`;
  const parsed = parseShareFragment(link);
  if (!parsed.ok) throw new TypeError(`cannot format view link: ${parsed.error}`);
  return `${origin.replace(/\/+$/, '')}/${link}`;
};
