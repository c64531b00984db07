/**
 * A note's stored doc, opened for one job outside any editor (a backup reads
 * it, a restore or an import writes it): loaded into a temporary Y.Doc,
 * handed to the job, its writes waited for, then let go.
 */
import * as Y from 'yjs';
import type { DocStore, StorageError } from '../storage/DocStore';

/** Opens `name` in a temporary doc, runs `fn` on it once loaded, then detaches and destroys the doc. */
export async function withStoredDoc<T>(store: DocStore, name: string, fn: (doc: Y.Doc) => T): Promise<T> {
  const doc = new Y.Doc();
  const persisted = store.open(name, doc);
  const errors: StorageError[] = [];
  const offError = persisted.onError((error) => errors.push(error));
  try {
    await persisted.whenLoaded;
    const result = fn(doc);
    await persisted.flush();
    const failure = errors.find((e) => e.kind !== 'corrupt');
    if (failure) throw failure;
    return result;
  } finally {
    offError();
    await persisted.destroy().catch(() => undefined);
    doc.destroy();
  }
}
