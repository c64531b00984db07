/**
 * A contract peer that writes without the right to: it holds what a view-only link gives (the
 * room's topic and password, so it connects) and sends updates either unsigned or signed by a
 * key of its own — a view-only holder that patched its client. Runs in Node and in the contract
 * page alike (no Node or DOM APIs).
 */
import { deriveNoteKeys, type NoteKeys } from '../../../src/sync/noteKeys';
import type { SyncRoom } from '../../../src/sync/Transport';

/** How a forger writes. */
export type Forgery = 'unsigned' | 'another key';

/** A secret that is not the room's: the forger's own signing key comes from it. */
const FORGER_SECRET = 'AAAAAAAAAAAAAAAAAAAAAA';

/** `room` with keys whose `sealUpdate` forges (SyncRoom.keys: the transports take them as derived). */
export function forgedRoom(room: SyncRoom, forgery: Forgery): SyncRoom {
  const keys = (async (): Promise<NoteKeys> => {
    const real = await deriveNoteKeys(room.noteId, room.secret);
    const own = await deriveNoteKeys(room.noteId, FORGER_SECRET);
    return { ...real, sealUpdate: forgery === 'unsigned' ? async (message) => message : own.sealUpdate };
  })();
  return { ...room, keys };
}
