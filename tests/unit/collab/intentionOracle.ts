/**
 * The intention oracle of the convergence fuzzer: what each person typed must
 * survive as they typed it, not only be the same on every peer.
 *
 * Every character the fuzzer types is a fresh code point (CJK ideographs,
 * counted up), so a character in the final text names who typed it and when.
 * The fuzzer reports each local operation (the peer's text before and after,
 * the character left of the caret where it inserted); remote changes are not
 * reported, they are what the checks are about. Checks, each counted in
 * {@link OracleHits} so a fuzz that never reaches one fails:
 * - `keystroke-kept`: a local insertion adds exactly the typed characters, and
 *   `op-keeps-text`: an operation that removes nothing by intent (typing,
 *   formatting, splitting, joining, block and list changes) removes nothing;
 * - `undo-own-only`: undo removes only characters the undoing user typed, and
 *   redo only characters that user had removed before;
 * - `kept-present`: at the end, every typed character that no user removed is
 *   present exactly once, and `none-invented`: nothing else is there (a
 *   character appears at most once more than undo/redo restored it);
 * - `run-contiguous`: each run (characters one user typed in a row without
 *   moving the caret) is contiguous and in order in the final text, unless
 *   someone inserted right after one of its characters (then Yjs may order
 *   their text inside the run; that is not a caret bug);
 * - `caret-after-own-last`: whenever a user goes on typing, and at the end,
 *   their caret is right after the last character they typed (if it is still
 *   there), whatever peers inserted around it meanwhile.
 */
import * as Y from 'yjs';

/** First code point handed out: CJK Unified Ideographs, ~20,000 of them in a row. */
const FIRST_CHAR = 0x4e00;
const LAST_CHAR = 0x9fff;
/** Whether `c` is a typed character (not a block separator Lexical put in the text). */
const isTyped = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return code >= FIRST_CHAR && code <= LAST_CHAR;
};

/** The checks the oracle makes, by name. */
export const ORACLE_CHECKS = [
  'keystroke-kept',
  'op-keeps-text',
  'undo-own-only',
  'kept-present',
  'none-invented',
  'run-contiguous',
  'caret-after-own-last',
] as const;
export type OracleCheck = (typeof ORACLE_CHECKS)[number];

/** How often each check ran, across seeds. */
export type OracleHits = Record<OracleCheck, number>;
export const noHits = (): OracleHits => Object.fromEntries(ORACLE_CHECKS.map((c) => [c, 0])) as OracleHits;

/**
 * Characters a block rewrite moved or copied: counted, not failed (see
 * {@link IntentionOracle.finish} and the README's "What typing together keeps").
 */
export interface StructuralLosses {
  /** Characters gone because a peer replaced the block or run they were typed into. */
  lost: number;
  /** Extra copies of characters made by peers rewriting a block or run. */
  copied: number;
  /** Seeds where either happened. */
  seeds: number;
}
export const noLosses = (): StructuralLosses => ({ lost: 0, copied: 0, seeds: 0 });

/** Where each typed character lives in a Yjs doc: every item holding it, live or deleted. */
function charactersIn(doc: Y.Doc): Map<string, Array<{ item: Y.Item; parent: Y.AbstractType<unknown> }>> {
  const found = new Map<string, Array<{ item: Y.Item; parent: Y.AbstractType<unknown> }>>();
  const visit = (type: Y.AbstractType<unknown>): void => {
    for (let item = type._start; item !== null; item = item.right as Y.Item | null) {
      if (item.content instanceof Y.ContentString) {
        for (const c of item.content.str) {
          if (!isTyped(c)) continue;
          const list = found.get(c) ?? [];
          list.push({ item, parent: type });
          found.set(c, list);
        }
      } else if (item.content instanceof Y.ContentType) {
        visit(item.content.type);
      }
    }
  };
  for (const type of doc.share.values()) visit(type as Y.AbstractType<unknown>);
  return found;
}

/** Whether `type` or one of its ancestors was deleted. */
function inDeletedContainer(type: Y.AbstractType<unknown>): boolean {
  for (let t: Y.AbstractType<unknown> | null = type; t !== null && t._item !== null; t = t._item.parent as Y.AbstractType<unknown> | null) {
    if (t._item.deleted) return true;
  }
  return false;
}

interface Run {
  readonly peer: number;
  readonly chars: string[];
  interrupted: boolean;
}

/** What one local operation did, as the fuzzer saw it on the peer that ran it. */
export interface LocalOp {
  peer: number;
  kind: 'type' | 'continue' | 'undo' | 'redo' | 'delete' | 'other';
  /** The peer's text (Lexical's text content) before and after. */
  before: string;
  after: string;
  /** What was typed (type/continue), else ''. */
  typed: string;
  /** The character left of the caret where the op inserted (type/continue/split), null at a block start. */
  leftOfCaret: string | null;
  /** Whether the op inserted at a caret (type, continue, split): it may break a run there. */
  inserts: boolean;
}

export class IntentionOracle {
  declare copiesElsewhere: (c: string, items: Array<{ item: Y.Item; parent: Y.AbstractType<unknown> }>) => boolean;
  /** Yjs client id of each peer, by index (set by the fuzzer). */
  clientIds: number[] = [];
  clientOf(c: string): number | undefined {
    const peer = this.typedBy.get(c);
    return peer === undefined ? undefined : this.clientIds[peer];
  }
  private nextChar = FIRST_CHAR;
  private readonly typedBy = new Map<string, number>();
  private readonly runOf = new Map<string, Run>();
  private readonly removedBy = new Map<number, Set<string>>();
  private readonly removed = new Set<string>();
  private readonly restored = new Map<string, number>();
  private readonly runs: Run[] = [];
  private readonly open = new Map<number, Run>();
  private readonly lastTyped = new Map<number, string>();
  /** Violations that fail the seed. */
  readonly problems: string[] = [];
  /**
   * With `strict` false, violations of the end-state checks (`kept-present`,
   * `run-contiguous`, `caret-after-own-last`) and of `undo-own-only` and `op-keeps-text` land here instead: counted and
   * printed, not failed. The fuzz of every operation runs so, because block
   * rewrites (see {@link finish}) break them in ways this oracle cannot tell
   * apart from bugs; typing together is fuzzed strictly.
   */
  readonly measured: string[] = [];

  constructor(
    readonly hits: OracleHits,
    private readonly strict = true,
  ) {}

  private endState(problem: string): void {
    (this.strict ? this.problems : this.measured).push(problem);
  }

  /** `n` characters nobody typed before. */
  fresh(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      if (this.nextChar > LAST_CHAR) throw new Error('intention oracle: out of unique characters');
      s += String.fromCodePoint(this.nextChar++);
    }
    return s;
  }

  /** Whether `peer` is in the middle of a run (its last operation typed and the caret has not moved since). */
  typing(peer: number): boolean {
    return this.open.has(peer);
  }

  /**
   * Checks that `peer`'s caret is right after the last character it typed,
   * when that character is still in its text. Call before a `continue` and at
   * the end.
   */
  checkCaret(peer: number, text: string, leftOfCaret: string | null, when: string): void {
    const last = this.lastTyped.get(peer);
    if (last === undefined || !this.open.has(peer) || !text.includes(last)) return;
    this.hits['caret-after-own-last']++;
    if (leftOfCaret !== last) {
      this.endState(`${when}: peer${peer}'s caret is after ${show(leftOfCaret)}, not after its last typed ${show(last)}`);
    }
  }

  /** Records one local operation and checks what it did to the peer's own text. */
  record(op: LocalOp): void {
    const before = new Set(op.before);
    const after = new Set(op.after);
    const gone = [...before].filter((c) => isTyped(c) && !after.has(c));
    const added = [...after].filter((c) => isTyped(c) && !before.has(c));

    if (op.inserts && op.leftOfCaret !== null) {
      const run = this.runOf.get(op.leftOfCaret);
      const continuing = op.kind === 'continue' && run !== undefined && run === this.open.get(op.peer);
      if (run !== undefined && !continuing) run.interrupted = true;
    }
    if (op.kind === 'type' || op.kind === 'continue') {
      this.hits['keystroke-kept']++;
      const missing = [...op.typed].filter((c) => !after.has(c));
      const extra = added.filter((c) => !op.typed.includes(c));
      if (missing.length > 0 || extra.length > 0) {
        this.problems.push(`peer${op.peer} ${op.kind} ${show(op.typed)}: missing ${show(missing.join(''))}, unexpected ${show(extra.join(''))}`);
      }
      let run = op.kind === 'continue' ? this.open.get(op.peer) : undefined;
      if (run === undefined) {
        run = { peer: op.peer, chars: [], interrupted: false };
        this.runs.push(run);
        this.open.set(op.peer, run);
      }
      for (const c of op.typed) {
        this.typedBy.set(c, op.peer);
        this.runOf.set(c, run);
        run.chars.push(c);
      }
      if (op.typed.length > 0) this.lastTyped.set(op.peer, op.typed.at(-1) as string);
    } else {
      this.open.delete(op.peer);
    }

    const ownRemovals = this.removedBy.get(op.peer) ?? new Set<string>();
    this.removedBy.set(op.peer, ownRemovals);
    if (op.kind === 'undo' || op.kind === 'redo') {
      this.hits['undo-own-only']++;
      const foreign = gone.filter((c) => (op.kind === 'undo' ? this.typedBy.get(c) !== op.peer : !ownRemovals.has(c) && this.typedBy.get(c) !== op.peer));
      // Measured outside strict runs too: after a block rewrite the text a user
      // sees in the block is their own copy of others' words, and undoing the
      // rewrite removes it (the originals stay deleted). See the README.
      if (foreign.length > 0) this.endState(`peer${op.peer} ${op.kind} removed others' text ${show(foreign.join(''))}`);
      for (const c of added) this.restored.set(c, (this.restored.get(c) ?? 0) + 1);
    } else if (op.kind !== 'delete') {
      this.hits['op-keeps-text']++;
      // Measured outside strict runs too: Lexical drops text of a malformed
      // structure a merge left (text directly in a list: seed 239841725, also
      // with the binding before issue 13).
      if (gone.length > 0) this.endState(`peer${op.peer} ${op.kind} op removed ${show(gone.join(''))}`);
    }
    for (const c of gone) {
      this.removed.add(c);
      ownRemovals.add(c);
    }
  }

  /**
   * The final checks, on the converged text and doc.
   *
   * One class of change is counted in `losses` instead of failing: the V2
   * layout has no move, so Lexical restructuring a block (changing its type,
   * a list, joining blocks, merging two runs that peers started concurrently
   * in an empty block) is written as "delete the old block or run, insert a
   * new one with a copy of its text". What a peer typed into the old one
   * meanwhile is gone with it (the character's container is deleted), and two
   * peers rewriting the same block both copy it. A missing character whose
   * every item is in a deleted container, or an extra copy in another run
   * than the original, is that class; any other loss or copy fails.
   */
  finish(text: string, doc: Y.Doc, losses: StructuralLosses): void {
    const count = new Map<string, number>();
    for (const c of text) if (isTyped(c)) count.set(c, (count.get(c) ?? 0) + 1);
    const places = charactersIn(doc);
    const structural = new Set<string>();
    let lost = 0;
    let copied = 0;
    for (const [c] of this.typedBy) {
      if (this.removed.has(c)) continue;
      this.hits['kept-present']++;
      const n = count.get(c) ?? 0;
      const items = places.get(c) ?? [];
      if (n === 0 && items.length > 0 && items.every(({ parent }) => inDeletedContainer(parent))) {
        lost++;
        structural.add(c);
      } else if (n > 1 && this.copiesElsewhere(c, items)) {
        copied += n - 1;
        structural.add(c);
      } else if (n !== 1) {
        this.endState(`${show(c)} typed by peer${this.typedBy.get(c)} and removed by nobody is there ${n} times`);
      }
    }
    if (lost + copied > 0) {
      losses.lost += lost;
      losses.copied += copied;
      losses.seeds++;
    }
    for (const [c, n] of count) {
      this.hits['none-invented']++;
      if (!this.typedBy.has(c)) this.problems.push(`${show(c)} is in the text but nobody typed it`);
      else if (n > 1 + (this.restored.get(c) ?? 0) && !structural.has(c)) this.endState(`${show(c)} is there ${n} times`);
    }
    for (const run of this.runs) {
      if (run.interrupted || run.chars.some((c) => structural.has(c))) continue;
      const kept = run.chars.filter((c) => count.has(c));
      if (kept.length < 2) continue;
      this.hits['run-contiguous']++;
      const at = text.indexOf(kept[0] as string);
      const found = [...text.slice(at)].slice(0, kept.length).join('');
      if (found !== kept.join('')) {
        this.endState(`peer${run.peer}'s run ${show(kept.join(''))} is not in one piece: ${show([...text.slice(at)].slice(0, kept.length + 6).join(''))}`);
      }
    }
  }
}

/**
 * Whether the extra live copies of `c` come from a block or run rewrite: the
 * item its typist wrote is gone with its container while copies live on, or
 * copies sit in other runs (XmlTexts) than that item. A diff that writes a
 * character twice into the run it was typed in is not that, and fails.
 */
IntentionOracle.prototype.copiesElsewhere = function copiesElsewhere(
  this: IntentionOracle,
  c: string,
  items: Array<{ item: Y.Item; parent: Y.AbstractType<unknown> }>,
): boolean {
  const typist = this.clientOf(c);
  const originals = items.filter(({ item }) => item.id.client === typist).sort((a, b) => a.item.id.clock - b.item.id.clock);
  const original = originals[0];
  if (original === undefined) return false;
  if (inDeletedContainer(original.parent)) return true;
  const live = items.filter(({ item, parent }) => item !== original.item && !item.deleted && !inDeletedContainer(parent));
  return live.every(({ parent }) => parent !== original.parent);
};

/** A character or string as code points, readable in a failure message. */
function show(s: string | null): string {
  if (s === null) return '(block start)';
  return `"${[...s].map((c) => (c === '\n' ? '\\n' : `${c}`)).join('')}"`;
}
