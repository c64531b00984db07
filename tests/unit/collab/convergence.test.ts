/**
 * Randomized, seeded convergence test for the editor↔Yjs binding.
 *
 * Three headless Lexical editors, each with its own seeded Y.Doc bound by
 * bindEditorToDoc, edit at random (type, delete incl. across blocks, bold /
 * italic / code, split and join paragraphs, headings / quotes / lists and back,
 * undo / redo) while an in-memory network partitions, heals, delays and
 * reorders their updates. After a final heal every editor's
 * `getEditorState().toJSON()` must be identical, equal to a fresh editor bound
 * to a doc loaded from the merged state, with nothing written under the seed's
 * client id and no Lexical errors.
 *
 * Run:
 *   npx vitest run tests/unit/collab/convergence.test.ts                   # CI: 200 seeds
 *   CONVERGENCE_SEEDS=5000 npx vitest run tests/unit/collab/convergence.test.ts
 *   CONVERGENCE_SEED=1234 npx vitest run tests/unit/collab/convergence.test.ts   # replay one, verbose
 *   CONVERGENCE_BINDING=v1 ...   # fuzz the other @lexical/yjs binding (evidence for NOTE_BINDING)
 *   CONVERGENCE_FIRST=1000 ...   # start seeds at 1000 instead of 1
 *
 * Why V2: see the REGRESSION_SEEDS comment below (the evidence) and src/doc/noteRoot.ts.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTE_BINDING, type NoteBindingVersion } from '../../../src/doc/noteRoot';
import { SEED_CLIENT_ID, seedUpdate } from '../../../src/doc/seed';
import { createSeedUpdate } from '../../../src/editor/collab/createSeedUpdate';
import { ORIGIN_SEED } from '../../../src/doc/origins';
import { Network, Rng, createPeer, outline, reloadFrom, stateOf, type Peer } from './harness';
import { pickOp, runOp, type OpName } from './ops';

Error.stackTraceLimit = 40;
const PEERS = 3;
/** Long enough that only stopCapturing() (called at random by runOp) ends an undo group. */
const CAPTURE_FOREVER_MS = 1e9;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const VERSION = (process.env.CONVERGENCE_BINDING ?? NOTE_BINDING) as NoteBindingVersion;
const SEED_COUNT = envInt('CONVERGENCE_SEEDS', 200);
const FIRST_SEED = envInt('CONVERGENCE_FIRST', 1);
const ONE_SEED = process.env.CONVERGENCE_SEED;

/**
 * Seeds that once failed; they run every time (against NOTE_BINDING).
 *
 * Evidence for the V1/V2 choice (3 peers, 30-80 steps per seed):
 * - V1 (`createYjsBinding`, stock @lexical/yjs 0.52.0 sync): 26 of seeds
 *   1-1000 failed (listed below), plus the typing-only run. Mostly the same
 *   way: no error, the Yjs docs agree, but one editor's text differs (runs
 *   duplicated or missing) from the others and from a fresh load -- the V1
 *   collab tree (`CollabTextNode._text`) drifted from the XmlText after
 *   concurrent offline edits in one paragraph (the lexical #5693 class); 194
 *   and 753 end with a corrupt editor state ("ParagraphNode does not match
 *   the serialized type"). It is silent, so a binding cannot detect it
 *   cheaply, let alone repair it.
 * - V2 (`createBindingV2__EXPERIMENTAL`, stock sync): 5 of seeds 1-1000
 *   failed: 376 (a reload shows an empty ListNode the live editors removed),
 *   353, 615, 866, 869 ("Lexical node does not exist in active editor state"
 *   from $spliceChildren, the remote update rolled back, editors diverge).
 *   Cause: Lexical restructures while rendering a remote change (removes an
 *   emptied ListNode) and V2 writes back only text normalization, so the doc
 *   and its node mapping go stale. Fixed in bindEditorToDoc by writing the
 *   dirty tree back after every remote render (a no-op when nothing moved).
 *   With that, seeds 1-5000 pass (also with the V2 undo deleteFilter that
 *   keeps blocks/runs holding other users' text; see bindEditorToDoc).
 * - 171, 383, 932: Lexical core throws inside RangeSelection.removeText
 *   ("$getTextNodeOffset: invalid offset") for some random ranges. The update
 *   is rolled back locally, nothing reaches Yjs, convergence holds; runOp
 *   counts these as rejected ops instead of failing.
 */
const REGRESSION_SEEDS: readonly number[] = [
  // V2 before the write-back fix, and Lexical-rejected local ops:
  171, 353, 376, 383, 615, 866, 869, 932,
  // V1 failures (seeds 1-1000):
  4, 56, 106, 194, 222, 227, 275, 298, 305, 328, 385, 396, 414, 476, 497, 584, 655, 753, 766, 767, 775, 815, 827, 850, 917,
];

const seedBytesByVersion = new Map<NoteBindingVersion, Uint8Array>();
function seedFor(version: NoteBindingVersion): Uint8Array {
  // The app only ever applies the frozen constant; for the other binding (a
  // comparison run) the same procedure generates its equivalent.
  if (version === NOTE_BINDING) return seedUpdate();
  let bytes = seedBytesByVersion.get(version);
  if (!bytes) {
    bytes = createSeedUpdate(version);
    seedBytesByVersion.set(version, bytes);
  }
  return bytes;
}

interface RunOptions {
  version: NoteBindingVersion;
  steps?: number;
  ops?: readonly OpName[];
  /** Also require exactly one top-level block at the end (runs without structural ops). */
  singleBlock?: boolean;
  log?: boolean;
}

/** Counters across seeds, printed after the run (evidence for the report). */
const stats = { seeds: 0, resyncs: 0, rejectedOps: 0, resyncSeeds: [] as number[] };

/** Run one seed; returns null on success or a failure description. */
function runSeed(seed: number, options: RunOptions): string | null {
  const rng = new Rng(seed);
  const { version } = options;
  const seedBytes = seedFor(version);
  const trace: string[] = [];
  const clientIDs = new Set<number>();
  const peers: Peer[] = [];
  for (let i = 0; i < PEERS; i++) {
    let id: number;
    do id = 2 + rng.int(0x7ffffff0);
    while (clientIDs.has(id));
    clientIDs.add(id);
    // Deterministic client ids: Yjs orders concurrent inserts by client id.
    const peer = createPeer(`peer${i}`, { version, clientID: id });
    peers.push(peer);
  }
  const net = new Network(peers, rng);
  const fresh: Peer[] = [];
  try {
    // Start apart about half the time: every peer seeds its note offline.
    if (rng.chance(0.5)) net.randomPartition();
    for (const peer of peers) {
      Y.applyUpdate(peer.doc, seedBytes, ORIGIN_SEED);
      peer.handle.undoManager.captureTimeout = CAPTURE_FOREVER_MS;
    }
    const steps = options.steps ?? 30 + rng.int(50);
    for (let s = 0; s < steps; s++) {
      const r = rng.next();
      if (r < 0.07) {
        net.randomPartition();
        trace.push('partition');
      } else if (r < 0.12) {
        net.heal();
        trace.push('heal');
      } else if (r < 0.35) {
        net.deliverSome(1 + rng.int(4));
      } else {
        const i = rng.int(PEERS);
        const peer = peers[i] as Peer;
        const desc = runOp(peer, pickOp(rng, options.ops), rng);
        trace.push(`${peer.name}: ${desc}`);
        if (options.log) console.log(`${peer.name}: ${desc}\n${outline(peer.editor)}`);
      }
    }
    net.heal();
    net.settle();

    const states = peers.map((p) => JSON.stringify(stateOf(p.editor)));
    const problems: string[] = [];
    for (const p of peers) {
      if (p.errors.length > 0) problems.push(`${p.name} reported errors: ${p.errors.map((e) => e.message).join('; ')}`);
    }
    const sv0 = Y.encodeStateVector((peers[0] as Peer).doc);
    for (const p of peers.slice(1)) {
      if (Buffer.compare(Buffer.from(Y.encodeStateVector(p.doc)), Buffer.from(sv0)) !== 0) {
        problems.push(`${p.name}'s Y.Doc did not receive everything`);
      }
    }
    for (let i = 1; i < PEERS; i++) {
      if (states[i] !== states[0]) problems.push(`peer${i}'s editor differs from peer0's`);
    }
    const reloaded = reloadFrom((peers[0] as Peer).doc, version);
    fresh.push(reloaded);
    if (reloaded.errors.length > 0) problems.push(`fresh editor reported errors: ${reloaded.errors.map((e) => e.message).join('; ')}`);
    if (JSON.stringify(stateOf(reloaded.editor)) !== states[0]) {
      problems.push('a fresh editor loaded from the merged doc differs from the live editors');
    }
    if (options.singleBlock) {
      const blocks = stateOf((peers[0] as Peer).editor).root.children.length;
      if (blocks !== 1) problems.push(`expected exactly one block, found ${blocks}`);
    }
    // The seed is written once under SEED_CLIENT_ID; nobody may add to it.
    const seedClock = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(seedBytes)).get(SEED_CLIENT_ID);
    if (Y.decodeStateVector(sv0).get(SEED_CLIENT_ID) !== seedClock) problems.push('structs written under the seed client id');
    if (problems.length === 0) return null;
    return [
      `seed ${seed} (binding ${version}) failed: ${problems.join('; ')}`,
      `replay: CONVERGENCE_SEED=${seed} CONVERGENCE_BINDING=${version} npx vitest run tests/unit/collab/convergence.test.ts`,
      ...peers.map((p) => `--- ${p.name}\n${outline(p.editor)}`),
      `--- fresh from merged doc\n${outline(reloaded.editor)}`,
      `--- last ops\n${trace.slice(-15).join('\n')}`,
      ...peers.flatMap((p) => p.errors.slice(0, 1).map((e) => `--- first error of ${p.name}\n${e.stack ?? e.message}`)),
    ].join('\n');
  } catch (error) {
    return `seed ${seed} (binding ${version}) threw: ${(error as Error).stack ?? String(error)}\n--- last ops\n${trace.slice(-15).join('\n')}`;
  } finally {
    stats.seeds++;
    const resyncs = peers.reduce((n, p) => n + p.resyncs.length, 0);
    stats.resyncs += resyncs;
    if (resyncs > 0) stats.resyncSeeds.push(seed);
    stats.rejectedOps += peers.reduce((n, p) => n + p.rejectedOps.length, 0);
    net.dispose();
    for (const p of [...peers, ...fresh]) {
      p.handle.dispose();
      p.doc.destroy();
    }
  }
}

describe(`convergence (binding ${VERSION})`, () => {
  if (ONE_SEED !== undefined && ONE_SEED !== '') {
    it(`seed ${ONE_SEED}`, () => {
      const failure = runSeed(Number(ONE_SEED), { version: VERSION, log: process.env.CONVERGENCE_LOG === '1' });
      expect(failure, failure ?? '').toBeNull();
    });
    return;
  }

  for (const seed of REGRESSION_SEEDS) {
    it(`regression seed ${seed}`, () => {
      const failure = runSeed(seed, { version: VERSION });
      expect(failure, failure ?? '').toBeNull();
    });
  }

  it(`${SEED_COUNT} random seeds from ${FIRST_SEED}`, () => {
    const failures: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEED_COUNT; seed++) {
      const failure = runSeed(seed, { version: VERSION });
      if (failure) failures.push(failure);
    }
    console.log(
      `convergence ${VERSION}: ${stats.seeds} seeds, ${stats.resyncs} recovered sync errors (seeds ${stats.resyncSeeds.slice(0, 20).join(', ')}), ${stats.rejectedOps} local ops rejected by Lexical`,
    );
    const summary = failures.map((f) => f.split('\n')[0]).join('\n');
    expect(failures.length, `${failures.length}/${SEED_COUNT} seeds failed:\n${summary}\n\n${failures[0] ?? ''}`).toBe(0);
  }, 600_000);

  it('typing-only edits by offline peers never multiply blocks', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const failure = runSeed(seed, { version: VERSION, ops: ['type', 'delete', 'format', 'undo', 'redo'], singleBlock: true });
      expect(failure, failure ?? '').toBeNull();
    }
  });
});
