/**
 * Test-local helpers for the collab tests: headless peers (editor + Y.Doc +
 * binding), a deterministic flush, a seeded PRNG and an in-memory network that
 * can partition, delay and reorder updates. Kept out of src/sync/ on purpose:
 * this network exists to be adversarial, not to be a transport.
 */
import { createHeadlessEditor } from '@lexical/headless';
import type { LexicalEditor, SerializedEditorState } from 'lexical';
import * as Y from 'yjs';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { bindEditorToDoc, type DocBinding } from '../../../src/editor/collab/bindEditorToDoc';
import { ORIGIN_REMOTE, ORIGIN_SEED } from '../../../src/doc/origins';
import type { NoteBindingVersion } from '../../../src/doc/noteRoot';
import { mulberry32 } from '../../prng';

export { mulberry32 };

/** Random helpers over one PRNG. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[this.int(items.length)] as T;
  }
}

/** A headless editor bound to its own doc, as one app instance would be. */
export interface Peer {
  name: string;
  doc: Y.Doc;
  editor: LexicalEditor;
  handle: DocBinding;
  /** Errors Lexical reported (onError) outside local ops; any is a test failure. */
  errors: Error[];
  /** Remote changes the binding failed to render incrementally and recovered from by a full resync. */
  resyncs: Error[];
  /** Local ops Lexical itself rejected (see runOp); the update was rolled back, nothing synced. */
  rejectedOps: Error[];
}

/** Lexical headless editor with the app's node set; errors are collected, not swallowed. */
export function createTestEditor(errors: Error[] = []): LexicalEditor {
  return createHeadlessEditor({
    namespace: 'weft-test',
    nodes: [...EDITOR_NODES],
    onError: (error) => {
      errors.push(error);
    },
  });
}

/** Build a peer; `seed` is applied *after* binding, like storage would load. */
export function createPeer(
  name: string,
  opts: { version?: NoteBindingVersion; seed?: Uint8Array; clientID?: number; deferWrites?: boolean; gc?: boolean } = {},
): Peer {
  const doc = new Y.Doc({ gc: opts.gc ?? true });
  if (opts.clientID !== undefined) doc.clientID = opts.clientID;
  const errors: Error[] = [];
  const resyncs: Error[] = [];
  const editor = createTestEditor(errors);
  const handle = bindEditorToDoc(editor, doc, {
    ...(opts.version ? { bindingVersion: opts.version } : {}),
    // Deferred as in the app, except that no frame ever comes by itself: the edits wait
    // until a peer's change arrives, an undo, writeLocalEdits (the test's "a frame passed")
    // or the network settling writes them.
    ...(opts.deferWrites ? { deferLocalWrites: () => {} } : {}),
    onSyncError: (e) => resyncs.push(e),
  });
  if (opts.seed) Y.applyUpdate(doc, opts.seed, ORIGIN_SEED);
  flush(editor);
  return { name, doc, editor, handle, errors, resyncs, rejectedOps: [] };
}

/**
 * Commit everything Lexical has pending. `editor.read()` force-commits; a
 * commit's onUpdate callbacks may queue another update (e.g. @lexical/yjs
 * re-adding a paragraph to an emptied root), hence the loop.
 */
export function flush(editor: LexicalEditor): void {
  for (let i = 0; i < 20; i++) {
    editor.read(() => {});
    const internals = editor as unknown as { _pendingEditorState: unknown; _updates: unknown[] };
    if (internals._pendingEditorState === null && internals._updates.length === 0) return;
  }
  throw new Error('editor did not settle after 20 flushes');
}

/** The editor's state as JSON (after a flush). */
export function stateOf(editor: LexicalEditor): SerializedEditorState {
  flush(editor);
  return editor.getEditorState().toJSON();
}

/** Plain-text outline of an editor, for readable failure messages. */
export function outline(editor: LexicalEditor): string {
  const json = stateOf(editor);
  const walk = (node: { type: string; text?: string; children?: unknown[] }, depth: number): string => {
    const self = `${'  '.repeat(depth)}${node.type}${node.text !== undefined ? ` ${JSON.stringify(node.text)}` : ''}`;
    const kids = (node.children ?? []) as Array<{ type: string; text?: string; children?: unknown[] }>;
    return [self, ...kids.map((k) => walk(k, depth + 1))].join('\n');
  };
  return walk(json.root as unknown as { type: string; children?: unknown[] }, 0);
}

/** A fresh peer loaded from another doc's full state (what a new device would see). */
export function reloadFrom(doc: Y.Doc, version?: NoteBindingVersion): Peer {
  const fresh = new Y.Doc();
  Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc), ORIGIN_REMOTE);
  const errors: Error[] = [];
  const resyncs: Error[] = [];
  const editor = createTestEditor(errors);
  // Bound *after* the content is in the doc: exercises rendering pre-existing content.
  const handle = bindEditorToDoc(editor, fresh, {
    ...(version ? { bindingVersion: version } : {}),
    onSyncError: (e) => resyncs.push(e),
  });
  flush(editor);
  return { name: 'reloaded', doc: fresh, editor, handle, errors, resyncs, rejectedOps: [] };
}

interface Message {
  to: number;
  from: number;
  update: Uint8Array;
}

/**
 * Mesh network between peers. Peers in the same group are linked; a local
 * update is queued on every live link and delivered later, in random order.
 * When a link breaks its queue is dropped (the connection is gone); when a
 * link forms, the two peers exchange state-vector diffs, like y-webrtc's sync
 * step 1/2. Remote updates are applied with ORIGIN_REMOTE.
 */
export class Network {
  private groups: number[];
  private queue: Message[] = [];
  private readonly offs: Array<() => void> = [];

  constructor(
    readonly peers: Peer[],
    private readonly rng: Rng,
  ) {
    this.groups = peers.map(() => 0);
    peers.forEach((peer, i) => {
      const onUpdate = (update: Uint8Array, origin: unknown): void => {
        // Don't echo what came from the network (a mesh needs no relaying:
        // every peer hears from every linked peer directly).
        if (origin === ORIGIN_REMOTE) return;
        for (let j = 0; j < peers.length; j++) {
          if (j !== i && this.linked(i, j)) this.queue.push({ from: i, to: j, update });
        }
      };
      peer.doc.on('update', onUpdate);
      this.offs.push(() => peer.doc.off('update', onUpdate));
    });
  }

  linked(i: number, j: number): boolean {
    return this.groups[i] === this.groups[j];
  }

  /** Reassign peers to groups; broken links lose their queue, new links sync. */
  setGroups(groups: number[]): void {
    const before = this.groups;
    this.groups = groups;
    this.queue = this.queue.filter((m) => this.linked(m.from, m.to));
    for (let i = 0; i < this.peers.length; i++) {
      for (let j = i + 1; j < this.peers.length; j++) {
        if (before[i] !== before[j] && this.linked(i, j)) this.syncPair(i, j);
      }
    }
  }

  /** Random partition of the peers into up to `peers.length` groups. */
  randomPartition(): void {
    this.setGroups(this.peers.map(() => this.rng.int(this.peers.length)));
  }

  heal(): void {
    this.setGroups(this.peers.map(() => 0));
  }

  /** Deliver up to `max` queued messages, picked at random (reordering). */
  deliverSome(max: number): void {
    for (let n = 0; n < max && this.queue.length > 0; n++) {
      const idx = this.rng.int(this.queue.length);
      const [msg] = this.queue.splice(idx, 1);
      if (msg) this.apply(msg.to, msg.update);
    }
  }

  /**
   * Deliver everything and state-sync every linked pair, repeatedly, until
   * nothing is in flight: applying remote changes can make a binding write
   * fix-ups of its own (e.g. after Lexical normalizes text nodes).
   */
  settle(maxRounds = 10): void {
    for (let round = 0; round < maxRounds; round++) {
      for (const peer of this.peers) peer.handle.writeLocalEdits();
      this.deliverSome(Number.POSITIVE_INFINITY);
      for (let i = 0; i < this.peers.length; i++) {
        for (let j = i + 1; j < this.peers.length; j++) {
          if (this.linked(i, j)) this.syncPair(i, j);
        }
      }
      if (this.queue.length === 0) return;
    }
    throw new Error(`network did not settle after ${maxRounds} rounds`);
  }

  private syncPair(i: number, j: number): void {
    const a = this.peers[i] as Peer;
    const b = this.peers[j] as Peer;
    const toB = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc));
    const toA = Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc));
    this.apply(j, toB);
    this.apply(i, toA);
  }

  private apply(to: number, update: Uint8Array): void {
    const peer = this.peers[to] as Peer;
    // As a transport does (see DocBinding.beforeRemoteUpdate).
    peer.handle.beforeRemoteUpdate(update);
    Y.applyUpdate(peer.doc, update, ORIGIN_REMOTE);
    flush(peer.editor);
  }

  dispose(): void {
    for (const off of this.offs) off();
  }
}
