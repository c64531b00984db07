import * as Y from 'yjs';
import { NOTE_BINDING, type NoteBindingVersion } from './noteRoot';
import { ORIGIN_SEED } from './origins';
import { fromBase64 } from 'lib0/buffer';

/**
 * Every note starts with exactly one empty paragraph, written here once and
 * for all rather than by whichever peer opens the note first.
 *
 * Why frozen bytes: peers create and open notes offline. If each wrote its own
 * initial paragraph, merging would show one per peer. Instead every peer
 * applies this same update, whose structs carry the ids (SEED_CLIENT_ID, 0..n);
 * Yjs skips structs it already has, so seeding is idempotent and merges to a
 * single paragraph. The bytes must never change: a different byte sequence
 * under the same ids would make peers disagree about what those ids mean,
 * which corrupts documents silently. It was generated once by
 * `createSeedUpdate()` (src/editor/collab/createSeedUpdate.ts) and pasted
 * here; tests/unit/collab/seed.test.ts checks it still matches what the
 * binding would write.
 */

/** Client id under which the seed's structs were written. No Y.Doc may edit under it. */
export const SEED_CLIENT_ID = 1;

/** The document layout the seed was made for; it only fits that binding. */
export const SEED_LAYOUT: NoteBindingVersion = 'v2';

/**
 * The frozen seed: a root XmlElement 'root-v2' holding one empty `paragraph`
 * XmlElement (V2 writes no attributes for default property values).
 * Never regenerate or edit (see the module comment).
 */
export const SEED_UPDATE_BASE64 = 'AQEBAAcBB3Jvb3QtdjIDCXBhcmFncmFwaAA=';

/** A fresh copy of the seed update's bytes (callers may keep or mutate it). */
export function seedUpdate(): Uint8Array {
  return fromBase64(SEED_UPDATE_BASE64);
}

/**
 * Give a note doc its initial empty paragraph. Safe to call on every open,
 * before or after loading storage or syncing with peers: a doc that already
 * has the seed is unchanged (no 'update' event content, nothing persisted
 * twice), and the undo manager ignores ORIGIN_SEED.
 */
export function applySeed(doc: Y.Doc): void {
  if (SEED_LAYOUT !== NOTE_BINDING) {
    // Unreachable while the constants agree; guards a half-done binding switch.
    throw new Error(`seed was made for binding ${SEED_LAYOUT}, notes use ${NOTE_BINDING}`);
  }
  Y.applyUpdate(doc, seedUpdate(), ORIGIN_SEED);
}

/**
 * True when the doc holds anything besides the seed: content written by some
 * device. A note that loads from storage as seed only has never been edited,
 * or its storage was cleared.
 */
export function holdsMoreThanSeed(doc: Y.Doc): boolean {
  for (const client of doc.store.clients.keys()) if (client !== SEED_CLIENT_ID) return true;
  return false;
}
