/**
 * The composition root (src/app/session.ts) as the browser uses it, in Node: `WeftApp` with the
 * in-memory adapters (MemoryStore for IndexedDB, LoopbackNetwork for y-webrtc) and headless
 * Lexical editors bound through `NoteSession.bind`. Each "device" is its own WeftApp with its own
 * store and preferences; devices only meet through the loopback network.
 */
import { createHeadlessEditor } from '@lexical/headless';
import { $createParagraphNode, $createTextNode, $getRoot, type LexicalEditor, type SerializedEditorState } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { WeftApp, noteDocName, type NoteSession, type NoteState } from '../../../src/app/session';
import { MapPreferences } from './mapPreferences';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { typeAtEnd } from '../editor/typeAtEnd';
import { waitFor } from '../waitFor';
import { MemoryStore } from '../../../src/storage/memory';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import { LoopbackNetwork, type LoopbackTransport } from '../../../src/sync/loopback';
import { parseShareFragment } from '../../../src/sync/shareLink';

/** One device: its own storage and preferences, and the transports its notes opened. */
interface Device {
  app: WeftApp;
  store: MemoryStore;
  indexStore: MemoryNotesIndexStore;
  preferences: MapPreferences;
  transports: LoopbackTransport[];
}

/** One mounted note: what NotePage + NoteEditor hold in the browser. */
interface Mount {
  editor: LexicalEditor;
  session: NoteSession;
  errors: Error[];
  unmount: () => void;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fake clock: every call is one second later, so "edited after" comparisons are exact. */
function clock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => (t += 1000);
}

/**
 * Starts a device on `network`. Pass `store`/`preferences` of an earlier device to model the
 * same browser profile opened again (a new page session).
 */
async function startDevice(
  network: LoopbackNetwork,
  existing: { store?: MemoryStore; indexStore?: MemoryNotesIndexStore; preferences?: MapPreferences } = {},
): Promise<Device> {
  const store = existing.store ?? new MemoryStore();
  const indexStore = existing.indexStore ?? new MemoryNotesIndexStore();
  const preferences = existing.preferences ?? new MapPreferences();
  const transports: LoopbackTransport[] = [];
  const app = new WeftApp({
    store,
    indexStore,
    fallbackStore: () => new MemoryStore(),
    transports: (doc, awareness, room) => {
      const transport = network.join(doc, awareness, room);
      transports.push(transport);
      return transport;
    },
    preferences,
    now: clock(),
  });
  await app.start();
  cleanups.push(() => app.destroy());
  return { app, store, indexStore, preferences, transports };
}

/** Resolves once `session.state` satisfies `predicate` (the state is a Signal: no polling). */
function whenState(session: NoteSession, predicate: (state: NoteState) => boolean): Promise<NoteState> {
  return new Promise((resolve) => {
    const check = () => {
      const state = session.state.get();
      if (!predicate(state)) return false;
      dispose();
      resolve(state);
      return true;
    };
    const dispose = session.state.subscribe(() => void check());
    check();
  });
}

/** Opens `noteId` on `device` in a headless editor with the app's nodes; resolves once loaded. */
async function mount(device: Device, noteId: string): Promise<Mount> {
  const errors: Error[] = [];
  const editor = createHeadlessEditor({ namespace: 'weft-session-test', nodes: [...EDITOR_NODES], onError: (e) => errors.push(e) });
  const session = device.app.openNote(noteId);
  const unbind = session.bind(editor);
  let mounted = true;
  const unmount = () => {
    if (!mounted) return;
    mounted = false;
    unbind();
  };
  cleanups.push(unmount);
  await whenState(session, (s) => s.phase === 'ready');
  return { editor, session, errors, unmount };
}

/** Types `text` at the very start of the first paragraph. */
function typeAtStart(editor: LexicalEditor, text: string): void {
  editor.update(
    () => {
      const first = $getRoot().getFirstChild();
      if (first === null) throw new Error('no block to type into');
      first.selectStart().insertText(text);
    },
    { discrete: true },
  );
}

/** Appends a paragraph holding `text`. */
function addParagraph(editor: LexicalEditor, text: string): void {
  editor.update(
    () => {
      $getRoot().append($createParagraphNode().append($createTextNode(text)));
    },
    { discrete: true },
  );
}

/** Block texts of the editor, read from its committed state. */
function blocks(editor: LexicalEditor): string[] {
  return editor.read(() => $getRoot().getChildren().map((block) => block.getTextContent()));
}

function stateOf(editor: LexicalEditor): SerializedEditorState {
  return editor.read(() => editor.getEditorState().toJSON());
}

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/** Gives `to` the note `noteId` of `from` as opening its share link would. */
async function shareNote(from: Device, to: Device, noteId: string): Promise<void> {
  const link = from.app.openNote(noteId).shareLink('https://weft.example');
  if (link === null) throw new Error('note has no share link');
  const parsed = parseShareFragment(new URL(link).hash);
  if (!parsed.ok) throw new Error(parsed.error);
  await to.app.index.addShared(parsed.noteId, parsed.secret);
}

describe('WeftApp + NoteSession (composition root)', () => {
  it("persists a note's content across sessions exactly once", async () => {
    const network = new LoopbackNetwork();
    const first = await startDevice(network);
    const noteId = await first.app.index.create();
    const m1 = await mount(first, noteId);
    // A fresh note is the frozen seed: one empty paragraph.
    expect(blocks(m1.editor)).toEqual(['']);
    typeAtEnd(m1.editor, 'Groceries');
    addParagraph(m1.editor, 'apples and pears');
    await first.app.flush();
    m1.unmount();
    await first.app.destroy();

    // Same device (same store and preferences), new app instance: twice, to catch anything
    // (seed, replayed storage) that would add content on every open.
    for (let session = 0; session < 2; session++) {
      const again = await startDevice(network, { store: first.store, indexStore: first.indexStore, preferences: first.preferences });
      expect((await again.app.index.get(noteId))?.title).toBe('Groceries');
      const m = await mount(again, noteId);
      expect(blocks(m.editor)).toEqual(['Groceries', 'apples and pears']);
      expect(m.errors).toEqual([]);
      await again.app.flush();
      m.unmount();
      await again.app.destroy();
    }
  });

  it('two devices on one network converge, both ways, live', async () => {
    const network = new LoopbackNetwork();
    const a = await startDevice(network);
    const b = await startDevice(network);
    const noteId = await a.app.index.create();
    const ma = await mount(a, noteId);
    typeAtEnd(ma.editor, 'Hello from A');

    // B does not have the note yet: no entry, no share link, nothing to open.
    expect((await b.app.index.get(noteId))).toBeUndefined();
    expect(b.app.openNote(noteId).shareLink('https://weft.example')).toBeNull();
    await shareNote(a, b, noteId);
    expect((await b.app.index.get(noteId))?.shared).toBe(true);
    const mb = await mount(b, noteId);

    await whenState(mb.session, (s) => s.sync === 'connected' && s.peerCount === 1);
    await whenState(ma.session, (s) => s.sync === 'connected' && s.peerCount === 1);
    expect(blocks(mb.editor)).toEqual(['Hello from A']);

    addParagraph(mb.editor, 'Reply from B');
    typeAtEnd(ma.editor, '!');
    expect(blocks(ma.editor)).toEqual(['Hello from A', 'Reply from B!']);
    expect(stateOf(mb.editor)).toEqual(stateOf(ma.editor));
    expect([...ma.errors, ...mb.errors]).toEqual([]);
  });

  it('partition, both edit, heal: identical and every edit present once', async () => {
    const network = new LoopbackNetwork();
    const a = await startDevice(network);
    const b = await startDevice(network);
    const noteId = await a.app.index.create();
    const ma = await mount(a, noteId);
    typeAtEnd(ma.editor, 'shared line');
    await shareNote(a, b, noteId);
    const mb = await mount(b, noteId);
    await whenState(mb.session, (s) => s.peerCount === 1);
    expect(blocks(mb.editor)).toEqual(['shared line']);

    const [ta] = a.transports;
    const [tb] = b.transports;
    if (!ta || !tb) throw new Error('each device should have opened one transport');
    network.partition([ta], [tb]);
    expect(ma.session.state.get()).toMatchObject({ sync: 'connecting', peerCount: 0 });
    // Offline is what the status line reports when the device itself has no network.
    network.setOnline(tb, false);
    expect(mb.session.state.get()).toMatchObject({ sync: 'offline', peerCount: 0 });

    // Concurrent edits in the same paragraph (both ends), plus new paragraphs on both sides.
    typeAtEnd(ma.editor, ' +A');
    typeAtStart(mb.editor, 'B+ ');
    addParagraph(ma.editor, 'only on A');
    addParagraph(mb.editor, 'only on B');
    expect(blocks(ma.editor)).not.toContain('only on B');
    expect(blocks(mb.editor)).not.toContain('only on A');

    network.setOnline(tb, true);
    network.heal();
    await whenState(ma.session, (s) => s.sync === 'connected');
    const merged = blocks(ma.editor);
    expect(stateOf(mb.editor)).toEqual(stateOf(ma.editor));
    expect(merged[0]).toBe('B+ shared line +A');
    expect(merged).toHaveLength(3);
    const text = merged.join('\n');
    for (const token of ['B+', '+A', 'shared line', 'only on A', 'only on B']) expect(occurrences(text, token)).toBe(1);

    // The merge is what each device stored: reopening from storage alone shows the same.
    await a.app.flush();
    await b.app.flush();
    ma.unmount();
    mb.unmount();
    const isolated = new LoopbackNetwork();
    for (const device of [a, b]) {
      const again = await startDevice(isolated, { store: device.store, preferences: device.preferences });
      const m = await mount(again, noteId);
      expect(blocks(m.editor)).toEqual(merged);
      m.unmount();
    }
  });

  it('refreshes the notes index title and search text from content, and only edits move a note up', async () => {
    const network = new LoopbackNetwork();
    const device = await startDevice(network);
    const older = await device.app.index.create();
    const noteId = await device.app.index.create();
    const m = await mount(device, noteId);
    typeAtEnd(m.editor, 'Trip ideas');
    addParagraph(m.editor, 'mountains and lakes');
    await device.app.flush();
    const entry = (await device.app.index.get(noteId));
    expect(entry?.title).toBe('Trip ideas');
    expect((await device.app.index.list({ limit: Infinity, query: 'lakes' })).notes.map((n) => n.id)).toEqual([noteId]);
    m.unmount();

    // Opening the older note without editing it does not move it to the top ...
    const mo = await mount(device, older);
    await device.app.flush();
    expect((await device.app.index.list({ limit: Infinity })).notes.map((n) => n.id)).toEqual([noteId, older]);
    // ... an edit does.
    typeAtEnd(mo.editor, 'Now edited');
    await device.app.flush();
    expect((await device.app.index.list({ limit: Infinity })).notes.map((n) => n.id)).toEqual([older, noteId]);
    expect((await device.app.index.get(older))?.title).toBe('Now edited');
  });

  it('flush() resolves with the list refreshed and the content stored, without waiting for timers', async () => {
    const network = new LoopbackNetwork();
    const device = await startDevice(network);
    const noteId = await device.app.index.create();
    const m = await mount(device, noteId);
    typeAtEnd(m.editor, 'Saved right away');
    // The list refresh is debounced; flush() runs it now.
    expect((await device.app.index.get(noteId))?.title).toBe('Untitled');
    await device.app.flush();
    expect((await device.app.index.get(noteId))?.title).toBe('Saved right away');
    expect(device.store.rows(noteDocName(noteId))).toBeGreaterThan(0);
    // What is stored, read by another instance of the app on the same storage.
    const reader = await startDevice(new LoopbackNetwork(), { store: device.store, indexStore: device.indexStore });
    expect((await reader.app.index.get(noteId))?.title).toBe('Saved right away');
    const mr = await mount(reader, noteId);
    expect(blocks(mr.editor)).toEqual(['Saved right away']);
  });

  it('a display name change is sanitized, remembered and reaches peers through awareness', async () => {
    const network = new LoopbackNetwork();
    const a = await startDevice(network);
    const b = await startDevice(network);
    const noteId = await a.app.index.create();
    const ma = await mount(a, noteId);
    await shareNote(a, b, noteId);
    const mb = await mount(b, noteId);
    await whenState(ma.session, (s) => s.peers.length === 1);
    expect(ma.session.state.get().peers[0]?.name).toBe('Anonymous');

    // Caret moves change awareness but not who is here: the state A's UI
    // renders from is not republished for them.
    const [ta] = a.transports;
    const before = ma.session.state.get();
    let published = 0;
    const unsubscribe = ma.session.state.subscribe(() => published++);
    b.transports[0]?.awareness.setLocalStateField('anchorPos', { moved: 1 });
    ta?.awareness.setLocalStateField('anchorPos', { moved: 2 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    unsubscribe();
    expect(published).toBe(0);
    expect(ma.session.state.get()).toBe(before);

    b.app.setDisplayName('  Ada\u202e  Lovelace\n');
    expect(b.app.displayName.get()).toBe('Ada Lovelace');
    const [tb] = b.transports;
    // The new name goes out together with its device proof (signed asynchronously: PresenceIdentities).
    await waitFor('the new name published', () => tb?.awareness.getLocalState()?.name === 'Ada Lovelace');
    const state = await whenState(ma.session, (s) => s.peers[0]?.name === 'Ada Lovelace');
    expect(state.peers[0]?.color).toBe(mb.session.state.get().selfColor);
    // Remembered for the next session of B's device.
    const bAgain = await startDevice(network, { store: b.store, indexStore: b.indexStore, preferences: b.preferences });
    expect(bAgain.app.displayName.get()).toBe('Ada Lovelace');
  });

  it('device keys: a peer is listed with its verified fingerprint, and History names who wrote each version', async () => {
    const network = new LoopbackNetwork();
    const a = await startDevice(network);
    const b = await startDevice(network);
    a.app.setDisplayName('Ada');
    b.app.setDisplayName('Babbage');
    const noteId = await a.app.index.create();
    const ma = await mount(a, noteId);
    await shareNote(a, b, noteId);
    const mb = await mount(b, noteId);
    const bKey = (await b.app.deviceIdentity())?.fingerprint;
    const aKey = (await a.app.deviceIdentity())?.fingerprint;
    expect(bKey).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
    expect(bKey).not.toBe(aKey);
    expect(b.app.deviceFingerprint.get()).toBe(bKey);
    const listed = await whenState(ma.session, (s) => s.peers[0]?.fingerprint !== undefined);
    expect(listed.peers).toEqual([expect.objectContaining({ name: 'Babbage', fingerprint: bKey })]);

    typeAtEnd(mb.editor, 'Babbage wrote this');
    await waitFor('the edit at A', () => blocks(ma.editor).join('').includes('Babbage wrote this'));
    const [newest] = await ma.session.historyNow();
    expect(newest?.authors.map((author) => [author.name, author.fingerprint])).toEqual([['Babbage', bKey]]);
    // The versions keep them: read from the store, not the session.
    expect((await a.app.versions.list(noteId))[0]?.authors[0]?.fingerprint).toBe(bKey);
    // History with nothing new records nothing more.
    expect((await ma.session.historyNow()).length).toBe((await a.app.versions.list(noteId)).length);
  });

  it('a device key store that fails gives this page a temporary key, with an alert that says so', async () => {
    const app = new WeftApp({
      store: new MemoryStore(),
      fallbackStore: () => new MemoryStore(),
      transports: (doc, awareness, room) => new LoopbackNetwork().join(doc, awareness, room),
      preferences: new MapPreferences(),
      deviceKeys: {
        load: () => Promise.reject(new Error('QuotaExceededError: disk full')),
        keep: () => Promise.reject(new Error('QuotaExceededError: disk full')),
      },
    });
    await app.start();
    cleanups.push(() => app.destroy());
    const identity = await app.deviceIdentity();
    expect(identity?.fingerprint).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
    expect(app.deviceFingerprint.get()).toBe(identity?.fingerprint);
    expect(app.alerts.get()).toEqual([expect.objectContaining({ key: 'device-key', message: expect.stringMatching(/disk full.*temporary/) })]);
    // Loaded once per page.
    expect(await app.deviceIdentity()).toBe(identity);
  });

  it('a note unknown to the index opens locally but starts no transport', async () => {
    const network = new LoopbackNetwork();
    const device = await startDevice(network);
    const m = await mount(device, 'AAAAAAAAAAAAAAAAAAAAAA');
    typeAtEnd(m.editor, 'local only');
    expect(device.transports).toHaveLength(0);
    expect(m.session.state.get().sync).toBe('offline');
  });

  it('unmounting stops syncing that mount, and a remount of the same note syncs again', async () => {
    const network = new LoopbackNetwork();
    const a = await startDevice(network);
    const b = await startDevice(network);
    const noteId = await a.app.index.create();
    const ma = await mount(a, noteId);
    await shareNote(a, b, noteId);
    const mb = await mount(b, noteId);
    await whenState(ma.session, (s) => s.peerCount === 1);
    mb.unmount();
    await whenState(ma.session, (s) => s.peerCount === 0 && s.peers.length === 0);
    typeAtEnd(ma.editor, 'while B was away');
    const mb2 = await mount(b, noteId);
    await whenState(mb2.session, (s) => s.peerCount === 1);
    expect(blocks(mb2.editor)).toEqual(['while B was away']);
  });

  it('unbinding undoes what bind set up: no flusher, live doc, transport or name listener left; the doc goes once written', async () => {
    const network = new LoopbackNetwork();
    const device = await startDevice(network);
    const noteId = await device.app.index.create();
    const m = await mount(device, noteId);
    typeAtEnd(m.editor, 'typed, then closed at once');
    const doc = device.app.liveDocs.get(noteId)?.values().next().value as Y.Doc;
    expect(device.app.flushers.size).toBe(1);
    m.unmount();
    expect(device.app.flushers.size).toBe(0);
    expect(device.app.liveDocs.has(noteId)).toBe(false);
    expect(device.transports[0]?.status).toBe('offline');
    // The refresh pending for the last keystrokes ran on unmount instead of being dropped.
    expect((await device.app.index.get(noteId))?.derivedTitle).toBe('typed, then closed at once');
    // Its writes land, then the doc goes.
    await waitFor('the unbound doc to be destroyed', () => doc.isDestroyed);
    const before = m.session.state.get();
    device.app.setDisplayName('Someone else');
    expect(m.session.state.get()).toBe(before);
  });
});
