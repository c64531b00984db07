/**
 * Version history through the composition root: WeftApp with MemoryStore,
 * MemoryVersionStore and loopback transports, headless editors bound with
 * NoteSession.bind (as NotePage does in the browser).
 */
import { $createParagraphNode, $getRoot, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import { WeftApp, type NoteSession } from '../../../src/app/session';
import { MapPreferences } from './mapPreferences';
import { MemoryStore } from '../../../src/storage/memory';
import { MemoryVersionStore } from '../../../src/storage/memoryVersions';
import { MAX_PINNED_PER_NOTE } from '../../../src/doc/versionPolicy';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import { createTestEditor, flush } from '../collab/harness';
import { replaceLines } from '../editor/replaceLines';
import { eventually } from '../waitFor';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function device(network: LoopbackNetwork, options: { versionIntervalMs?: number } = {}) {
  const store = new MemoryStore();
  const versions = new MemoryVersionStore();
  let t = 1_700_000_000_000;
  const app = new WeftApp({
    store,
    fallbackStore: () => new MemoryStore(),
    transports: network.factory,
    preferences: new MapPreferences(),
    versions,
    now: () => (t += 1000),
    ...options,
  });
  await app.start();
  cleanups.push(() => app.destroy());
  return { app, store, versions };
}

interface Mount {
  session: NoteSession;
  editor: LexicalEditor;
  unmount: () => void;
}

async function mount(app: WeftApp, noteId: string): Promise<Mount> {
  const session = app.openNote(noteId);
  const editor = createTestEditor();
  const dispose = session.bind(editor);
  let mounted = true;
  const unmount = () => {
    if (mounted) dispose();
    mounted = false;
  };
  cleanups.push(unmount);
  await eventually(() => expect(session.state.get().phase).toBe('ready'));
  return { session, editor, unmount };
}


const text = (editor: LexicalEditor) => {
  flush(editor);
  return editor.read(() => $getRoot().getTextContent());
};

describe('version history', () => {
  it('opening a note records a version only when it changed since the last one', async () => {
    const { app, versions } = await device(new LoopbackNetwork());
    const id = await app.index.create();
    const first = await mount(app, id);
    replaceLines(first.editor, ['Shopping list', 'milk, eggs and bread']);
    first.unmount();
    // The empty note on first open was not worth a version.
    expect(await versions.list(id)).toEqual([]);

    const second = await mount(app, id);
    await eventually(async () => expect(await versions.list(id)).toHaveLength(1));
    const [meta] = await versions.list(id);
    expect(meta).toMatchObject({ reason: 'open', preview: 'Shopping list milk, eggs and bread' });
    second.unmount();

    const third = await mount(app, id);
    expect(text(third.editor)).toBe('Shopping list\n\nmilk, eggs and bread');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await versions.list(id)).toHaveLength(1);
  });

  it('records a version every interval while the note is edited, and none while it is idle', async () => {
    const { app, versions } = await device(new LoopbackNetwork(), { versionIntervalMs: 15 });
    const id = await app.index.create();
    const { editor } = await mount(app, id);
    replaceLines(editor, ['draft one']);
    await eventually(async () => expect((await versions.list(id)).map((v) => v.reason)).toEqual(['periodic']));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await versions.list(id)).toHaveLength(1);
    replaceLines(editor, ['draft two']);
    await eventually(async () => expect((await versions.list(id))[0]?.preview).toBe('draft two'));
  });

  it('a peer deleting everything: the state before is kept, and restoring it brings the text back everywhere', async () => {
    const network = new LoopbackNetwork();
    const a = await device(network);
    const b = await device(network);
    const id = await a.app.index.create();
    await b.app.index.addShared(id, (await a.app.index.get(id))!.secret);
    const onA = await mount(a.app, id);
    const onB = await mount(b.app, id);
    replaceLines(onA.editor, ['Meeting notes', 'Decisions we must not lose']);
    await eventually(() => expect(text(onB.editor)).toBe('Meeting notes\n\nDecisions we must not lose'));

    // The vandal (or an accident) on the other device.
    onB.editor.update(() => $getRoot().clear().append($createParagraphNode()), { discrete: true });
    await eventually(() => expect(text(onA.editor)).toBe(''));
    await eventually(async () => expect((await a.versions.list(id))[0]?.reason).toBe('before-remote-removal'));
    const [saved] = await a.versions.list(id);
    expect(saved!.preview).toBe('Meeting notes Decisions we must not lose');
    // Only a change from elsewhere counts: B's own deletion recorded nothing on B.
    expect((await b.versions.list(id)).filter((v) => v.reason === 'before-remote-removal')).toEqual([]);

    expect((await onA.session.readVersion(saved!.id))?.text).toBe('Meeting notes\n\nDecisions we must not lose');
    await onA.session.restoreVersion(saved!.id);
    expect(text(onA.editor)).toBe('Meeting notes\n\nDecisions we must not lose');
    await eventually(() => expect(text(onB.editor)).toBe('Meeting notes\n\nDecisions we must not lose'));
    expect((await a.versions.list(id)).map((v) => v.reason)).toContain('before-restore');
  });

  it('deleting a note for good deletes its versions', async () => {
    const { app, versions } = await device(new LoopbackNetwork(), { versionIntervalMs: 10 });
    const id = await app.index.create();
    const { editor, unmount } = await mount(app, id);
    replaceLines(editor, ['soon gone']);
    await eventually(async () => expect(await versions.list(id)).toHaveLength(1));
    unmount();
    await app.index.remove(id);
    await app.purgeNote(id);
    expect(await versions.list(id)).toEqual([]);
  });

  it('a version that is gone cannot be restored, and says so', async () => {
    const { app } = await device(new LoopbackNetwork());
    const id = await app.index.create();
    const { session } = await mount(app, id);
    await expect(session.restoreVersion(12345)).rejects.toThrow(/no longer stored/);
  });

  it(`pins up to ${MAX_PINNED_PER_NOTE} versions of a note, says so past that, and unpins`, async () => {
    const { app, versions } = await device(new LoopbackNetwork());
    const id = await app.index.create();
    const { session } = await mount(app, id);
    const saved = [];
    for (let i = 0; i <= MAX_PINNED_PER_NOTE; i++) {
      saved.push(await versions.save({ noteId: id, at: i, state: new Uint8Array([i]), snapshot: new Uint8Array(), preview: `v${i}`, reason: 'periodic' }));
    }
    for (const meta of saved.slice(0, MAX_PINNED_PER_NOTE)) expect(await session.pinVersion(meta.id, true)).toMatchObject({ pinned: true });
    // Pinning one already pinned changes nothing and is no error.
    expect(await session.pinVersion(saved[0]!.id, true)).toMatchObject({ pinned: true });
    const last = saved[MAX_PINNED_PER_NOTE]!;
    await expect(session.pinVersion(last.id, true)).rejects.toThrow(`A note keeps at most ${MAX_PINNED_PER_NOTE} pinned versions. Unpin one to pin this one.`);
    expect((await session.listVersions()).find((v) => v.id === last.id)?.pinned).toBe(false);
    expect(await session.pinVersion(saved[3]!.id, false)).toMatchObject({ pinned: false });
    expect(await session.pinVersion(last.id, true)).toMatchObject({ pinned: true });
    await expect(session.pinVersion(987654, false)).rejects.toThrow(/no longer stored/);
  });
});
