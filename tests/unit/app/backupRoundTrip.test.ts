/**
 * Issue 21's "done means": a backup of 10,000 notes of about 5,000
 * characters (about 120 MB of file) is built, restored into a fresh device,
 * backed up again, and the new file holds every note as the first did: same
 * ids, same list entries, same Yjs states byte for byte, same order. Storage
 * is MemoryStore (the DocStore contract suite holds it to IndexedDB's
 * behaviour); files are Blobs read as streams, as in the browser.
 */
import { describe, expect, it } from 'vitest';
import { WeftApp, noteDocName } from '../../../src/app/session';
import { readBackup, type BackupItem } from '../../../src/doc/readBackup';
import { MemoryStore } from '../../../src/storage/memory';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { fixtureBackup, fixtureNote } from '../../backupFixture';
import { seedFor } from '../../prng';
import { MapPreferences } from './mapPreferences';

const NOTES = 10_000;

async function freshDevice(store: MemoryStore): Promise<WeftApp> {
  const app = new WeftApp({
    store,
    fallbackStore: () => new MemoryStore(),
    transports: new LoopbackNetwork().factory,
    preferences: new MapPreferences(),
  });
  await app.start();
  return app;
}

describe('a backup of 10,000 notes', () => {
  it('round-trips: build the file, restore it into a fresh device, back up again, compare', async () => {
    const seed = seedFor('backup round trip');
    const options = { seed, chars: 5_000 };
    const file = fixtureBackup(NOTES, options);
    console.log(`backup round trip: ${NOTES} notes, ${(file.size / 1e6).toFixed(1)} MB (seed ${seed})`);
    const store = new MemoryStore();
    const app = await freshDevice(store);
    try {
      const phases = new Set<string>();
      const result = await app.restoreBackup(file, { onProgress: (p) => phases.add(`${p.phase} ${p.done}/${p.total}`) });
      expect(result).toEqual({ ok: true, notes: NOTES });
      expect(phases).toContain(`restoring ${NOTES}/${NOTES}`);
      expect((await app.index.all())).toHaveLength(NOTES);

      const again = await app.backup();
      const ids: string[] = [];
      let n = 0;
      for await (const item of readBackup(again) as AsyncGenerator<BackupItem>) {
        if (item.kind === 'header') {
          expect(item.header.notes).toBe(NOTES);
          continue;
        }
        const want = fixtureNote(n, options);
        expect(item.note.id, `note ${n}`).toBe(want.id);
        ids.push(want.id);
        expect(item.note.entry, `note ${n}`).toEqual(want.entry);
        expect(Buffer.from(item.note.state).equals(Buffer.from(want.state)), `note ${n}'s state`).toBe(true);
        n++;
      }
      expect(n).toBe(NOTES);
      // Restoring the same file again changes nothing: no write to the list, none to any note.
      let listWrites = 0;
      const stopCounting = app.index.observe((change) => {
        if (change.stored) listWrites++;
      });
      const rowsBefore = ids.map((id) => store.rows(noteDocName(id)));
      expect(await app.restoreBackup(file)).toEqual({ ok: true, notes: NOTES });
      stopCounting();
      expect(listWrites).toBe(0);
      expect(ids.map((id) => store.rows(noteDocName(id)))).toEqual(rowsBefore);
    } finally {
      await app.destroy();
    }
  }, 600_000);
});
