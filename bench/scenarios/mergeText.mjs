/**
 * Scenario 4, text level, in Node: the same split edits on a plain Y.Text, merged the way peers
 * do on reconnect (state vectors, then diffs both ways), and — when the package is installed —
 * on @automerge/automerge (fork, splice, merge both ways).
 */
import * as Y from 'yjs';
import { summarize } from '../lib/stats.mjs';

function applyText(t, ops) {
  for (const [pos, del, ch] of ops) {
    if (del === 1) t.delete(pos, 1);
    else t.insert(pos, ch);
  }
}

export function yjsTextMerge({ prefix, a, b }, reps) {
  const base = new Y.Doc();
  applyText(base.getText('t'), prefix);
  const baseState = Y.encodeStateAsUpdate(base);
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  Y.applyUpdate(docA, baseState);
  Y.applyUpdate(docB, baseState);
  applyText(docA.getText('t'), a);
  applyText(docB.getText('t'), b);
  const sA = Y.encodeStateAsUpdate(docA);
  const sB = Y.encodeStateAsUpdate(docB);
  const ms = [];
  let text = '';
  for (let r = 0; r < reps; r++) {
    const ra = new Y.Doc();
    const rb = new Y.Doc();
    Y.applyUpdate(ra, sA);
    Y.applyUpdate(rb, sB);
    const t0 = performance.now();
    const toB = Y.encodeStateAsUpdate(ra, Y.encodeStateVector(rb));
    const toA = Y.encodeStateAsUpdate(rb, Y.encodeStateVector(ra));
    Y.applyUpdate(rb, toB);
    Y.applyUpdate(ra, toA);
    ms.push(performance.now() - t0);
    text = ra.getText('t').toString();
    if (text !== rb.getText('t').toString()) throw new Error('Y.Text peers did not converge');
  }
  return { ms: summarize(ms), chars: text.length, text };
}

export async function automergeMerge({ prefix, a, b }, reps) {
  let A;
  try {
    A = await import('@automerge/automerge');
  } catch {
    return { installed: false };
  }
  const next = A.next ?? A;
  const splice = (doc, ops) =>
    next.change(doc, (d) => {
      for (const [pos, del, ch] of ops) next.splice(d, ['t'], pos, del === 1 ? 1 : 0, del === 1 ? '' : ch);
    });
  let base = next.from({ t: '' });
  base = splice(base, prefix);
  // One change per edit, as live typing would make them.
  let da = next.clone(base);
  let db = next.clone(base);
  for (const op of a) da = splice(da, [op]);
  for (const op of b) db = splice(db, [op]);
  const sa = next.save(da);
  const sb = next.save(db);
  const ms = [];
  let text = '';
  for (let r = 0; r < reps; r++) {
    let ra = next.load(sa);
    let rb = next.load(sb);
    const fromA = next.load(sa);
    const t0 = performance.now();
    ra = next.merge(ra, rb);
    rb = next.merge(rb, fromA);
    ms.push(performance.now() - t0);
    text = String(ra.t);
    if (text !== String(rb.t)) throw new Error('automerge peers did not converge');
  }
  return { installed: true, ms: summarize(ms), chars: text.length, text };
}
