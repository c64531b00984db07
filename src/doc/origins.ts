/**
 * Named Yjs transaction origins. Every transaction the app makes carries one,
 * so that listeners can tell where a change came from and ignore their own
 * (the editor binding uses its binding object as origin for local typing;
 * y-indexeddb and y-webrtc use their provider/room objects).
 */
export const ORIGIN_SEED = 'weft:seed';
/** Updates read back from local storage. */
export const ORIGIN_STORAGE = 'weft:storage';
/** Updates received from peers through a transport. */
export const ORIGIN_REMOTE = 'weft:remote';
/** Bytes imported from a backup file or an earlier version being restored. */
export const ORIGIN_IMPORT = 'weft:import';
/** Changes to the notes index made by the app itself (create, rename, touch, delete). */
export const ORIGIN_INDEX = 'weft:index';
/** Repairs of a note that held content outside the note schema (src/doc/repairNoteDoc.ts). */
export const ORIGIN_REPAIR = 'weft:repair';
