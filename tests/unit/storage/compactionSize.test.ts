/**
 * Compaction stores the note's garbage-collected state: content kept alive
 * only by the open editor's undo history (Y.UndoManager keeps deleted items)
 * must not be written to disk (bench scenario 6: stored bytes ≤ 1.2x
 * `Y.encodeStateAsUpdate` of the stored doc).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../../../src/storage/DocStore';
import { collectGarbage } from '../../../src/storage/updateLog';
import { indexedDbHarness, memoryHarness, rawRows, type AdapterHarness } from './harness';

/** A doc whose undo manager keeps ~`chars` deleted characters alive. */
function docWithUndoneHistory(chars: number): { doc: Y.Doc; undo: Y.UndoManager } {
  const doc = new Y.Doc();
  const text = doc.getText('t');
  const undo = new Y.UndoManager(text, { captureTimeout: 0 });
  for (let i = 0; i < chars / 100; i++) text.insert(0, 'x'.repeat(100));
  text.delete(0, text.length - 10);
  return { doc, undo };
}

/** Size of the doc's state once deleted content is garbage-collected (what a reload holds). */
function gcStateBytes(doc: Y.Doc): number {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return Y.encodeStateAsUpdate(copy).byteLength;
}

describe('collectGarbage', () => {
  it('drops deleted content an UndoManager keeps, and keeps the visible content and every id', () => {
    const { doc } = docWithUndoneHistory(20_000);
    const full = Y.encodeStateAsUpdate(doc);
    const collected = collectGarbage(full);
    expect(full.byteLength).toBeGreaterThan(20_000);
    expect(collected.byteLength).toBeLessThan(2_000);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, collected);
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString());
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(doc));
    // A later edit of the live doc still applies to the collected copy.
    const before = Y.encodeStateVector(doc);
    doc.getText('t').insert(3, 'abc');
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc, before));
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString());
  });
});

const adapters: Array<[string, AdapterHarness, ((name: string) => Promise<Uint8Array[]>) | null]> = [
  ['IndexedDbStore', indexedDbHarness as unknown as AdapterHarness, async (name) => (await rawRows(name)) as Uint8Array[]],
  ['MemoryStore', memoryHarness as unknown as AdapterHarness, null],
];

describe.each(adapters)('%s compaction', (_label, harness, readRows) => {
  it('stores the garbage-collected state, and undo still works in the open note', async () => {
    const store: DocStore = harness.make();
    const doc = new Y.Doc();
    const persisted = store.open('n', doc);
    await persisted.whenLoaded;
    const text = doc.getText('t');
    const undo = new Y.UndoManager(text, { captureTimeout: 0 });
    for (let i = 0; i < 200; i++) text.insert(0, 'y'.repeat(100));
    text.delete(0, text.length - 10);
    await persisted.compact();
    expect(await harness.rows(store, 'n')).toBe(1);
    if (readRows) {
      const [row] = await readRows((store as unknown as { databaseName(n: string): string }).databaseName('n'));
      expect(row?.byteLength).toBeLessThanOrEqual(1.2 * gcStateBytes(doc));
    }
    // The live doc still has its history.
    undo.undo();
    expect(text.length).toBe(20_000);
    await persisted.destroy();
    const reopened = new Y.Doc();
    const again = store.open('n', reopened);
    await again.whenLoaded;
    expect(reopened.getText('t').toString()).toBe(text.toString());
    await again.destroy();
  });
});
