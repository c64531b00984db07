/**
 * The DocStore contract, run against every adapter: what the rest of the app
 * may rely on, whichever storage is underneath.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { StorageError, type DocStore, type PersistedDoc } from '../../../src/storage/DocStore';
import { indexedDbHarness, memoryHarness, nextError, type AdapterHarness } from './harness';

/** A seed applied to every fresh doc before loading, like the app's frozen seed: byte-identical everywhere. */
const SEED = (() => {
  const doc = new Y.Doc();
  doc.clientID = 1;
  doc.getText('t').insert(0, 'SEED|');
  return Y.encodeStateAsUpdate(doc);
})();

function freshDoc(): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, SEED);
  return doc;
}

async function openLoaded(store: DocStore, name: string, doc = freshDoc()): Promise<{ doc: Y.Doc; persisted: PersistedDoc }> {
  const persisted = store.open(name, doc);
  await persisted.whenLoaded;
  return { doc, persisted };
}

/** Opens `name` in a fresh doc, returns its text and map, and detaches again. */
async function reopen(store: DocStore, name: string): Promise<{ text: string; map: Record<string, unknown> }> {
  const { doc, persisted } = await openLoaded(store, name);
  const result = { text: doc.getText('t').toString(), map: doc.getMap('m').toJSON() };
  await persisted.destroy();
  doc.destroy();
  return result;
}

const harnesses = [memoryHarness, indexedDbHarness] as AdapterHarness[];

describe.each(harnesses)('DocStore contract: $name', (harness) => {
  it('reopening shows the same content exactly once, however often', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'hello');
    await persisted.destroy();
    for (let i = 0; i < 3; i++) expect((await reopen(store, 'n')).text).toBe('SEED|hello');
  });

  it('reopening writes nothing: the stored log stays as it was (a new doc stores its seed once)', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'hello');
    await persisted.destroy();
    const rows = await harness.rows(store, 'n');
    expect(rows).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      expect((await reopen(store, 'n')).text).toBe('SEED|hello');
      expect(await harness.rows(store, 'n')).toBe(rows);
    }
  });

  it('an empty name loads as an empty doc', async () => {
    const store = harness.make();
    expect((await reopen(store, 'never-written')).text).toBe('SEED|');
  });

  it('many small updates survive a reopen (crossing the trim threshold)', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    const text = doc.getText('t');
    let expected = 'SEED|';
    for (let i = 0; i < 700; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      text.insert(text.length, ch);
      expected += ch;
    }
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe(expected);
    expect(await harness.rows(store, 'n')).toBeLessThan(700);
  });

  it('compact() reduces the log to one row and keeps the content', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    for (let i = 0; i < 40; i++) doc.getMap('m').set(`k${i}`, i);
    await persisted.flush();
    expect(await harness.rows(store, 'n')).toBeGreaterThanOrEqual(40);
    await persisted.compact();
    expect(await harness.rows(store, 'n')).toBe(1);
    doc.getMap('m').set('after', true);
    await persisted.destroy();
    const { map } = await reopen(store, 'n');
    expect(Object.keys(map)).toHaveLength(41);
    expect(map.after).toBe(true);
  });

  it('two docs on one name: both sets of updates are stored and merge', async () => {
    const store = harness.make();
    const a = await openLoaded(store, 'n');
    const b = await openLoaded(store, 'n');
    a.doc.getText('t').insert(5, 'from a ');
    b.doc.getText('t').insert(5, 'from b ');
    a.doc.getMap('m').set('a', 1);
    b.doc.getMap('m').set('b', 2);
    await Promise.all([a.persisted.destroy(), b.persisted.destroy()]);
    const merged = new Y.Doc();
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(a.doc));
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(b.doc));
    const reopened = await reopen(store, 'n');
    expect(reopened.text).toBe(merged.getText('t').toString());
    expect(reopened.map).toEqual({ a: 1, b: 2 });
  });

  it('updates applied from storage carry the attachment origin', async () => {
    const store = harness.make();
    const first = await openLoaded(store, 'n');
    first.doc.getText('t').insert(5, 'stored');
    await first.persisted.destroy();
    const doc = freshDoc();
    const origins: unknown[] = [];
    doc.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin));
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    expect(doc.getText('t').toString()).toBe('SEED|stored');
    expect(origins.length).toBeGreaterThan(0);
    expect(origins.every((o) => o === persisted.origin && o !== null)).toBe(true);
    await persisted.destroy();
  });

  it('destroy() right after the last keystroke keeps it', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'last words');
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|last words');
  });

  it('edits made before loading finished are kept, and destroy before loading is safe', async () => {
    const store = harness.make();
    const doc = freshDoc();
    const persisted = store.open('n', doc);
    doc.getText('t').insert(5, 'early');
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|early');
  });

  it('destroying the doc first still stores its last update', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'bye');
    doc.destroy();
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|bye');
  });

  it('remove() deletes the stored doc, also while a doc is attached (without reporting an error)', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    const errors: StorageError[] = [];
    persisted.onError((e) => errors.push(e));
    doc.getText('t').insert(5, 'gone');
    await store.remove('n');
    doc.getText('t').insert(0, 'still editable ');
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|');
    expect(errors).toEqual([]);
    await store.remove('never-existed');
  });

  it('mayExist() is false for a name nothing was stored under (and looking does not create it), true once stored, false again after remove()', async () => {
    const store = harness.make();
    expect(await store.mayExist('n')).toBe(false);
    expect(await store.mayExist('n')).toBe(false);
    const { persisted } = await openLoaded(store, 'n');
    await persisted.destroy();
    expect(await store.mayExist('n')).toBe(true);
    expect(await store.mayExist('other')).toBe(false);
    await store.remove('n');
    expect(await store.mayExist('n')).toBe(false);
  });

  it('quota: reported as kind "quota", the doc stays intact, and saving heals once space is back', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'saved ');
    const quota = nextError(persisted, 'quota');
    const heal = harness.injectQuota(store);
    doc.getText('t').insert(11, 'unsaved ');
    const error = await quota;
    expect(error).toBeInstanceOf(StorageError);
    doc.getText('t').insert(19, 'more ');
    expect(doc.getText('t').toString()).toBe('SEED|saved unsaved more ');
    heal();
    doc.getText('t').insert(24, 'healed');
    await persisted.destroy();
    // The write after the failures stored the whole state: nothing is missing.
    expect((await reopen(store, 'n')).text).toBe('SEED|saved unsaved more healed');
  });

  it('writes missed while the disk was full are stored by destroy() once space is back', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    const quota = nextError(persisted, 'quota');
    const heal = harness.injectQuota(store);
    doc.getText('t').insert(5, 'typed while full');
    await quota;
    heal();
    await persisted.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|typed while full');
  });

  it('blocked: whenLoaded rejects with kind "blocked"; the doc stays usable', async () => {
    const store = harness.make();
    const release = await harness.holdBlocking(store, 'n');
    const doc = freshDoc();
    const persisted = store.open('n', doc);
    await expect(persisted.whenLoaded).rejects.toMatchObject({ kind: 'blocked' });
    doc.getText('t').insert(5, 'in memory');
    await persisted.destroy();
    await release();
    expect(doc.getText('t').toString()).toBe('SEED|in memory');
  });

  it('unavailable: whenLoaded and remove reject with kind "unavailable"', async () => {
    const store = harness.make();
    const restore = harness.makeUnavailable(store);
    try {
      const persisted = store.open('n', freshDoc());
      await expect(persisted.whenLoaded).rejects.toMatchObject({ kind: 'unavailable' });
      await persisted.destroy();
      await expect(store.remove('n')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      restore();
    }
  });

  it('another tab deleting the stored doc: the attachment re-opens, stores the whole doc again and goes on saving', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'before|');
    await persisted.flush();
    const errors: StorageError[] = [];
    persisted.onError((e) => errors.push(e));
    await harness.deleteFromOtherTab(store, 'n');
    doc.getText('t').insert(12, 'during|');
    await persisted.flush();
    doc.getText('t').insert(19, 'after');
    await persisted.flush();
    expect((await reopen(store, 'n')).text).toBe('SEED|before|during|after');
    await persisted.destroy();
    expect(errors).toEqual([]);
  });

  it('closed: when the deleted store cannot be re-opened, "closed" is reported; editing goes on', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    const closed = nextError(persisted, 'closed');
    const restore = harness.makeUnavailable(store);
    try {
      await harness.deleteFromOtherTab(store, 'n');
      await closed;
      expect(() => doc.getText('t').insert(5, 'after close')).not.toThrow();
    } finally {
      restore();
    }
    await persisted.destroy();
    expect(doc.getText('t').toString()).toBe('SEED|after close');
  });

  it('corrupt rows are set aside and reported as "corrupt"; the rest loads', async () => {
    const store = harness.make();
    const { doc, persisted } = await openLoaded(store, 'n');
    doc.getText('t').insert(5, 'good');
    await persisted.destroy();
    await harness.putCorruptRow(store, 'n');
    const again = store.open('n', freshDoc());
    const corrupt = nextError(again, 'corrupt');
    await again.whenLoaded;
    await corrupt;
    await again.destroy();
    expect((await reopen(store, 'n')).text).toBe('SEED|good');
  });
});
