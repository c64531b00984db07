import * as Y from 'yjs';

/**
 * After a peer's change, puts back what this client typed into a block the
 * peer rewrote without having seen it. Returns how many characters it put back.
 *
 * Why: Yjs has no move, so the note layout changes a block's structure by
 * deleting it and inserting a copy — a paragraph turned into a heading, a
 * block joined into the one above, a list turned into paragraphs. Characters
 * a person typed into the old block at the same moment were not in the copy
 * (its writer had not seen them) and go with the old block: every peer agrees,
 * and the typing is silently gone.
 *
 * Who: only the client that typed them. Every peer sees the loss, but if each
 * put the text back, each would insert its own copy; the typist alone does,
 * once, as a local edit that reaches everyone like any other keystroke.
 *
 * Where: a rewrite copies the old block's text into a run (XmlText) that the
 * same transaction created or wrote into. The lost run goes back after the
 * text that stood before it in the old block ({@link CONTEXT_CHARS} of it),
 * or before the text that followed it, with the formatting it had. A run
 * whose surroundings are not in any such copy (the peer deleted the block
 * outright, or the run was all the block held) stays deleted.
 */
export function rescueOrphanedText(tr: Y.Transaction, ownClient: number, origin: unknown): number {
  if (tr.local) return 0;
  const ownDeleted = tr.deleteSet.clients.get(ownClient);
  if (ownDeleted === undefined) return 0;
  const orphaned = new Set<Y.XmlText>();
  for (const range of ownDeleted) {
    // One range can span items of several runs (a client's clock counts all its items).
    for (let clock = range.clock; clock < range.clock + range.len; ) {
      const struct = Y.getItem(tr.doc.store, Y.createID(ownClient, clock));
      clock = struct.id.clock + struct.length;
      if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
      const parent = struct.parent;
      if (parent instanceof Y.XmlText && inContainerDeletedBy(tr, parent)) orphaned.add(parent);
    }
  }
  if (orphaned.size === 0) return 0;

  const lost = [...orphaned].flatMap((text) => lostRuns(tr, text, ownClient));
  if (lost.length === 0) return 0;
  const copies = copiesWrittenBy(tr);
  let rescued = 0;
  tr.doc.transact(() => {
    for (const run of lost) {
      if (putBack(run, copies)) rescued += run.text.length;
    }
  }, origin);
  return rescued;
}

/** Characters of context that locate a lost run in a copy of its block. */
export const CONTEXT_CHARS = 12;

interface LostRun {
  readonly text: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Text that stood right before and after the run in its old block (other people's, or own text the peer had seen). */
  readonly before: string;
  readonly after: string;
}

/** Whether `type` or a container around it was deleted by this transaction. */
function inContainerDeletedBy(tr: Y.Transaction, type: Y.XmlText): boolean {
  for (let t: Y.AbstractType<unknown> | null = type as unknown as Y.AbstractType<unknown>; t !== null && t._item !== null; t = t._item.parent as Y.AbstractType<unknown> | null) {
    if (t._item.deleted) return Y.isDeleted(tr.deleteSet, t._item.id);
  }
  return false;
}

/** Whether an item was there just before the transaction (live, or deleted by it, and not created by it). */
function liveBefore(tr: Y.Transaction, item: Y.Item): boolean {
  if (item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)) return false;
  return !item.deleted || Y.isDeleted(tr.deleteSet, item.id);
}

/**
 * The runs of own characters in an orphaned XmlText that were live before the
 * transaction, with their formatting and surroundings. Embedded types (inline
 * elements) break runs and contexts.
 */
function lostRuns(tr: Y.Transaction, text: Y.XmlText, ownClient: number): LostRun[] {
  const segments: Array<{ own: boolean; str: string; attributes: Record<string, unknown> }> = [];
  const attributes: Record<string, unknown> = {};
  for (let n = text._start; n !== null; n = n.right) {
    if (!liveBefore(tr, n)) continue;
    const content = n.content;
    if (content instanceof Y.ContentFormat) {
      if (content.value === null) delete attributes[content.key];
      else attributes[content.key] = content.value;
    } else if (content instanceof Y.ContentString) {
      const own = n.id.client === ownClient;
      const last = segments.at(-1);
      if (last !== undefined && last.own === own && sameAttributes(last.attributes, attributes)) last.str += content.str;
      else segments.push({ own, str: content.str, attributes: { ...attributes } });
    } else if (n.countable) {
      segments.push({ own: false, str: EMBED, attributes: {} });
    }
  }
  const runs: LostRun[] = [];
  segments.forEach((segment, i) => {
    if (!segment.own) return;
    const before = segments.slice(0, i).map((s) => s.str).join('').slice(-CONTEXT_CHARS);
    const after = segments.slice(i + 1).map((s) => s.str).join('').slice(0, CONTEXT_CHARS);
    runs.push({ text: segment.str, attributes: segment.attributes, before, after });
  });
  return runs;
}

/** Stands for an inline element in a context: never matches typed text. */
const EMBED = '\u{FFFC}';

/** The live runs this transaction created or inserted text into: where a rewrite puts its copy. */
function copiesWrittenBy(tr: Y.Transaction): Y.XmlText[] {
  const found = new Set<Y.XmlText>();
  const collectNew = (type: Y.AbstractType<unknown>): void => {
    if (type instanceof Y.XmlText) found.add(type);
    for (let n = type._start; n !== null; n = n.right) {
      if (!n.deleted && n.content instanceof Y.ContentType) collectNew(n.content.type as Y.AbstractType<unknown>);
    }
  };
  for (const type of tr.changed.keys()) {
    if (type._item !== null && type._item.deleted) continue;
    if (type instanceof Y.XmlText) found.add(type);
    // Types created by the transaction report no changes of their own: find them under their parent.
    for (let n = type._start; n !== null; n = n.right) {
      if (n.deleted || !(n.content instanceof Y.ContentType)) continue;
      if (n.id.clock >= (tr.beforeState.get(n.id.client) ?? 0)) collectNew(n.content.type as Y.AbstractType<unknown>);
    }
  }
  return [...found];
}

/** Inserts a lost run into the copy of its block, unless the copy already has it. */
function putBack(run: LostRun, copies: readonly Y.XmlText[]): boolean {
  for (const copy of copies) {
    const text = plainText(copy);
    if (run.before !== '' && text.includes(run.before + run.text)) return false;
    if (run.after !== '' && text.includes(run.text + run.after)) return false;
  }
  for (const copy of copies) {
    const text = plainText(copy);
    let at = -1;
    if (run.before !== '') {
      const i = text.indexOf(run.before);
      if (i >= 0) at = i + run.before.length;
    }
    if (at < 0 && run.after !== '') at = text.indexOf(run.after);
    if (at < 0) continue;
    copy.insert(at, run.text, attributesAt(copy, at, run.attributes));
    return true;
  }
  return false;
}

/** A run's text with each embedded element as one {@link EMBED} (the index space of `insert`). */
function plainText(text: Y.XmlText): string {
  return (text.toDelta() as Array<{ insert: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : EMBED)).join('');
}

/**
 * The run's own formatting, with every other attribute in force at `index`
 * cleared: Yjs otherwise keeps the neighbours' formatting on inserted text.
 */
function attributesAt(text: Y.XmlText, index: number, own: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...own };
  let seen = 0;
  for (const op of text.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>) {
    const length = typeof op.insert === 'string' ? op.insert.length : 1;
    if (seen < index && index <= seen + length) {
      for (const key of Object.keys(op.attributes ?? {})) if (!(key in result)) result[key] = null;
      break;
    }
    seen += length;
  }
  return result;
}

function sameAttributes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
