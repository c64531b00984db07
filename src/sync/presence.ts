/**
 * Presence: who is here, under which name and colour. Remote awareness
 * states are untrusted input from any peer that has the link: everything read
 * from them is validated, bounded and returned as plain text.
 */

import type { Awareness } from 'y-protocols/awareness';

/** Longest display name, in code points. */
export const MAX_DISPLAY_NAME_LENGTH = 40;
/** Name used when the user has not picked one (or picked only whitespace). */
export const DEFAULT_DISPLAY_NAME = 'Anonymous';
/** Most peers {@link readPeers} returns; a room full of fake states must not flood the UI. */
export const MAX_LISTED_PEERS = 64;
/**
 * Characters of a raw name we look at before sanitizing. A 1 MB name from a
 * hostile peer is cut to this first, so sanitizing stays cheap.
 */
const RAW_NAME_SCAN_LIMIT = MAX_DISPLAY_NAME_LENGTH * 8;

/**
 * Cursor colours: distinct hues dark enough for white text labels and visible
 * as selection backgrounds on a light page.
 */
export const PRESENCE_PALETTE: readonly string[] = [
  '#d1495b',
  '#2e86ab',
  '#3b8b5a',
  '#8e5ea2',
  '#c05f00',
  '#00838f',
  '#ad1457',
  '#5d6d1e',
  '#4455c8',
  '#8d6e63',
];

/** What the local user shows to others. */
export interface LocalUser {
  readonly name: string;
  readonly color: string;
}

/** Why a peer is listed without a verified device (PresenceIdentities.ts, UnprovenReason). */
export type UnprovenReason =
  | { readonly kind: 'no-proof' | 'v1-proof' }
  /** Its proof is dated `offsetMs` away from this browser's clock (negative: behind), more than the window. */
  | { readonly kind: 'clock'; readonly offsetMs: number };

/** A remote peer as the UI may render it: all fields validated. */
export interface PresencePeer {
  readonly clientId: number;
  readonly name: string;
  readonly color: string;
  /** The short fingerprint of its device key when its presence proof verified (PresenceIdentities.ts); absent: unproven. */
  readonly fingerprint?: string;
  /** Why it is not proven (absent when it is, or when nothing judged it). */
  readonly unproven?: UnprovenReason;
}

/**
 * How {@link readPeers} learns whether a state's device proof holds
 * (PresenceIdentities.verdictOf). A pending check may name the device the
 * client was verified as before (a rename on its way): it is shown as that.
 */
export type PeerVerdict = (
  clientId: number,
) =>
  | { readonly status: 'verified'; readonly device: { readonly fingerprint: string } }
  | { readonly status: 'pending'; readonly previous?: { readonly fingerprint: string; readonly name: string } }
  | { readonly status: 'unproven'; readonly reason: UnprovenReason }
  | { readonly status: 'forged' };

/** A peer as a caret label shows it: its name, marked when unproven, and the verdict in words. */
export interface PeerLabel {
  readonly name: string;
  readonly title: string;
}

// C0/C1 controls, bidi embeddings/overrides/isolates (can reorder the text
// around a name), zero-width and invisible formatting characters, BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
const WHITESPACE_RUN = /\s+/g;
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/**
 * Cleans a display name for showing and sending: NFC, unsafe/invisible
 * characters removed, whitespace collapsed and trimmed, at most
 * {@link MAX_DISPLAY_NAME_LENGTH} code points (never splitting a surrogate
 * pair); {@link DEFAULT_DISPLAY_NAME} when nothing is left or the input is
 * not a string.
 */
export const sanitizeDisplayName = (raw: unknown): string => {
  if (typeof raw !== 'string') return DEFAULT_DISPLAY_NAME;
  const cleaned = raw
    .slice(0, RAW_NAME_SCAN_LIMIT)
    .normalize('NFC')
    // Whitespace first: tabs and newlines are controls too, but mean "space".
    .replace(WHITESPACE_RUN, ' ')
    .replace(UNSAFE_CHARS, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
  // Array.from splits by code point, so a cut never leaves half a surrogate pair.
  const name = Array.from(cleaned).slice(0, MAX_DISPLAY_NAME_LENGTH).join('').trim();
  // A lone surrogate (from slicing the raw input) is not render-safe either.
  const wellFormed = name.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
  return wellFormed === '' ? DEFAULT_DISPLAY_NAME : wellFormed;
};

/** Deterministic palette colour for a Yjs client id (same id → same colour on every peer). */
export const colorForClient = (clientId: number): string => {
  const index = Number.isSafeInteger(clientId) ? Math.abs(clientId) % PRESENCE_PALETTE.length : 0;
  return PRESENCE_PALETTE[index] ?? '#777777';
};

/** The colour a peer claims if it is a plain `#rrggbb` value, else its palette colour. */
export const sanitizeColor = (raw: unknown, clientId: number): string =>
  typeof raw === 'string' && HEX_COLOR.test(raw) ? raw.toLowerCase() : colorForClient(clientId);

/** The local user's presence fields, sanitized (what the UI puts into the awareness state). */
export const localUser = (name: unknown, clientId: number): LocalUser => ({
  name: sanitizeDisplayName(name),
  color: colorForClient(clientId),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The remote peers in `awareness`, validated: states that are not plain
 * objects are skipped, as is any state under our own client id (our identity
 * is ours alone); names are sanitized, colours checked. With `verdict`, a
 * state whose device proof failed (or is not checked yet) is skipped too, a
 * verified one carries its fingerprint and an unproven one the reason
 * ({@link judgePeer}). Sorted by client id, at most
 * {@link MAX_LISTED_PEERS}.
 */
export const readPeers = (awareness: Awareness, verdict?: PeerVerdict): PresencePeer[] => {
  const peers: PresencePeer[] = [];
  const ownId = awareness.clientID;
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === ownId || !Number.isSafeInteger(clientId) || !isRecord(state)) continue;
    // Without a judge (presence as in y-webrtc), every peer is listed as it claims, unmarked.
    const peer = verdict ? judgePeer(clientId, state, verdict(clientId)) : { clientId, name: sanitizeDisplayName(state.name), color: sanitizeColor(state.color, clientId) };
    if (peer !== null) peers.push(peer);
  }
  peers.sort((a, b) => a.clientId - b.clientId);
  return peers.slice(0, MAX_LISTED_PEERS);
};

/**
 * One remote state as the UI shows it under `judged`: with its fingerprint
 * (verified), as the device it was verified as (pending), with the reason it
 * is not proven, or null (forged, or pending with nothing verified before).
 */
export function judgePeer(clientId: number, state: Record<string, unknown>, judged: ReturnType<PeerVerdict>): PresencePeer | null {
  const color = sanitizeColor(state.color, clientId);
  switch (judged.status) {
    case 'forged':
      return null;
    case 'pending': {
      // Not shown as what it claims until checked; as what it was verified as before, if anything.
      const before = judged.previous;
      return before ? { clientId, name: sanitizeDisplayName(before.name), color, fingerprint: before.fingerprint } : null;
    }
    case 'verified':
      return { clientId, name: sanitizeDisplayName(state.name), color, fingerprint: judged.device.fingerprint };
    case 'unproven':
      return { clientId, name: sanitizeDisplayName(state.name), color, unproven: roundedReason(judged.reason) };
  }
}

/** Clock offsets in whole minutes (at least 1): what the UI says, and stable while an honest peer re-signs. */
const roundedReason = (reason: UnprovenReason): UnprovenReason =>
  reason.kind === 'clock' ? { kind: 'clock', offsetMs: Math.sign(reason.offsetMs) * Math.max(1, Math.round(Math.abs(reason.offsetMs) / 60_000)) * 60_000 } : reason;

/** The verdict on a listed peer in words: the title of its people-list entry and of its caret. */
export function verdictText(peer: PresencePeer): string {
  if (peer.fingerprint !== undefined) return `Device key ${peer.fingerprint}, verified`;
  const reason = peer.unproven ?? { kind: 'no-proof' };
  switch (reason.kind) {
    case 'no-proof':
      return 'Device not verified: no device proof (another app, or a Weft tab still loading its key)';
    case 'v1-proof':
      return 'Device not verified: an older Weft version, whose device proof carries no time (a copy of it could pass for it)';
    case 'clock': {
      const minutes = Math.round(Math.abs(reason.offsetMs) / 60_000);
      const side = reason.offsetMs < 0 ? 'behind' : 'ahead of';
      return `Device not verified: its device proof is dated about ${minutes} min ${side} this device's clock (one of the two clocks is wrong, or an old presence was replayed)`;
    }
  }
}

/** A peer's caret label: its name as listed, marked "(unverified)" unless its device is verified. */
export const peerLabel = (peer: PresencePeer): PeerLabel => ({
  name: peer.fingerprint === undefined ? `${peer.name} (unverified)` : peer.name,
  title: verdictText(peer),
});

/** Whether two peer lists (from {@link readPeers}) show the same people. */
export const samePeers = (a: readonly PresencePeer[], b: readonly PresencePeer[]): boolean =>
  a.length === b.length &&
  a.every(
    (peer, i) =>
      peer.clientId === b[i]?.clientId &&
      peer.name === b[i]?.name &&
      peer.color === b[i]?.color &&
      peer.fingerprint === b[i]?.fingerprint &&
      sameReason(peer.unproven, b[i]?.unproven),
  );

const sameReason = (a: UnprovenReason | undefined, b: UnprovenReason | undefined): boolean =>
  a?.kind === b?.kind && (a?.kind !== 'clock' || b?.kind !== 'clock' || a.offsetMs === b.offsetMs);
