/**
 * The schema firewall and the repair on open, through the composition root
 * (src/app/session.ts) as the browser uses it: WeftApp with MemoryStore and
 * the loopback transport, headless editors bound through NoteSession.bind.
 */
import { createHeadlessEditor } from '@lexical/headless';
import { $getRoot, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTE_QUARANTINED_MESSAGE, NOTE_REPAIRED_MESSAGE } from '../../../src/app/messages';
import { WeftApp, noteDocName, type NoteSession } from '../../../src/app/session';
import { applySeed } from '../../../src/doc/seed';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { MemoryStore } from '../../../src/storage/memory';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { parseShareFragment } from '../../../src/sync/shareLink';
import { headingWithTag, nestedQuotes } from '../sync/hostileUpdates';
import { typeAtEnd } from '../editor/typeAtEnd';

// (Mallory's own editor overflows on her 5,000 nested quotes and says so on the console: expected.)
import { MapPreferences } from './mapPreferences';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startApp(network: LoopbackNetwork, store = new MemoryStore(), docs: Y.Doc[] = []): Promise<WeftApp> {
  const app = new WeftApp({
    store,
    fallbackStore: () => new MemoryStore(),
    transports: (doc, awareness, room) => {
      docs.push(doc);
      return network.join(doc, awareness, room);
    },
    preferences: new MapPreferences(),
  });
  await app.start();
  cleanups.push(() => app.destroy());
  return app;
}

async function mount(app: WeftApp, noteId: string): Promise<{ editor: LexicalEditor; session: NoteSession; errors: Error[]; unmount: () => void }> {
  const errors: Error[] = [];
  const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => errors.push(e) });
  const session = app.openNote(noteId);
  const unbind = session.bind(editor);
  cleanups.push(unbind);
  await new Promise<void>((resolve) => {
    const check = () => session.state.get().phase === 'ready' && (dispose(), resolve(), true);
    const dispose = session.state.subscribe(() => void check());
    check();
  });
  return { editor, session, errors, unmount: unbind };
}

const text = (editor: LexicalEditor) => editor.read(() => $getRoot().getTextContent());

/** Writes `make(doc)` into the stored note as if it had been received before the firewall existed. */
async function poisonStored(store: MemoryStore, noteId: string, make: (doc: Y.Doc) => Uint8Array): Promise<void> {
  const doc = new Y.Doc();
  applySeed(doc);
  const persisted = store.open(noteDocName(noteId), doc);
  await persisted.whenLoaded;
  Y.applyUpdate(doc, make(doc), 'old-version');
  await persisted.flush();
  await persisted.destroy();
  doc.destroy();
}

describe('hostile content through the app', () => {
  it('a stored note with a bad heading tag is repaired on open, with a message, and stays editable', async () => {
    const store = new MemoryStore();
    const app = await startApp(new LoopbackNetwork(), store);
    const noteId = await app.index.create();
    const first = await mount(app, noteId);
    typeAtEnd(first.editor, 'valid text');
    await app.flush();
    first.unmount();
    await poisonStored(store, noteId, (doc) => headingWithTag(doc, 'x y'));

    const again = await mount(app, noteId);
    expect(app.alerts.get().find((a) => a.key === `repaired:${noteId}`)?.message).toBe(NOTE_REPAIRED_MESSAGE);
    expect(text(again.editor)).toContain('valid text');
    expect(text(again.editor)).toContain('hostile');
    typeAtEnd(again.editor, ' typed after');
    await app.flush();
    again.unmount();
    const third = await mount(app, noteId);
    expect(text(third.editor)).toContain('typed after');
    expect([...first.errors, ...again.errors, ...third.errors]).toEqual([]);
  });

  it('a stored note with 2,000 nested quotes is flattened on open; one with 20,000 is quarantined', async () => {
    const store = new MemoryStore();
    const app = await startApp(new LoopbackNetwork(), store);
    const repairable = await app.index.create();
    const quarantined = await app.index.create();
    for (const id of [repairable, quarantined]) {
      const m = await mount(app, id);
      typeAtEnd(m.editor, 'valid text');
      await app.flush();
      m.unmount();
    }
    await poisonStored(store, repairable, (doc) => nestedQuotes(doc, 2000));
    await poisonStored(store, quarantined, (doc) => nestedQuotes(doc, 20_000));

    const a = await mount(app, repairable);
    expect(app.alerts.get().find((x) => x.key === `repaired:${repairable}`)?.message).toBe(NOTE_REPAIRED_MESSAGE);
    expect(text(a.editor)).toContain('valid text');
    expect(text(a.editor)).toContain('deep');
    typeAtEnd(a.editor, ' typed after');
    await app.flush();
    a.unmount();
    const again = await mount(app, repairable);
    expect(text(again.editor)).toContain('typed after');

    const b = await mount(app, quarantined);
    expect(app.alerts.get().find((x) => x.key === `repaired:${quarantined}`)?.message).toBe(NOTE_QUARANTINED_MESSAGE);
    expect(b.editor.isEditable()).toBe(false);
  }, 60_000);

  it('a peer’s hostile updates are rejected by the loopback transport before they reach the note', async () => {
    const network = new LoopbackNetwork();
    const docs: Y.Doc[] = [];
    const alice = await startApp(network);
    const noteId = await alice.index.create();
    const a = await mount(alice, noteId);
    typeAtEnd(a.editor, 'precious');
    const mallory = await startApp(network, new MemoryStore(), docs);
    const link = alice.openNote(noteId).shareLink('https://weft.example') as string;
    const parsed = parseShareFragment(new URL(link).hash);
    if (!parsed.ok) throw new Error(parsed.error);
    await mallory.index.addShared(parsed.noteId, parsed.secret);
    const m = await mount(mallory, noteId);
    expect(text(m.editor)).toContain('precious');
    // Mallory's doc is changed directly (not through her editor); her transport sends it on.
    const malloryDoc = docs[0] as Y.Doc;
    Y.applyUpdate(malloryDoc, nestedQuotes(malloryDoc, 5000), 'mallory');
    Y.applyUpdate(malloryDoc, headingWithTag(malloryDoc, 'iframe'), 'mallory');
    expect(network.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/nesting/), expect.stringMatching(/__tag/)]);
    expect(text(a.editor)).not.toContain('hostile');
    typeAtEnd(a.editor, ' and more');
    expect(text(a.editor)).toContain('precious and more');
    expect(a.errors).toEqual([]);
  });
});
