/**
 * In-browser benchmark harness. bench/run.mjs loads this page in headless Chromium and drives it
 * through `window.weftBench`. Everything here uses the app's real modules: the React `NoteEditor`,
 * the composition root (`WeftApp` / `NoteSession`), the Yjs binding, the IndexedDB adapter and the
 * loopback transport. Nothing is copied.
 *
 * Edits come in as unit ops `[pos, del, ch]`: `del === 1` deletes the character at `pos`, otherwise
 * `ch` (one character, `\n` splits a paragraph) is inserted at `pos`. Positions are character
 * offsets into the plain text whose paragraphs are joined by `\n`.
 */
import { createHeadlessEditor } from '@lexical/headless';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { IndexeddbPersistence } from 'y-indexeddb';
import {
  $createParagraphNode,
  $createRangeSelection,
  $createTextNode,
  $getNodeByKey,
  $getRoot,
  $isElementNode,
  $isTextNode,
  $setSelection,
  type ElementNode,
  type LexicalEditor,
  type LexicalNode,
  type NodeKey,
  type TextNode,
} from 'lexical';
import { createRoot, type Root } from 'react-dom/client';
import * as Y from 'yjs';
import { WeftApp, noteDocName, type NoteSession } from '../../src/app/session';
import { ORIGIN_REMOTE } from '../../src/doc/origins';
import { applySeed } from '../../src/doc/seed';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../src/doc/noteRoot';
import { bindEditorToDoc } from '../../src/editor/collab/bindEditorToDoc';
import { NoteEditor } from '../../src/editor/NoteEditor';
import { EDITOR_NODES } from '../../src/editor/nodes';
import type { DocStore, PersistedDoc } from '../../src/storage/DocStore';
import { IndexedDbStore } from '../../src/storage/IndexedDbStore';
import { PaintScheduler } from '../../src/storage/PaintScheduler';
import { UPDATES_STORE, CUSTOM_STORE } from '../../src/storage/updatesDatabase';
import { MemoryStore } from '../../src/storage/memory';
import { LoopbackNetwork, type LoopbackTransport } from '../../src/sync/loopback';
import { checkNoteUpdate } from '../../src/sync/updateFirewall';
import { deriveNoteKeys } from '../../src/sync/noteKeys';
import { judgeProofTime, loadDeviceIdentity, readPresenceProof, verifyPresenceProof } from '../../src/sync/deviceIdentity';
import { MemoryDeviceKeyStore } from '../../src/storage/MemoryDeviceKeyStore';
import { MESSAGE_SYNC, decodePeerMessage, peerMessage } from '../../src/sync/peerMessage';
import * as syncProtocol from 'y-protocols/sync';

export type Op = [pos: number, del: number, ch: string];

// ---------------------------------------------------------------------------------------------
// Plain-text model of the note: paragraphs split on '\n', with a cursor cache (trace edits are local).

class TextModel {
  paras: string[] = [''];
  private cPara = 0;
  private cStart = 0;

  /** Paragraph index and offset of character position `pos`. */
  locate(pos: number): [number, number] {
    while (pos < this.cStart) {
      this.cPara--;
      this.cStart -= (this.paras[this.cPara] ?? '').length + 1;
    }
    while (pos > this.cStart + (this.paras[this.cPara] ?? '').length) {
      this.cStart += (this.paras[this.cPara] ?? '').length + 1;
      this.cPara++;
      if (this.cPara >= this.paras.length) throw new Error(`position ${pos} is past the end`);
    }
    return [this.cPara, pos - this.cStart];
  }

  apply(op: Op): void {
    const [pos, del, ch] = op;
    const [p, off] = this.locate(pos);
    const s = this.paras[p] ?? '';
    if (del === 1) {
      if (off === s.length) {
        this.paras.splice(p, 2, s + (this.paras[p + 1] ?? ''));
      } else {
        this.paras[p] = s.slice(0, off) + s.slice(off + 1);
      }
    } else if (ch === '\n') {
      this.paras.splice(p, 1, s.slice(0, off), s.slice(off));
    } else {
      this.paras[p] = s.slice(0, off) + ch + s.slice(off);
    }
  }

  text(): string {
    return this.paras.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Applying unit ops to a Lexical editor (inside editor.update), mirroring the model.

function $para(keys: NodeKey[], p: number): ElementNode {
  const key = keys[p];
  const node = key === undefined ? null : $getNodeByKey(key);
  if (!$isElementNode(node)) throw new Error(`paragraph ${p} is missing`);
  return node;
}

/** The text node holding offset `off` of `para` (for inserting: the earlier node at a boundary). */
function $locateText(para: ElementNode, off: number, forDelete: boolean): { node: TextNode; local: number } | null {
  let acc = 0;
  const kids = para.getChildren();
  for (const kid of kids) {
    if (!$isTextNode(kid)) throw new Error(`unexpected ${kid.getType()} node in a paragraph`);
    const len = kid.getTextContentSize();
    if (forDelete ? off < acc + len : off <= acc + len) return { node: kid, local: off - acc };
    acc += len;
  }
  if (kids.length === 0 && off === 0) return null;
  throw new Error(`offset ${off} is past the paragraph end (${acc})`);
}

function $applyOp(keys: NodeKey[], model: TextModel, op: Op): void {
  const [pos, del, ch] = op;
  const [p, off] = model.locate(pos);
  const para = $para(keys, p);
  if (del === 1) {
    if (off === (model.paras[p] ?? '').length) {
      const next = $para(keys, p + 1);
      const kids = next.getChildren();
      if (kids.length > 0) para.append(...kids);
      next.remove();
      keys.splice(p + 1, 1);
    } else {
      const loc = $locateText(para, off, true);
      if (loc === null) throw new Error('nothing to delete');
      loc.node.spliceText(loc.local, 1, '', false);
      if (loc.node.getTextContentSize() === 0) loc.node.remove();
    }
  } else if (ch === '\n') {
    const next = $createParagraphNode();
    const loc = $locateText(para, off, false);
    if (loc !== null) {
      let from: LexicalNode | null;
      if (loc.local === 0) from = loc.node;
      else if (loc.local === loc.node.getTextContentSize()) from = loc.node.getNextSibling();
      else from = loc.node.splitText(loc.local)[1] ?? null;
      const move: LexicalNode[] = [];
      for (let n = from; n !== null; n = n.getNextSibling()) move.push(n);
      if (move.length > 0) next.append(...move);
    }
    para.insertAfter(next);
    keys.splice(p + 1, 0, next.getKey());
  } else {
    const loc = $locateText(para, off, false);
    if (loc === null) para.append($createTextNode(ch));
    else loc.node.spliceText(loc.local, 0, ch, false);
  }
  model.apply(op);
}

function editorText(editor: LexicalEditor): string {
  return editor.read(() =>
    $getRoot()
      .getChildren()
      .map((c) => c.getTextContent())
      .join('\n'),
  );
}

function editorKeys(editor: LexicalEditor): NodeKey[] {
  return editor.read(() => $getRoot().getChildrenKeys());
}

// ---------------------------------------------------------------------------------------------
// Timing helpers.

const now = () => performance.now();

/** Resolves after the next frame has been produced (rAF, then a task after the paint). */
function afterNextPaint(): Promise<number> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve(now());
      };
      channel.port2.postMessage(0);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The floor under key→paint: from a task that changes nothing to the end of
 * the next frame, at phases spread over the frame interval. Headless Chromium
 * makes frames at 60 Hz and dispatches a key as soon as it arrives, so a
 * keystroke waits for the next frame like this task does, whatever the editor.
 */
async function frameFloor(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await sleep((i * 7) % 17);
    const t0 = now();
    out.push((await afterNextPaint()) - t0);
  }
  return out;
}

interface LongTask {
  start: number;
  duration: number;
}
const longTasks: LongTask[] = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // No long task API: the counts stay empty (reported as such).
}
function longTasksBetween(t0: number, t1: number): number[] {
  return longTasks.filter((t) => t.start >= t0 && t.start < t1).map((t) => t.duration);
}

// Keystroke measurement: capture listeners (registered before any editor exists, so they run
// first) open a span, bubble listeners on window close it. handler = sum of the spans of one
// keystroke's events (keydown, keypress, beforeinput, input, keyup), which includes Lexical's
// commit, the binding's Yjs transaction and the storage write queued in it.
interface KeyMeasure {
  t0: number | null;
  handler: number;
  open: number | null;
  paintArmed: boolean;
  paint: Promise<number> | null;
  /** The app's write of the keystroke to its doc, in the task after the frame (ms; 0 elsewhere). */
  afterPaint: number;
  /** Whether the key changes the block structure (Enter, Backspace joining two paragraphs). */
  structural: boolean;
}
let cur: KeyMeasure | null = null;
let lastCommit = 0;
function closeSpan(m: KeyMeasure): void {
  if (m.open === null) return;
  m.handler += Math.max(lastCommit, m.open) - m.open;
  m.open = null;
}
function armPaint(m: KeyMeasure): void {
  if (m.paintArmed) return;
  m.paintArmed = true;
  m.paint = afterNextPaint();
}
for (const type of ['keydown', 'keypress', 'beforeinput', 'input', 'keyup']) {
  window.addEventListener(
    type,
    (e) => {
      const m = cur;
      if (!m) return;
      if (m.t0 === null) m.t0 = e.timeStamp;
      closeSpan(m);
      m.open = now();
    },
    true,
  );
  window.addEventListener(type, () => {
    const m = cur;
    if (!m || m.open === null) return;
    m.handler += now() - m.open;
    m.open = null;
    if (type === 'input' || type === 'keyup') armPaint(m);
  });
}

// ---------------------------------------------------------------------------------------------
// Mounting editors.

const container = document.getElementById('editors') as HTMLElement;

/** A DocStore that remembers what it opened, so the harness can wait for a closed note's writes. */
class TrackingStore implements DocStore {
  readonly opened: PersistedDoc[] = [];
  constructor(readonly inner: IndexedDbStore) {}
  open(name: string, doc: Y.Doc): PersistedDoc {
    const p = this.inner.open(name, doc);
    this.opened.push(p);
    return p;
  }
  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }
  mayExist(name: string): Promise<boolean> {
    return this.inner.mayExist(name);
  }
  /** Resolves once every doc opened so far has been destroyed (writes landed, connection closed). */
  async settle(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((p) => p.destroy()));
  }
}

interface Mounted {
  editor: LexicalEditor;
  root: Root;
  host: HTMLElement;
  session: NoteSession | null;
  unmount(): void;
}

type BindFn = (editor: LexicalEditor, context: { cursorsContainer: HTMLElement | null }) => () => void;

function mountEditor(bind: BindFn): Promise<Mounted> {
  const host = document.createElement('div');
  container.appendChild(host);
  const root = createRoot(host);
  return new Promise((resolve) => {
    root.render(
      <NoteEditor
        bind={(editor, context) => {
          const dispose = bind(editor, context);
          resolve({
            editor,
            root,
            host,
            session: null,
            unmount: () => {
              root.unmount();
              host.remove();
            },
          });
          return dispose;
        }}
      />,
    );
  });
}

function contentRoot(m: Mounted): HTMLElement {
  const el = m.editor.getRootElement();
  if (!el) throw new Error('editor has no root element');
  return el;
}

// ---------------------------------------------------------------------------------------------
// Scenario 1 state: one editor variant at a time.

type Variant = 'app' | 'plain';
interface Active {
  variant: Variant;
  mounted: Mounted;
  model: TextModel;
  keys: NodeKey[];
  /** Per keystroke, in order; `structural` marks Enter and paragraph-joining Backspace. */
  samples: { handler: number[]; paint: number[]; afterPaint: number[]; structural: boolean[] };
  windowStart: number;
  structural: boolean;
  /** The paragraph the last keystroke typed into. */
  lastPara: number;
  /** Keystrokes after which the editor no longer matched the trace (markdown shortcuts firing on LaTeX). */
  repairs: number;
}
let ops: Op[] = [];
let active: Active | null = null;
let app: WeftApp | null = null;
let store: TrackingStore | null = null;
let noteId = '';
let lastNoteParas = 0;
let lastNoteText = '';

async function fetchOps(url: string): Promise<number> {
  const res = await fetch(url);
  ops = (await res.json()) as Op[];
  return ops.length;
}

async function ensureApp(): Promise<WeftApp> {
  if (app) return app;
  // As in main.tsx: one scheduler for the editor's writes to the doc and storage's writes.
  const paintScheduler = new PaintScheduler();
  store = new TrackingStore(new IndexedDbStore({ prefix: `weft-bench-${Date.now()}:`, paintScheduler }));
  const prefs = new Map<string, string>();
  app = new WeftApp({
    store,
    // The keystroke's write to the doc, after its frame: timed apart (afterPaint), and
    // inside key→paint (it runs before the task that ends that measure).
    afterPaint: (run) =>
      paintScheduler.schedule(() => {
        const t = now();
        run();
        if (cur) cur.afterPaint += now() - t;
      }),
    fallbackStore: () => new MemoryStore(),
    // Every note syncs once loaded; here it joins an in-memory network with no other member.
    transports: new LoopbackNetwork().factory,
    preferences: { get: (k) => prefs.get(k) ?? null, set: (k, v) => void prefs.set(k, v) },
  });
  await app.start();
  noteId = await app.index.create({ title: 'bench' });
  return app;
}

async function waitPhaseReady(session: NoteSession): Promise<void> {
  while (session.state.get().phase !== 'ready') await sleep(1);
}

/** Makes the next `mount('app')` open a new, empty note (the paste profile pastes into a fresh one each round). */
async function freshNote(): Promise<void> {
  noteId = await (await ensureApp()).index.create({ title: 'bench' });
}

async function mountNote(): Promise<Mounted> {
  const a = await ensureApp();
  const session = a.openNote(noteId);
  const m = await mountEditor((editor, context) => session.bind(editor, context));
  m.session = session;
  return m;
}

async function mount(variant: Variant): Promise<void> {
  let m: Mounted;
  if (variant === 'app') {
    m = await mountNote();
    if (m.session) await waitPhaseReady(m.session);
  } else {
    m = await mountEditor((editor) => {
      editor.update(() => $getRoot().append($createParagraphNode()), { discrete: true });
      return () => {};
    });
  }
  m.editor.registerUpdateListener(() => {
    lastCommit = now();
    if (cur) armPaint(cur);
  });
  await afterNextPaint();
  const keys = editorKeys(m.editor);
  if (keys.length !== 1) throw new Error(`expected one empty paragraph, found ${keys.length}`);
  active = { variant, mounted: m, model: new TextModel(), keys, samples: { handler: [], paint: [], afterPaint: [], structural: [] }, windowStart: 0, structural: false, lastPara: 0, repairs: 0 };
}

/** Applies ops [from, to) programmatically, `batch` unit ops per editor update. */
async function applyOps(from: number, to: number, batch: number): Promise<{ ms: number }> {
  const a = mustActive();
  const t0 = now();
  for (let i = from; i < to; i += batch) {
    const end = Math.min(to, i + batch);
    a.mounted.editor.update(
      () => {
        $setSelection(null);
        for (let j = i; j < end; j++) $applyOp(a.keys, a.model, ops[j] as Op);
      },
      { discrete: true },
    );
    // Let storage writes, compaction timers and React run between batches, as they would.
    if ((i / batch) % 20 === 19) await sleep(0);
  }
  return { ms: now() - t0 };
}

function mustActive(): Active {
  if (!active) throw new Error('no editor mounted');
  return active;
}

function beginWindow(): void {
  const a = mustActive();
  a.samples = { handler: [], paint: [], afterPaint: [], structural: [] };
  a.repairs = 0;
  a.windowStart = now();
  contentRoot(a.mounted).focus();
}

async function recordPrevious(a: Active): Promise<void> {
  const m = cur;
  if (!m) return;
  closeSpan(m);
  armPaint(m);
  const paintAt = await (m.paint as Promise<number>);
  cur = null;
  a.samples.handler.push(m.handler);
  a.samples.afterPaint.push(m.afterPaint);
  a.samples.structural.push(m.structural);
  if (m.t0 !== null) a.samples.paint.push(paintAt - m.t0);
  repairIfDiverged(a);
}

/**
 * The app's markdown shortcuts are real and fire on LaTeX (`_i \mapsto v_` becomes italic, the
 * underscores vanish). That is the app's behaviour, but the trace must stay replayable: after
 * the keystroke was measured, paragraphs that no longer match the trace are rewritten as plain
 * paragraphs (untimed) and the keystroke is counted in `repairs`.
 */
function repairIfDiverged(a: Active): void {
  const want = a.model.paras;
  // Typing inside a paragraph can only change that paragraph: check just it. Building the whole
  // note's text after every keystroke (~100 KB of strings) made the GC pauses it causes land in
  // the following keystrokes' handler times, in every variant.
  const typedParaMatches = (): boolean => {
    try {
      return a.mounted.editor.read(() => $para(a.keys, a.lastPara).getTextContent() === want[a.lastPara]);
    } catch {
      return false; // the paragraph was replaced (a markdown shortcut turned it into a heading, a list…)
    }
  };
  if (a.structural ? editorText(a.mounted.editor) === want.join('\n') : typedParaMatches()) return;
  a.repairs++;
  a.mounted.editor.update(
    () => {
      const root = $getRoot();
      const kids = root.getChildren();
      const plain = (text: string) => {
        const p = $createParagraphNode();
        if (text !== '') p.append($createTextNode(text));
        return p;
      };
      for (let i = 0; i < Math.max(kids.length, want.length); i++) {
        const node = kids[i];
        const text = want[i];
        if (text === undefined) node?.remove();
        else if (node === undefined) root.append(plain(text));
        else if (node.getType() !== 'paragraph' || node.getTextContent() !== text) node.replace(plain(text));
      }
      $setSelection(null);
    },
    { discrete: true },
  );
  a.keys = editorKeys(a.mounted.editor);
}

/**
 * Records the previous keystroke, places the caret for op `i` and returns the key to press:
 * `{ text }` to type, or `{ key: 'Enter' | 'Backspace' }`. Applies op `i` to the model.
 */
async function prepareKey(i: number): Promise<{ text?: string; key?: string }> {
  const a = mustActive();
  await recordPrevious(a);
  if (a.structural) a.keys = editorKeys(a.mounted.editor);
  const op = ops[i] as Op;
  const [pos, del, ch] = op;
  const caret = del === 1 ? pos + 1 : pos;
  const [p, off] = a.model.locate(caret);
  a.lastPara = p;
  a.mounted.editor.update(
    () => {
      const para = $para(a.keys, p);
      const loc = $locateText(para, off, false);
      const sel = $createRangeSelection();
      if (loc === null) {
        sel.anchor.set(para.getKey(), 0, 'element');
        sel.focus.set(para.getKey(), 0, 'element');
      } else {
        sel.anchor.set(loc.node.getKey(), loc.local, 'text');
        sel.focus.set(loc.node.getKey(), loc.local, 'text');
      }
      $setSelection(sel);
    },
    { discrete: true },
  );
  // The caret move is not the keystroke: let its frame (and React's toolbar update) pass.
  await afterNextPaint();
  a.structural = del === 1 ? off === 0 : ch === '\n';
  a.model.apply(op);
  cur = { t0: null, handler: 0, open: null, paintArmed: false, paint: null, afterPaint: 0, structural: a.structural };
  if (del === 1) return { key: 'Backspace' };
  if (ch === '\n') return { key: 'Enter' };
  return { text: ch };
}

/** Records the last typed key (its frame awaited), so that another page may type next. */
async function settleKey(): Promise<void> {
  await recordPrevious(mustActive());
}

async function endWindow(): Promise<{ handler: number[]; paint: number[]; afterPaint: number[]; structural: boolean[]; longTasks: number[]; repairs: number }> {
  const a = mustActive();
  await recordPrevious(a);
  if (a.structural) a.keys = editorKeys(a.mounted.editor);
  a.structural = false;
  await afterNextPaint();
  return { ...a.samples, longTasks: longTasksBetween(a.windowStart, now()), repairs: a.repairs };
}

/** The editor's text, checked against the model; throws on a mismatch. */
function checkText(): { text: string; paragraphs: number } {
  const a = mustActive();
  const text = editorText(a.mounted.editor);
  if (text !== a.model.text()) {
    let i = 0;
    const model = a.model.text();
    while (i < text.length && text[i] === model[i]) i++;
    throw new Error(`editor and model differ at ${i}: editor ${JSON.stringify(text.slice(i, i + 40))} vs model ${JSON.stringify(model.slice(i, i + 40))}`);
  }
  return { text, paragraphs: a.model.paras.length };
}

/** Flushes storage, unmounts the active editor and waits for its storage to close. */
async function unmountActive(): Promise<void> {
  const a = mustActive();
  if (a.variant === 'app') {
    lastNoteText = a.model.text();
    lastNoteParas = a.model.paras.length;
    await app?.flush();
  }
  a.mounted.unmount();
  active = null;
  await store?.settle();
}

// ---------------------------------------------------------------------------------------------
// Raw Yjs baseline (scenario 1): the same ops on a Y.Text, timed in chunks (timer resolution).

const RAW_CHUNK = 10;
function rawYjs(windows: Array<[number, number]>): { windows: number[][]; text: string; updates: number; updateBytes: number; stateBytes: number } {
  const doc = new Y.Doc();
  const t = doc.getText('t');
  let updates = 0;
  let updateBytes = 0;
  doc.on('update', (u: Uint8Array) => {
    updates++;
    updateBytes += u.byteLength;
  });
  const apply = (op: Op) => {
    if (op[1] === 1) t.delete(op[0], 1);
    else t.insert(op[0], op[2]);
  };
  const out: number[][] = [];
  let i = 0;
  for (const [from, to] of windows) {
    for (; i < from; i++) apply(ops[i] as Op);
    const samples: number[] = [];
    for (; i < to; i += RAW_CHUNK) {
      const end = Math.min(to, i + RAW_CHUNK);
      const t0 = now();
      for (let j = i; j < end; j++) apply(ops[j] as Op);
      samples.push((now() - t0) / (end - i));
    }
    i = to;
    out.push(samples);
  }
  for (; i < ops.length; i++) apply(ops[i] as Op);
  return { windows: out, text: t.toString(), updates, updateBytes, stateBytes: Y.encodeStateAsUpdate(doc).byteLength };
}

// ---------------------------------------------------------------------------------------------
// Scenarios 2 and 6: opening the stored note, and what storage holds.

function idbOpen(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains(UPDATES_STORE)) db.createObjectStore(UPDATES_STORE, { autoIncrement: true });
      if (!db.objectStoreNames.contains(CUSTOM_STORE)) db.createObjectStore(CUSTOM_STORE);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('idb open failed'));
  });
}
function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}
async function readRows(dbName: string): Promise<{ rows: Uint8Array[]; customBytes: number }> {
  const db = await idbOpen(dbName);
  const tx = db.transaction([UPDATES_STORE, CUSTOM_STORE], 'readonly');
  const rowsReq = tx.objectStore(UPDATES_STORE).getAll();
  const customReq = tx.objectStore(CUSTOM_STORE).getAll();
  await txDone(tx);
  db.close();
  let customBytes = 0;
  for (const v of customReq.result as unknown[]) {
    if (v instanceof Uint8Array) customBytes += v.byteLength;
    else customBytes += JSON.stringify(v ?? null).length;
  }
  return { rows: rowsReq.result as Uint8Array[], customBytes };
}
const noteDbName = () => {
  if (!store) throw new Error('no app');
  return store.inner.databaseName(noteDocName(noteId));
};

async function storageBytes(): Promise<{ rows: number; storedBytes: number; stateBytes: number }> {
  const { rows, customBytes } = await readRows(noteDbName());
  const doc = new Y.Doc();
  Y.transact(doc, () => rows.forEach((r) => Y.applyUpdate(doc, r)), ORIGIN_REMOTE);
  const stateBytes = Y.encodeStateAsUpdate(doc).byteLength;
  doc.destroy();
  return { rows: rows.length, storedBytes: rows.reduce((s, r) => s + r.byteLength, 0) + customBytes, stateBytes };
}

/** Rewrites the note's stored log as one row, through the real adapter. */
async function compactNote(): Promise<void> {
  if (!store) throw new Error('no app');
  const doc = new Y.Doc();
  const p = store.inner.open(noteDocName(noteId), doc);
  await p.whenLoaded;
  await p.compact();
  await p.destroy();
  doc.destroy();
}

/**
 * Compacted state plus `n` pending rows, as an app closed uncleanly after `n` keystrokes leaves it:
 * the keystrokes are typed into a headless editor bound to a copy of the note and their updates
 * appended to the log, one row each.
 */
async function addPendingRows(n: number): Promise<void> {
  await compactNote();
  const dbName = noteDbName();
  const { rows } = await readRows(dbName);
  const doc = new Y.Doc();
  const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  const binding = bindEditorToDoc(editor, doc);
  Y.transact(doc, () => rows.forEach((r) => Y.applyUpdate(doc, r)), ORIGIN_REMOTE);
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin === binding.origin) updates.push(u);
  });
  for (let i = 0; i < n; i++) {
    editor.update(
      () => {
        const last = $getRoot().getLastChild();
        if ($isElementNode(last)) {
          const t = last.getLastChild();
          if ($isTextNode(t)) t.spliceText(t.getTextContentSize(), 0, 'x', false);
          else last.append($createTextNode('x'));
        }
      },
      { discrete: true },
    );
  }
  binding.dispose();
  doc.destroy();
  const db = await idbOpen(dbName);
  const tx = db.transaction([UPDATES_STORE], 'readwrite');
  for (const u of updates) tx.objectStore(UPDATES_STORE).add(u);
  await txDone(tx);
  db.close();
  lastNoteText += 'x'.repeat(n);
}

/**
 * Opens the stored note in a fresh editor and resolves once it is editable and fully rendered
 * (phase ready, every paragraph in the DOM, text equal to what was stored) and painted.
 */
async function openNote(): Promise<{ ms: number; ok: boolean }> {
  const t0 = now();
  const m = await mountNote();
  const session = m.session as NoteSession;
  const expected = lastNoteParas;
  for (;;) {
    await new Promise((r) => requestAnimationFrame(r));
    const el = m.editor.getRootElement();
    if (session.state.get().phase === 'ready' && el && el.contentEditable === 'true' && el.childElementCount === expected) break;
    if (now() - t0 > 60_000) throw new Error('note did not open within 60 s');
  }
  const t1 = await afterNextPaint();
  const ok = editorText(m.editor) === lastNoteText;
  await app?.flush();
  m.unmount();
  await store?.settle();
  return { ms: t1 - t0, ok };
}

/** Baseline: decoding the stored rows into a fresh Y.Doc (no editor, no IndexedDB). */
async function rawDecode(reps: number): Promise<number[]> {
  const { rows } = await readRows(noteDbName());
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    const doc = new Y.Doc();
    Y.transact(doc, () => rows.forEach((u) => Y.applyUpdate(doc, u)), ORIGIN_REMOTE);
    if (doc.getXmlElement(NOTE_ROOT_NAMES[NOTE_BINDING]).length === 0) throw new Error("stored note is empty");
    out.push(now() - t0);
    doc.destroy();
  }
  return out;
}

/**
 * Baseline: stock y-indexeddb loading an uncompacted log of the trace (one row per edit, a Y.Text
 * as most y-indexeddb apps have it), timed from construction to `whenSynced`.
 */
async function stockYIndexeddb(reps: number): Promise<{ ms: number[]; rows: number; ok: boolean; text: string }> {
  const name = `weft-bench-stock-${Date.now()}`;
  const src = new Y.Doc();
  const t = src.getText('t');
  const updates: Uint8Array[] = [];
  src.on('update', (u: Uint8Array) => updates.push(u));
  for (const op of ops) {
    if (op[1] === 1) t.delete(op[0], 1);
    else t.insert(op[0], op[2]);
  }
  const expected = t.toString();
  const db = await idbOpen(name);
  const CHUNK = 20_000;
  for (let i = 0; i < updates.length; i += CHUNK) {
    const tx = db.transaction([UPDATES_STORE], 'readwrite');
    const os = tx.objectStore(UPDATES_STORE);
    for (const u of updates.slice(i, i + CHUNK)) os.add(u);
    await txDone(tx);
  }
  db.close();
  const out: number[] = [];
  let ok = true;
  let text = '';
  for (let r = 0; r < reps; r++) {
    const doc = new Y.Doc();
    const t0 = now();
    const p = new IndexeddbPersistence(name, doc);
    await p.whenSynced;
    out.push(now() - t0);
    text = doc.getText('t').toString();
    ok &&= text === expected;
    // Close without letting its trim rewrite the log (the baseline is the uncompacted log).
    p._storeTimeout = 1e9;
    await p.destroy();
    doc.destroy();
  }
  await new Promise<void>((resolve) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
  return { ms: out, rows: updates.length, ok, text };
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: merge on reconnect, two app peers (editor + binding + IndexedDB) over the loopback
// transport in one page.

interface Peer {
  mounted: Mounted;
  doc: Y.Doc;
  transport: LoopbackTransport;
  awareness: Awareness;
  model: TextModel;
  keys: NodeKey[];
  persisted: PersistedDoc;
}

async function mountPeer(net: LoopbackNetwork, storeP: IndexedDbStore, name: string): Promise<Peer> {
  let peer: Partial<Peer> = {};
  const m = await mountEditor((editor) => {
    const doc = new Y.Doc();
    const collab = bindEditorToDoc(editor, doc, {});
    applySeed(doc);
    const persisted = storeP.open(name, doc);
    const awareness = new Awareness(doc);
    const transport = net.join(doc, awareness, { noteId: 'merge', secret: 'bench' });
    peer = { doc, transport, awareness, persisted };
    return () => {
      transport.destroy();
      awareness.destroy();
      collab.dispose();
      void persisted.destroy().finally(() => doc.destroy());
    };
  });
  await (peer.persisted as PersistedDoc).whenLoaded;
  await afterNextPaint();
  return { ...(peer as Peer), mounted: m, model: new TextModel(), keys: editorKeys(m.editor) };
}

function applyPeerOps(peer: Peer, list: Op[], batch: number): void {
  peer.keys = editorKeys(peer.mounted.editor);
  for (let i = 0; i < list.length; i += batch) {
    const end = Math.min(list.length, i + batch);
    peer.mounted.editor.update(
      () => {
        $setSelection(null);
        for (let j = i; j < end; j++) $applyOp(peer.keys, peer.model, list[j] as Op);
      },
      { discrete: true },
    );
  }
}

async function mergeScenario(
  prefix: Op[],
  aOps: Op[],
  bOps: Op[],
  batch: number,
  rawReps: number,
): Promise<{ ms: number; convergedMs: number; rawMs: number[]; headlessMs: number[]; converged: boolean; sameAsRaw: boolean; chars: number; updateBytes: [number, number] }> {
  const net = new LoopbackNetwork();
  const storeP = new IndexedDbStore({ prefix: `weft-bench-merge-${Date.now()}:` });
  const a = await mountPeer(net, storeP, 'a');
  const b = await mountPeer(net, storeP, 'b');
  // Shared history while online; B follows A through the transport.
  applyPeerOps(a, prefix, batch);
  for (const op of prefix) b.model.apply(op);
  await afterNextPaint();
  b.keys = editorKeys(b.mounted.editor);
  if (editorText(b.mounted.editor) !== a.model.text()) throw new Error('peers differ before going offline');
  net.partition([a.transport], [b.transport]);
  applyPeerOps(a, aOps, batch);
  applyPeerOps(b, bOps, batch);
  // Each user's caret where they stopped typing, as after real typing (the ops above run
  // without a selection). An editor with no selection reads the DOM selection at the start of
  // every update, the remote merge's included: ~2 ms per editor that users do not pay.
  for (const p of [a, b]) p.mounted.editor.update(() => void $getRoot().selectEnd(), { discrete: true });
  await afterNextPaint();
  await Promise.all([a.persisted.flush(), b.persisted.flush()]);

  const stateA = Y.encodeStateAsUpdate(a.doc);
  const stateB = Y.encodeStateAsUpdate(b.doc);
  const diffSizes: [number, number] = [
    Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)).byteLength,
    Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)).byteLength,
  ];
  // Raw Yjs: the same two states, exchanging diffs as the sync protocol does.
  const rawMs: number[] = [];
  let rawXml = '';
  for (let r = 0; r < rawReps; r++) {
    const ra = new Y.Doc();
    const rb = new Y.Doc();
    Y.applyUpdate(ra, stateA);
    Y.applyUpdate(rb, stateB);
    const t0 = now();
    const toB = Y.encodeStateAsUpdate(ra, Y.encodeStateVector(rb));
    const toA = Y.encodeStateAsUpdate(rb, Y.encodeStateVector(ra));
    Y.applyUpdate(rb, toB, ORIGIN_REMOTE);
    Y.applyUpdate(ra, toA, ORIGIN_REMOTE);
    rawMs.push(now() - t0);
    rawXml = ra.getXmlElement(NOTE_ROOT_NAMES[NOTE_BINDING]).toString();
    if (rawXml !== rb.getXmlElement(NOTE_ROOT_NAMES[NOTE_BINDING]).toString()) throw new Error('raw Yjs peers did not converge');
    ra.destroy();
    rb.destroy();
  }

  // Second baseline: the same merge into two *headless* editors bound the same way (Yjs merge +
  // the @lexical/yjs binding + Lexical's model), no DOM, no storage, no transport. The gap between
  // it and raw Yjs is the binding; between it and the app, rendering, frames and our own plumbing.
  const headlessMs: number[] = [];
  for (let r = 0; r < Math.min(rawReps, 5); r++) {
    const peers = [stateA, stateB].map((state) => {
      const doc = new Y.Doc();
      const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
      const binding = bindEditorToDoc(editor, doc, {});
      Y.applyUpdate(doc, state, ORIGIN_REMOTE);
      return { doc, editor, binding };
    });
    const [ha, hb] = peers as [(typeof peers)[0], (typeof peers)[0]];
    const t0h = now();
    const toB = Y.encodeStateAsUpdate(ha.doc, Y.encodeStateVector(hb.doc));
    const toA = Y.encodeStateAsUpdate(hb.doc, Y.encodeStateVector(ha.doc));
    Y.applyUpdate(hb.doc, toB, ORIGIN_REMOTE);
    Y.applyUpdate(ha.doc, toA, ORIGIN_REMOTE);
    const same = editorText(ha.editor) === editorText(hb.editor);
    headlessMs.push(now() - t0h);
    if (!same) throw new Error('headless peers did not converge');
    for (const p of peers) {
      p.binding.dispose();
      p.doc.destroy();
    }
  }

  // A named window for `node bench/profile.mjs merge` (a no-op without a profiler attached).
  console.profile('heal → painted');
  const t0 = now();
  net.heal();
  let converged = false;
  let convergedAt = 0;
  for (;;) {
    await Promise.resolve();
    const ta = editorText(a.mounted.editor);
    const tb = editorText(b.mounted.editor);
    if (ta === tb) {
      converged = true;
      convergedAt = now();
      break;
    }
    if (now() - t0 > 60_000) break;
    await new Promise((r) => requestAnimationFrame(r));
  }
  const t1 = await afterNextPaint();
  console.profileEnd('heal → painted');
  const text = editorText(a.mounted.editor);
  const sameAsRaw = a.doc.getXmlElement(NOTE_ROOT_NAMES[NOTE_BINDING]).toString() === rawXml;
  for (const p of [a, b]) {
    await p.persisted.flush();
    p.mounted.unmount();
    await p.persisted.destroy();
  }
  for (const n of ['a', 'b']) await storeP.remove(n).catch(() => undefined);
  return { ms: t1 - t0, convergedMs: convergedAt - t0, rawMs, headlessMs, converged, sameAsRaw, chars: text.length, updateBytes: diffSizes };
}

// ---------------------------------------------------------------------------------------------

/**
 * The schema firewall's cost (src/sync/updateFirewall.ts), on vs off side by side: a full-note
 * sync (sync step 2 of a note holding `text`, one paragraph per line, into a fresh peer) and
 * keystrokes (one-character updates into a peer that holds that note). "off" = Y.applyUpdate
 * alone, "on" = the check, then the same apply.
 */
function firewallCost(text: string, syncReps: number, keystrokes: number): { syncOffMs: number[]; syncOnMs: number[]; keyOffMs: number[]; keyOnMs: number[]; paragraphs: number; stateBytes: number } {
  const source = new Y.Doc();
  applySeed(source);
  const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  const binding = bindEditorToDoc(editor, source);
  const lines = text.split('\n');
  editor.update(
    () => {
      const root = $getRoot();
      for (const line of lines) root.append($createParagraphNode().append($createTextNode(line)));
    },
    { discrete: true },
  );
  const state = Y.encodeStateAsUpdate(source);
  const fresh = () => {
    const d = new Y.Doc();
    applySeed(d);
    return d;
  };
  const syncOffMs: number[] = [];
  const syncOnMs: number[] = [];
  for (let r = 0; r < syncReps; r++) {
    const off = fresh();
    let t = now();
    Y.applyUpdate(off, state, ORIGIN_REMOTE);
    syncOffMs.push(now() - t);
    const on = fresh();
    t = now();
    if (!checkNoteUpdate(on, state, { kind: 'sync' }).ok) throw new Error('the firewall rejected the paper note');
    Y.applyUpdate(on, state, ORIGIN_REMOTE);
    syncOnMs.push(now() - t);
  }
  const receiverOff = fresh();
  const receiverOn = fresh();
  Y.applyUpdate(receiverOff, state);
  Y.applyUpdate(receiverOn, state);
  const keyOffMs: number[] = [];
  const keyOnMs: number[] = [];
  const updates: Uint8Array[] = [];
  const onUpdate = (u: Uint8Array) => updates.push(u);
  source.on('update', onUpdate);
  for (let k = 0; k < keystrokes; k++) {
    updates.length = 0;
    editor.update(
      () => {
        const paragraphs = $getRoot().getChildren();
        const paragraph = paragraphs[(k * 7919) % paragraphs.length];
        const target = $isElementNode(paragraph) ? paragraph.getFirstDescendant() : null;
        if ($isTextNode(target)) target.setTextContent(`${target.getTextContent()}x`);
      },
      { discrete: true },
    );
    if (updates.length === 0) continue;
    const u = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
    let t = now();
    Y.applyUpdate(receiverOff, u, ORIGIN_REMOTE);
    keyOffMs.push(now() - t);
    t = now();
    if (!checkNoteUpdate(receiverOn, u).ok) throw new Error('the firewall rejected a keystroke');
    Y.applyUpdate(receiverOn, u, ORIGIN_REMOTE);
    keyOnMs.push(now() - t);
  }
  source.off('update', onUpdate);
  binding.dispose();
  return { syncOffMs, syncOnMs, keyOffMs, keyOnMs, paragraphs: lines.length, stateBytes: state.byteLength };
}

/** The app's backup file of every note (scenario 5 imports it into a real peer: a note with the whole trace's history). */
async function backupText(): Promise<string> {
  const a = await ensureApp();
  await a.flush();
  return (await a.backup()).text();
}

/**
 * [14] What signed updates cost (issue 17): each update's trip through the sender's and the
 * receiver's handlers — encode, decode, apply — with and without signing and verifying
 * (NoteKeys.sealUpdate / openUpdate, WebCrypto Ed25519), side by side on the same updates:
 * keystrokes typed into a note, and one paste of `pasteChars` characters. Also the sign and the
 * verify alone. Times in ms.
 */
async function signatureCost(keystrokes: number, pasteChars: number, pasteReps: number) {
  const keys = await deriveNoteKeys('AAECAwQFBgcICQoLDA0ODw', '__79_Pv6-fj39vX08_Lx8A');
  const message = (update: Uint8Array) => peerMessage(MESSAGE_SYNC, (e) => syncProtocol.writeUpdate(e, update));
  const receive = (doc: Y.Doc, bytes: Uint8Array) => {
    const decoded = decodePeerMessage(bytes, { localClientId: doc.clientID });
    if (!decoded.ok || decoded.message.kind !== 'update') throw new Error('bench: undecodable message');
    Y.applyUpdate(doc, decoded.message.update, ORIGIN_REMOTE);
  };
  // Per side: the sender's handler (encode; + sign) and the receiver's (decode, apply; + verify first).
  const run = async (updates: Uint8Array[]) => {
    const off = new Y.Doc();
    const on = new Y.Doc();
    const sendOffMs: number[] = [];
    const sendOnMs: number[] = [];
    const receiveOffMs: number[] = [];
    const receiveOnMs: number[] = [];
    for (const update of updates) {
      let t = now();
      const plainOff = message(update);
      sendOffMs.push(now() - t);
      t = now();
      receive(off, plainOff);
      receiveOffMs.push(now() - t);
      t = now();
      const signed = (await keys.sealUpdate(message(update)))!;
      sendOnMs.push(now() - t);
      t = now();
      const opened = await keys.openUpdate(signed);
      if (opened === null) throw new Error('bench: a signature did not verify');
      receive(on, opened);
      receiveOnMs.push(now() - t);
    }
    if (off.getText('t').toString() !== on.getText('t').toString()) throw new Error('bench: signed and unsigned docs differ');
    return { sendOffMs, sendOnMs, receiveOffMs, receiveOnMs };
  };
  const source = new Y.Doc();
  const typed: Uint8Array[] = [];
  source.on('update', (u: Uint8Array) => typed.push(u));
  const text = source.getText('t');
  for (let i = 0; i < keystrokes; i++) text.insert(text.length, String.fromCharCode(97 + (i % 26)));
  const keystroke = await run(typed);
  const pastes: Uint8Array[] = [];
  for (let r = 0; r < pasteReps; r++) {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'x'.repeat(pasteChars));
    pastes.push(Y.encodeStateAsUpdate(doc));
  }
  const paste = await run(pastes);
  return { keystroke, paste, pasteBytes: pastes[0]!.byteLength };
}

/**
 * [14] Device-bound presence: what a presence proof (v2: it covers the signer's time) costs. The
 * sender signs one per rename, per note opened and every PROOF_REFRESH_MS; a receiver checks one
 * per distinct proof it sees (its verdict is cached, so caret moves cost no crypto, only the time
 * check). Baseline: what every presence change costs anyway (encode the awareness update, apply it
 * on the receiver). Keystrokes carry no device signature: zero added.
 */
async function presenceProofCost(reps: number) {
  const identity = await loadDeviceIdentity(new MemoryDeviceKeyStore());
  const noteId = 'AAECAwQFBgcICQoLDA0ODw';
  const from = new Awareness(new Y.Doc());
  const to = new Awareness(new Y.Doc());
  const awarenessMs: number[] = [];
  const signMs: number[] = [];
  const verifyMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const name = `Reader ${i}`;
    let t = now();
    const proof = await identity.proveIdentity(noteId, from.clientID, name, Date.now());
    signMs.push(now() - t);
    from.setLocalState({ name, color: '#2e86ab', anchorPos: null, focusPos: null, deviceProof: proof });
    t = now();
    applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'bench');
    awarenessMs.push(now() - t);
    const state = to.getStates().get(from.clientID) as { name: string; deviceProof: unknown };
    t = now();
    const received = readPresenceProof(state.deviceProof)!;
    const verified = await verifyPresenceProof(noteId, from.clientID, state.name, received);
    const fresh = judgeProofTime(received.time, Date.now()).fresh;
    verifyMs.push(now() - t);
    if (verified === null || !fresh) throw new Error('bench: a presence proof did not verify');
  }
  from.destroy();
  to.destroy();
  return { awarenessMs, signMs, verifyMs };
}

const api = {
  backupText,
  signatureCost,
  presenceProofCost,
  firewallCost,
  fetchOps,
  mount,
  freshNote,
  applyOps,
  beginWindow,
  prepareKey,
  settleKey,
  endWindow,
  checkText,
  unmountActive,
  rawYjs,
  frameFloor,
  storageBytes,
  compactNote,
  addPendingRows,
  openNote,
  rawDecode,
  stockYIndexeddb,
  mergeScenario,
  crossOriginIsolated: () => globalThis.crossOriginIsolated,
};
export type WeftBenchApi = typeof api;
(window as unknown as { weftBench: WeftBenchApi }).weftBench = api;
document.title = 'ready';
