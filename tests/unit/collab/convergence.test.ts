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
 * client id and no Lexical errors. On top of agreement, an intention oracle
 * (./intentionOracle.ts) checks that what each person typed survives as they
 * typed it: "typing together" fails on every one of its checks; "every
 * operation" on the per-operation ones, and measures the rest (block rewrites
 * in the V2 layout move text by copying it; see the oracle's `finish`).
 *
 * Run:
 *   npx vitest run tests/unit/collab/convergence.test.ts                   # CI: 1000 seeds of each, new ones every run
 *   CONVERGENCE_SEEDS=10000 npx vitest run tests/unit/collab/convergence.test.ts
 *   CONVERGENCE_SEED=1234 npx vitest run tests/unit/collab/convergence.test.ts   # replay one, verbose
 *   CONVERGENCE_SEED=1234 CONVERGENCE_MODE=typing ...   # replay a "typing together" seed
 *   CONVERGENCE_SEED=1234 CONVERGENCE_CHECK_EACH=1 ...    # find the step where an editor first stops matching its doc
 *   WEFT_SEED=1234 npx vitest run tests/unit/collab/convergence.test.ts -t 'typing apart'   # the same, the repo-wide way
 *   CONVERGENCE_BINDING=v1 ...   # fuzz the other @lexical/yjs binding (evidence for NOTE_BINDING)
 *   CONVERGENCE_FIRST=1000 ...   # start every fuzz at 1000 (default: a fresh start per fuzz from seedsFor, printed)
 *
 * Why V2: see the REGRESSION_SEEDS comment below (the evidence) and src/doc/noteRoot.ts.
 */
import { describe, expect, it } from 'vitest';
import { $getRoot } from 'lexical';
import * as Y from 'yjs';
import { NOTE_BINDING, type NoteBindingVersion } from '../../../src/doc/noteRoot';
import { SEED_CLIENT_ID, seedUpdate } from '../../../src/doc/seed';
import { createSeedUpdate } from '../../../src/editor/collab/createSeedUpdate';
import { ORIGIN_SEED } from '../../../src/doc/origins';
import { oracleCounter } from '../../oracle';
import { replaySeed, seedsFor } from '../../prng';
import { Network, Rng, createPeer, outline, reloadFrom, stateOf, type Peer } from './harness';
import { IntentionOracle, ORACLE_CHECKS, noHits, noLosses, type OracleCheck } from './intentionOracle';
import { checkFinalCaret, pickOp, runOp, type OpName } from './ops';

Error.stackTraceLimit = 40;
const PEERS = 3;
/** Long enough that only stopCapturing() (called at random by runOp) ends an undo group. */
const CAPTURE_FOREVER_MS = 1e9;
/** Seeds the stream that decides whether a run writes edits in batches, and when (see runSeed). */
const FRAMES_STREAM = 0x5eed_f00d;
/** Seeds that hit Yjs issue 794 when their edits are written in batches (see the known upstream bugs below). */
const YJS_794_WHEN_BATCHED: readonly number[] = [1409390490];

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const VERSION = (process.env.CONVERGENCE_BINDING ?? NOTE_BINDING) as NoteBindingVersion;
const SEED_COUNT = envInt('CONVERGENCE_SEEDS', 1000);
/** Pins where every fuzz's stretch of seeds starts (each fuzz at its own offset, as before seedsFor). */
const PINNED_FIRST = process.env.CONVERGENCE_FIRST ? envInt('CONVERGENCE_FIRST', 0) : undefined;
const ONE_SEED = process.env.CONVERGENCE_SEED;
/** WEFT_SEED (tests/prng.ts) replays one seed in every fuzz of the run, each in its own mode. */
const REPLAYING = replaySeed() !== undefined;

/** How a seed is replayed on its own: the CONVERGENCE_MODE it needs. */
type Mode = 'typing' | 'typing-apart' | 'every-operation' | 'typing-only';

/**
 * The seeds a fuzz runs: its pinned regression seeds, then `count` consecutive seeds from a
 * fresh start drawn by {@link seedsFor} (printed), so CI fuzzes a new stretch every run.
 * Consecutive seeds keep the test name short ("1000 seeds from N"). CONVERGENCE_FIRST pins
 * the start (plus `offset`); WEFT_SEED runs that seed alone.
 */
function seedRun(name: string, pinned: readonly number[], count: number, offset: number): { seeds: number[]; label: string } {
  if (REPLAYING) {
    const [seed] = seedsFor(`convergence ${name}`, { pinned: [], fresh: 0 });
    return { seeds: [seed as number], label: `WEFT_SEED=${seed}` };
  }
  const first = PINNED_FIRST !== undefined ? PINNED_FIRST + offset : (seedsFor(`convergence ${name}`, { pinned: [], fresh: 1 })[0] as number);
  // Seeds stay uint32 so that WEFT_SEED can replay each of them.
  const stretch = Array.from({ length: count }, (_, i) => (first + i) >>> 0);
  const pins = pinned.length > 0 ? `pinned ${pinned.join(', ')} + ` : '';
  return { seeds: [...pinned, ...stretch], label: `${pins}${count} seeds from ${first}` };
}

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
  /** Start from a note that already holds text on every peer (no peer starts a block's first run apart). */
  startWithText?: boolean;
  /** Fail on every oracle check (typing together), or only on the per-operation ones (see IntentionOracle). */
  strict?: boolean;
  /** Also require exactly one top-level block at the end (runs without structural ops). */
  singleBlock?: boolean;
  log?: boolean;
  /** After every step, check that each editor shows what its doc holds (slow: a reload per peer per step). */
  checkEach?: boolean;
  /** The CONVERGENCE_MODE that replays a seed of this run (printed with a failure). */
  mode?: Mode;
  /** Write edits to the doc in batches, as the app does; default: decided by the seed (half of them). */
  deferWrites?: boolean;
  /** Seeds run with every commit written as it happens even when the seed would batch them. */
  skipBatched?: readonly number[];
  /**
   * Peers keep deleted content (Y.Doc `gc: false`), so that the oracle finds a character that
   * went with a deleted block: garbage-collected, it has no item left, and a structural loss
   * counted as "removed by nobody, 0 times" among the measured violations instead.
   */
  keepDeleted?: boolean;
}

/** Counters across seeds, printed after the run (evidence for the report). */
interface Stats {
  seeds: number;
  resyncs: number;
  rejectedOps: number;
  resyncSeeds: number[];
  hits: ReturnType<typeof noHits>;
  structural: ReturnType<typeof noLosses>;
  /** End-state violations measured (not failed) outside strict runs, and the seeds they were in. */
  measured: number;
  measuredSeeds: number;
}
const newStats = (): Stats => ({ seeds: 0, resyncs: 0, rejectedOps: 0, resyncSeeds: [], hits: noHits(), structural: noLosses(), measured: 0, measuredSeeds: 0 });
let stats = newStats();

/** Run one seed; returns null on success or a failure description. */
function runSeed(seed: number, options: RunOptions): string | null {
  const rng = new Rng(seed);
  // Half the seeds write edits to the doc in batches, as the app does (after the frame that
  // shows them): from a stream of their own, so the other half replays seeds found before.
  const frames = new Rng(seed ^ FRAMES_STREAM);
  const batchedBySeed = frames.chance(0.5); // drawn in every run: the stream's later draws stay the same
  const deferred = options.deferWrites ?? (batchedBySeed && !(options.skipBatched ?? []).includes(seed));
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
    const peer = createPeer(`peer${i}`, { version, clientID: id, deferWrites: deferred, gc: !options.keepDeleted });
    peers.push(peer);
  }
  const net = new Network(peers, rng);
  const oracle = new IntentionOracle(stats.hits, options.strict ?? false);
  oracle.clientIds = peers.map((p) => p.doc.clientID);
  const fresh: Peer[] = [];
  try {
    // Start apart about half the time: every peer seeds its note offline.
    const startApart = !options.startWithText && rng.chance(0.5);
    if (startApart) net.randomPartition();
    for (const peer of peers) {
      Y.applyUpdate(peer.doc, seedBytes, ORIGIN_SEED);
      peer.handle.undoManager.captureTimeout = CAPTURE_FOREVER_MS;
    }
    if (options.startWithText) {
      // A note that already has a few lines, on every peer, before anyone types.
      for (let line = 0; line < 3; line++) runOp(peers[0] as Peer, 0, line === 0 ? 'type' : 'newLine', rng, oracle);
      net.settle();
      if (rng.chance(0.5)) net.randomPartition();
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
        const desc = runOp(peer, i, pickOp(rng, options.ops), rng, oracle);
        trace.push(`${peer.name}: ${desc}`);
        if (deferred && frames.chance(0.5)) {
          peer.handle.writeLocalEdits();
          trace.push(`${peer.name}: (a frame: its edits written to the doc)`);
        }
        if (options.log) console.log(`${peer.name}: ${desc}\n${outline(peer.editor)}`);
      }
      if (options.checkEach) {
        for (const p of peers) {
          const doc = driftFromDoc(p, version);
          if (doc !== null) {
            throw new Error(`${p.name}'s editor stopped matching its doc at step ${s}, after: ${trace.at(-1) ?? 'start'}\n--- editor\n${outline(p.editor)}\n--- doc\n${doc}\n--- last ops\n${trace.slice(-8).join('\n')}`);
          }
        }
      }
    }
    net.heal();
    net.settle();

    const states = peers.map((p) => JSON.stringify(stateOf(p.editor)));
    peers.forEach((p, i) => checkFinalCaret(p, i, oracle));
    oracle.finish((peers[0] as Peer).editor.getEditorState().read(() => $getRoot().getTextContent()), (peers[0] as Peer).doc, stats.structural);
    const problems: string[] = [...oracle.problems];
    if (oracle.measured.length > 0) {
      stats.measured += oracle.measured.length;
      stats.measuredSeeds++;
    }
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
      `seed ${seed} (binding ${version}${deferred ? ', edits written in batches' : ''}) failed: ${problems.join('; ')}`,
      options.mode === 'typing-only'
        ? `replay: WEFT_SEED=${seed} CONVERGENCE_BINDING=${version} npx vitest run tests/unit/collab/convergence.test.ts -t 'typing-only'`
        : `replay: CONVERGENCE_SEED=${seed} CONVERGENCE_BINDING=${version}${options.mode && options.mode !== 'every-operation' ? ` CONVERGENCE_MODE=${options.mode}` : ''} npx vitest run tests/unit/collab/convergence.test.ts`,
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

/** What a fresh editor loaded from a peer's doc shows, when the peer's editor shows something else; else null. */
function driftFromDoc(peer: Peer, version: NoteBindingVersion): string | null {
  // Edits waiting for their frame are the editor's, not yet the doc's (this check writes them).
  peer.handle.writeLocalEdits();
  const reloaded = reloadFrom(peer.doc, version);
  try {
    return JSON.stringify(stateOf(peer.editor)) === JSON.stringify(stateOf(reloaded.editor)) ? null : outline(reloaded.editor);
  } finally {
    reloaded.handle.dispose();
    reloaded.doc.destroy();
  }
}

describe(`convergence (binding ${VERSION})`, () => {
  if (ONE_SEED !== undefined && ONE_SEED !== '') {
    it(`seed ${ONE_SEED}`, () => {
      // typing: the "typing together" fuzz; typing-apart: the same from an empty note, often offline.
      const mode = process.env.CONVERGENCE_MODE;
      const typing = mode === 'typing' || mode === 'typing-apart';
      const failure = runSeed(Number(ONE_SEED), {
        version: VERSION,
        log: process.env.CONVERGENCE_LOG === '1',
        checkEach: process.env.CONVERGENCE_CHECK_EACH === '1',
        ...(typing ? { ops: ['type', 'continue'] as OpName[], startWithText: mode === 'typing', strict: true } : { keepDeleted: true }),
      });
      expect(failure, failure ?? '').toBeNull();
    });
    return;
  }

  // With WEFT_SEED this is the replayed seed (in the every-operation mode these seeds were found in).
  for (const seed of seedsFor('convergence regression', { pinned: REGRESSION_SEEDS, fresh: 0 })) {
    // Each as it was found (every commit written as it happens) and with edits written in batches.
    for (const deferWrites of YJS_794_WHEN_BATCHED.includes(seed) ? [false] : [false, true]) {
      it(`regression seed ${seed}${deferWrites ? ', edits written in batches' : ''}`, () => {
        const failure = runSeed(seed, { version: VERSION, deferWrites });
        expect(failure, failure ?? '').toBeNull();
      });
    }
  }

  /** Runs `seeds` and fails with the first failure; prints what the oracle saw. */
  function fuzz(name: string, run: { seeds: number[]; label: string }, options: RunOptions): Stats {
    stats = newStats();
    const failures: string[] = [];
    for (const seed of run.seeds) {
      const failure = runSeed(seed, options);
      if (failure) failures.push(failure);
    }
    console.log(
      `${name} (${VERSION}): ${stats.seeds} seeds (${run.label}); ${stats.resyncs} recovered sync errors (seeds ${stats.resyncSeeds.slice(0, 20).join(', ')}); ${stats.rejectedOps} local ops rejected by Lexical; oracle checks ran ${JSON.stringify(stats.hits)}; block rewrites ${JSON.stringify(stats.structural)}; end-state violations measured, not failed: ${stats.measured} in ${stats.measuredSeeds} seeds`,
    );
    const summary = failures.map((f) => f.split('\n')[0]).join('\n');
    expect(failures.length, `${failures.length}/${run.seeds.length} seeds failed:\n${summary}\n\n${failures[0] ?? ''}`).toBe(0);
    return stats;
  }

  /**
   * Every check the oracle makes ran at least `floor` times: a generator that stops reaching one
   * fails here. Not when replaying one seed: a floor over a single seed says nothing.
   */
  function expectEveryCheckRan(name: string, result: Stats, checks: readonly OracleCheck[], floor: number): void {
    const hits = oracleCounter(`convergence ${name}`, checks);
    for (const check of checks) hits.hit(check, result.hits[check]);
    hits.assertAtLeast(Object.fromEntries(checks.map((check) => [check, REPLAYING ? 0 : floor])));
  }

  /**
   * A resync (the binding rebuilt an editor from the doc after a sync error) converges, so
   * agreement alone would pass it: it fails here (0 in 2,200 seeds when this was written).
   * Local operations Lexical itself rejects (an invalid offset in removeText, seeds 171,
   * 383, 932) are counted where deletions run; typing is never rejected.
   */
  function expectNoRecoveries(result: Stats, { typingOnly }: { typingOnly: boolean }): void {
    expect(result.resyncs, `binding resyncs in seeds ${result.resyncSeeds.join(', ')}`).toBe(0);
    if (typingOnly) expect(result.rejectedOps, 'typing rejected by Lexical').toBe(0);
  }

  const typingTogether = seedRun('typing together', [], SEED_COUNT, 0);
  it(`typing together: ${typingTogether.label}, every keystroke kept and every run whole`, () => {
    // People typing into a note that has text: at the same spots (block ends),
    // at random places, going on where their caret is while peers' keystrokes
    // arrive late, reordered and across partitions. Every oracle check fails
    // the seed here; no block rewrite may happen.
    const result = fuzz('typing together', typingTogether, { version: VERSION, ops: ['type', 'continue'], startWithText: true, strict: true, mode: 'typing' });
    expectEveryCheckRan('typing together', result, ORACLE_CHECKS.filter((c) => c !== 'undo-own-only' && c !== 'op-keeps-text'), SEED_COUNT / 10);
    expect(result.structural).toEqual({ lost: 0, copied: 0, seeds: 0 });
    expectNoRecoveries(result, { typingOnly: true });
  }, 600_000);

  // 72, 189, 197: a merge of two side-by-side first runs was written back as a copy (fixed in f8607e5).
  const typingApart = seedRun('typing apart', [72, 189, 197], SEED_COUNT, 2 * SEED_COUNT);
  it(`typing apart: ${typingApart.label}, from an empty note, often offline`, () => {
    // The same typing, starting from an empty note, half the time partitioned:
    // peers start a block's first words apart and the merge puts their runs
    // side by side (see alignTextRuns.ts). Strict as well.
    const result = fuzz('typing apart', typingApart, { version: VERSION, ops: ['type', 'continue'], strict: true, mode: 'typing-apart' });
    expectEveryCheckRan('typing apart', result, ORACLE_CHECKS.filter((c) => c !== 'undo-own-only' && c !== 'op-keeps-text'), SEED_COUNT / 10);
    expect(result.structural).toEqual({ lost: 0, copied: 0, seeds: 0 });
    expectNoRecoveries(result, { typingOnly: true });
  }, 600_000);

  // A fifth as many: about 1 seed in 7,000 fails convergence after an undo, a
  // Yjs bug (see the known upstream bug below). CONVERGENCE_SEEDS scales it with the others.
  const EVERY_OPERATION_SEEDS = Math.max(1, Math.round(SEED_COUNT / 5));
  // 239841725: a caret restored between list items after a merge; typing put a text node straight
  // into the ListNode (the editor then differed from its doc; fixed by caretOutsideText).
  // 1409390490: committing Lexical's pending render inside every remote transaction that deleted
  // anything (not only when something of ours was to be moved) left an editor off its doc after an undo.
  const everyOperation = seedRun('every operation', [239841725, 1409390490], EVERY_OPERATION_SEEDS, SEED_COUNT);
  it(`every operation: ${everyOperation.label}, converged, with the per-operation intention checks`, () => {
    const result = fuzz('every operation', everyOperation, { version: VERSION, mode: 'every-operation', skipBatched: YJS_794_WHEN_BATCHED, keepDeleted: true });
    expectEveryCheckRan('every operation', result, ORACLE_CHECKS, EVERY_OPERATION_SEEDS / 10);
    expectNoRecoveries(result, { typingOnly: false });
  }, 600_000);

  // Checked after every step: before the fix the editor held a text node straight inside a
  // ListNode from step 47 until a later write-back happened to repair it.
  it('regression seed 239841725: every editor matches its doc after every step (caret restored between list items)', () => {
    const failure = runSeed(239841725, { version: VERSION, checkEach: true });
    expect(failure, failure ?? '').toBeNull();
  });

  // Yjs issue 794 (open; fixes proposed in PRs 795/796, not merged or released as of yjs
  // 13.6.33): an undo can restore an item whose right origin is no longer reachable from its
  // left origin, so the undoing peer's doc holds an order that its own encoding, and so every
  // other peer, does not. Seed 322026889 hits it (peer0's undo at step 69; replay it with
  // CONVERGENCE_CHECK_EACH=1). Not a binding bug: the Y.Doc alone disagrees with its encoding.
  // When Yjs fixes it this seed passes and `it.fails` turns red: move it to REGRESSION_SEEDS.
  // 536990052 (every operation, written as it happens) was found by a 5,000-seed run: peers 1 and 2
  // end with in-memory docs that disagree with a reload of their own encodings, the same signature.
  for (const seed of [322026889, 536990052]) {
    it.fails(`known upstream bug: seed ${seed} diverges after an undo (Yjs issue 794)`, () => {
      const failure = runSeed(seed, { version: VERSION, deferWrites: false });
      expect(failure, failure ?? '').toBeNull();
    });
  }
  // The same Yjs bug, reached by seed 1409390490 when edits are written in batches (the peers'
  // updates then reach each other in another order): after peer1 applies a peer's update that
  // holds an undo, peer1's Y.Doc reads "一丌与不…" while a reload of its own encoding reads
  // "一丌不…与…" — and its editor shows the latter. Written each as it happens, the seed passes.
  for (const seed of YJS_794_WHEN_BATCHED) {
    it.fails(`known upstream bug: seed ${seed} with edits written in batches diverges after an undo (Yjs issue 794)`, () => {
      const failure = runSeed(seed, { version: VERSION, deferWrites: true });
      expect(failure, failure ?? '').toBeNull();
    });
  }

  // Seeds 1-30 pinned (the V1 binding failed this run), plus fresh ones.
  const typingOnly = seedsFor('convergence typing-only', { pinned: Array.from({ length: 30 }, (_, i) => i + 1), fresh: 10 });
  it('typing-only edits by offline peers never multiply blocks', () => {
    for (const seed of typingOnly) {
      const failure = runSeed(seed, { version: VERSION, ops: ['type', 'delete', 'format', 'undo', 'redo'], singleBlock: true, mode: 'typing-only' });
      expect(failure, failure ?? '').toBeNull();
    }
  });
});

