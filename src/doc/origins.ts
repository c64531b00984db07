/**
 * Named Yjs transaction origins. Every transaction the app makes carries one,
 * so that listeners can tell where a change came from and ignore their own
 * (the editor binding uses its binding object as origin for local typing,
 * and the storage attachment itself for what it loads; every transport
 * applies with its name below).
 */
export const ORIGIN_SEED = 'weft:seed';
/** Updates read back from local storage. */
export const ORIGIN_STORAGE = 'weft:storage';
/** Updates received from peers in tests and tools that have no transport of their own. */
export const ORIGIN_REMOTE = 'weft:remote';
/** Updates received from another device over a WebRTC data channel. */
export const ORIGIN_PEER = 'weft:peer';
/** Updates received from another tab of this browser (BroadcastChannel). */
export const ORIGIN_TAB = 'weft:tab';
/** Updates received over the in-process loopback network (tests, benchmarks). */
export const ORIGIN_LOOPBACK = 'weft:loopback';
/** Updates pulled from the store-and-forward relay. */
export const ORIGIN_RELAY = 'weft:relay';

/** The origins of everything that came from another device, tab or the relay: what "remote" means. */
export const TRANSPORT_ORIGINS: ReadonlySet<unknown> = new Set([ORIGIN_REMOTE, ORIGIN_PEER, ORIGIN_TAB, ORIGIN_LOOPBACK, ORIGIN_RELAY]);

/** True when a transaction with this origin came in through a transport (see {@link TRANSPORT_ORIGINS}). */
export const isTransportOrigin = (origin: unknown): boolean => TRANSPORT_ORIGINS.has(origin);
/** Bytes imported from a backup file or an earlier version being restored. */
export const ORIGIN_IMPORT = 'weft:import';
/** Changes to the notes index made by the app itself (create, rename, touch, delete). */
export const ORIGIN_INDEX = 'weft:index';
/** Own keystrokes put back after a peer rewrote the block they were in without having seen them (src/editor/collab/rescueOrphanedText.ts). */
export const ORIGIN_RESCUE = 'weft:rescue';
/** Repairs of a note that held content outside the note schema (src/doc/repairNoteDoc.ts). */
export const ORIGIN_REPAIR = 'weft:repair';
