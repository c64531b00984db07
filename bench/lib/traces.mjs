/**
 * Reading the editing traces (github.com/josephg/editing-traces, CC BY 4.0; see bench/README.md)
 * and turning them into unit ops `[pos, del, ch]`: `del === 1` deletes the character at `pos`,
 * otherwise the single character `ch` is inserted at `pos`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The traces the bench uses, copied into the repository (bench/data/editing-traces; WEFT_TRACES_DIR reads another copy). */
export const TRACES_DIR = process.env.WEFT_TRACES_DIR ?? fileURLToPath(new URL('../data/editing-traces/', import.meta.url));

export const ATTRIBUTION =
  'Editing traces from github.com/josephg/editing-traces (automerge-paper by Martin Kleppmann via automerge-perf; ' +
  'friendsforever and clownschool, two-author traces collected by Joseph Gentle), CC BY 4.0 — https://creativecommons.org/licenses/by/4.0/';

export function readTrace(relPath) {
  return JSON.parse(gunzipSync(readFileSync(join(TRACES_DIR, relPath))).toString('utf8'));
}

/** Splits one patch `[pos, del, ins]` into unit ops (appended to `out`). */
function pushUnitOps(out, [pos, del, ins]) {
  for (let k = 0; k < del; k++) out.push([pos, 1, '']);
  const chars = Array.from(ins);
  for (let k = 0; k < chars.length; k++) out.push([pos + k, 0, chars[k]]);
}

/** A sequential trace as unit ops, with its expected end text. */
export function sequentialOps(relPath) {
  const trace = readTrace(relPath);
  const ops = [];
  for (const txn of trace.txns) for (const patch of txn.patches) pushUnitOps(ops, patch);
  return { ops, endContent: trace.endContent };
}

/** Plain-string replay of `ops` (the reference the harness is checked against). */
export function replayText(ops, count = ops.length) {
  // Quadratic, so only for short prefixes (quick mode); full runs compare with the trace's endContent.
  let text = '';
  for (let i = 0; i < count; i++) {
    const [pos, del, ch] = ops[i];
    text = del === 1 ? text.slice(0, pos) + text.slice(pos + 1) : text.slice(0, pos) + ch + text.slice(pos);
  }
  return text;
}

/** Index of the first op after which the text is at least `size` characters long (or -1). */
export function indexAtSize(ops, size) {
  let len = 0;
  for (let i = 0; i < ops.length; i++) {
    len += ops[i][1] === 1 ? -1 : 1;
    if (len >= size) return i + 1;
  }
  return -1;
}

/**
 * Splits a two-author concurrent trace between two offline peers. The first `splitAt`
 * transactions are shared history (both peers have them); after that, each peer makes only its
 * own author's edits, without seeing the other's. Positions come from the flattened trace (same
 * transactions, linearised) and are rewritten into each peer's own view: the other author's
 * later inserts are invisible to it, and a delete of a character the other author inserted
 * after the split is dropped (that peer never saw the character).
 *
 * Peer A types agent 0's edits, peer B everyone else's: clownschool's second writer appears as
 * agent 2 and, after that agent's last edit, as agent 1 (never both at once; checked).
 *
 * Returns `{ prefix, a, b, dropped }`, each a list of unit ops in that peer's coordinates.
 */
export function splitConcurrent(name, splitAt) {
  const conc = readTrace(`concurrent_traces/${name}.json.gz`);
  const flat = readTrace(`sequential_traces/${name}_flat.json.gz`);
  if (conc.txns.length !== flat.txns.length) throw new Error(`${name}: concurrent and flat traces differ in length`);
  const prefix = [];
  for (let i = 0; i < splitAt; i++) for (const p of flat.txns[i].patches) pushUnitOps(prefix, p);
  // Characters after the prefix: { who: 'p' | 0 | 1, gone: deleted in the flat trace, del0, del1 }.
  let text = '';
  for (const [pos, del, ch] of prefix) text = del === 1 ? text.slice(0, pos) + text.slice(pos + 1) : text.slice(0, pos) + ch + text.slice(pos);
  const chars = Array.from(text, () => ({ who: 'p', gone: false, del0: false, del1: false }));
  const out = [[], []];
  let dropped = 0;
  const visibleTo = (c, x) => (c.who === 'p' || c.who === x) && !(x === 0 ? c.del0 : c.del1);
  const viewPos = (idx, x) => {
    let n = 0;
    for (let i = 0; i < idx; i++) if (visibleTo(chars[i], x)) n++;
    return n;
  };
  /** Index in `chars` of the `k`-th (0-based) character still present in the flat trace. */
  const liveIndex = (k) => {
    for (let i = 0; i < chars.length; i++) if (!chars[i].gone && k-- === 0) return i;
    return chars.length;
  };
  let secondWriter = null;
  const retired = new Set();
  for (let t = splitAt; t < conc.txns.length; t++) {
    const { agent } = conc.txns[t];
    if (agent !== 0 && agent !== secondWriter) {
      if (retired.has(agent)) throw new Error(`${name}: more than two writers at once; only two-author traces are supported`);
      if (secondWriter !== null) retired.add(secondWriter);
      secondWriter = agent;
    }
    const x = agent === 0 ? 0 : 1;
    const units = [];
    for (const p of flat.txns[t].patches) pushUnitOps(units, p);
    for (const [pos, del, ch] of units) {
      if (del === 1) {
        const idx = liveIndex(pos);
        const c = chars[idx];
        c.gone = true;
        if (visibleTo(c, x)) {
          out[x].push([viewPos(idx, x), 1, '']);
          if (x === 0) c.del0 = true;
          else c.del1 = true;
        } else dropped++;
      } else {
        // Right after the pos-th live character (or at the very start).
        const idx = pos === 0 ? 0 : liveIndex(pos - 1) + 1;
        out[x].push([viewPos(idx, x), 0, ch]);
        chars.splice(idx, 0, { who: x, gone: false, del0: false, del1: false });
      }
    }
  }
  return { prefix, a: out[0], b: out[1], dropped, txns: conc.txns.length };
}
