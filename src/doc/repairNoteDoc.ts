/**
 * Repairs a note's Y.Doc that already holds content outside the note schema
 * (noteSchema.ts): stored before the firewall existed, or imported. Run on
 * open, before the editor is bound, so nothing bad is ever rendered.
 *
 * What it does, as one transaction (an ordinary edit: it is stored and syncs
 * to peers, who then hold the repaired note too):
 * - a bad attribute value is replaced by a valid one (a heading tag by `h1`,
 *   a link URL by `about:blank`) or removed (the node's default then applies);
 * - a node of an unknown type, in the wrong place, or nested deeper than
 *   MAX_NODE_DEPTH is replaced by its plain text (a paragraph, or a text run
 *   where a paragraph cannot go): the text is kept, the structure is not;
 * - a bad text format is removed from its range (the text stays);
 * - structs waiting for dependencies that never came are dropped (peers that
 *   have their dependencies send them again with the rest).
 *
 * Iterative throughout: the content may be nested thousands deep.
 */

import * as Y from 'yjs';
import {
  ELEMENT_RULES,
  MAX_NODE_DEPTH,
  NOTE_ROOT_NAME,
  checkElementAttribute,
  checkElementChild,
  checkTextFormat,
  holdsText,
  repairValue,
} from './noteSchema';

/** What {@link repairNoteDoc} changed. */
export interface RepairReport {
  /** Attributes, formats and nodes fixed. */
  readonly fixes: number;
  /** Structs (and pending deletions) dropped because their dependencies never arrived. */
  readonly pendingDropped: boolean;
  /** Content nested too deeply to delete safely was found (and left alone): do not render this note. */
  readonly unrepairable: boolean;
  /** Why, one line per fix (the first few; for logs and tests). */
  readonly reasons: readonly string[];
}

const MAX_REASONS = 20;

/**
 * Deepest subtree the repair deletes in place. Yjs deletes and
 * garbage-collects a type's children recursively (Item.delete →
 * ContentType.delete, Item.gc → ContentType.gc), on this device and, when the
 * deletion is loaded or synced, on every other: tens of thousands of levels
 * overflow the stack there. Deeper content is left alone and the note is
 * reported unrepairable (quarantined: the session does not open it).
 */
export const MAX_REPAIRABLE_DEPTH = 2000;

/** Levels of elements in a subtree (1 for a leaf element). Iterative. */
function subtreeDepth(type: Y.XmlElement): number {
  let deepest = 0;
  const stack: Array<[Y.XmlElement, number]> = [[type, 1]];
  while (stack.length > 0) {
    const [el, depth] = stack.pop() as [Y.XmlElement, number];
    deepest = Math.max(deepest, depth);
    for (const child of el.toArray()) if (child instanceof Y.XmlElement) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Plain text of a subtree, blocks separated by newlines. Iterative. */
export function plainText(type: Y.XmlElement | Y.XmlText): string {
  const parts: string[] = [];
  const stack: Array<Y.XmlElement | Y.XmlText> = [type];
  while (stack.length > 0) {
    const t = stack.pop() as Y.XmlElement | Y.XmlText;
    if (t instanceof Y.XmlText) {
      for (const op of t.toDelta() as Array<{ insert: unknown }>) if (typeof op.insert === 'string') parts.push(op.insert);
      continue;
    }
    if (t.nodeName === 'linebreak') parts.push('\n');
    const children = t.toArray().filter((c): c is Y.XmlElement | Y.XmlText => c instanceof Y.XmlElement || c instanceof Y.XmlText);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Y.XmlElement | Y.XmlText);
  }
  return parts.join('');
}

/**
 * Deletes child `index` of `parent` bottom-up: Yjs deletes a type's children
 * recursively, which overflows the stack on thousands of nested levels.
 */
function deleteDeep(parent: Y.XmlElement, index: number): void {
  const top = parent.get(index);
  const elements: Y.XmlElement[] = [];
  const stack: unknown[] = [top];
  while (stack.length > 0) {
    const t = stack.pop();
    if (!(t instanceof Y.XmlElement)) continue;
    elements.push(t);
    for (const child of t.toArray()) stack.push(child);
  }
  for (let i = elements.length - 1; i >= 0; i--) {
    const el = elements[i] as Y.XmlElement;
    if (el.length > 0) el.delete(0, el.length);
  }
  parent.delete(index, 1);
}

const textRun = (text: string): Y.XmlText => {
  const run = new Y.XmlText();
  if (text !== '') run.insert(0, text);
  return run;
};

/**
 * What replaces a bad child of a `parentType`: its text, in a form the parent
 * may hold (a text run when no element may go there: `atDepthLimit`).
 */
function replacement(parentType: string, text: string, atDepthLimit: boolean): Y.XmlElement | Y.XmlText | null {
  if (atDepthLimit) return holdsText(parentType) && text !== '' ? textRun(text) : null;
  const rule = ELEMENT_RULES.get(parentType);
  const wrap = (type: string): Y.XmlElement => {
    const el = new Y.XmlElement(type);
    el.insert(0, [textRun(text)]);
    return el;
  };
  if (rule?.children.has('paragraph')) return wrap('paragraph');
  if (holdsText(parentType)) return text === '' ? null : textRun(text);
  if (rule?.children.has('listitem')) return wrap('listitem');
  return null;
}

/** Fixes the formats of one text run; returns how many ranges were fixed. */
function repairTextRun(run: Y.XmlText, reasons: string[]): number {
  let fixes = 0;
  for (const key of Object.keys(run.getAttributes())) {
    run.removeAttribute(key);
    reasons.push(`attribute ${key} on a text run`);
    fixes++;
  }
  let offset = 0;
  const repairs: Array<{ offset: number; length: number; drop: Record<string, null> }> = [];
  for (const op of run.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>) {
    const length = typeof op.insert === 'string' ? op.insert.length : 1;
    const drop: Record<string, null> = {};
    for (const [key, value] of Object.entries(op.attributes ?? {})) {
      const why = checkTextFormat(key, value);
      if (why) {
        drop[key] = null;
        reasons.push(why);
      }
    }
    if (Object.keys(drop).length > 0) repairs.push({ offset, length, drop });
    offset += length;
  }
  for (const { offset: at, length, drop } of repairs) {
    run.format(at, length, drop);
    fixes++;
  }
  return fixes;
}

/**
 * Brings `doc` (a note) within the note schema. Changes nothing when it
 * already is (cost: one walk over the note). `origin` marks the repair
 * transaction.
 */
export function repairNoteDoc(doc: Y.Doc, origin: unknown): RepairReport {
  const reasons: string[] = [];
  let fixes = 0;
  let pendingDropped = false;
  let unrepairable = false;
  const root = doc.share.has(NOTE_ROOT_NAME) ? doc.get(NOTE_ROOT_NAME, Y.XmlElement) : null;
  doc.transact(() => {
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
      doc.store.pendingStructs = null;
      doc.store.pendingDs = null;
      pendingDropped = true;
    }
    if (!root) return;
    const stack: Array<{ el: Y.XmlElement; type: string; depth: number }> = [{ el: root, type: 'root', depth: 0 }];
    while (stack.length > 0) {
      const { el, type, depth } = stack.pop() as { el: Y.XmlElement; type: string; depth: number };
      const attributes = el.getAttributes() as Record<string, unknown>;
      for (const [key, value] of Object.entries(attributes)) {
        const why = checkElementAttribute(type, key, value);
        if (!why) continue;
        reasons.push(why);
        fixes++;
        const fixed = repairValue(type, key, attributes);
        if (fixed === null) el.removeAttribute(key);
        else el.setAttribute(key, fixed as string);
      }
      const children = el.toArray();
      for (let index = children.length - 1; index >= 0; index--) {
        const child = children[index];
        let why: string | null;
        if (child instanceof Y.XmlText) {
          why = holdsText(type) ? null : `text directly inside ${type}`;
        } else if (child instanceof Y.XmlElement) {
          why = checkElementChild(type, child.nodeName) ?? (depth + 1 > MAX_NODE_DEPTH ? `nesting deeper than ${MAX_NODE_DEPTH}` : null);
        } else {
          why = 'unsupported shared type';
        }
        if (why === null) {
          if (child instanceof Y.XmlText) fixes += repairTextRun(child, reasons);
          else if (child instanceof Y.XmlElement) stack.push({ el: child, type: child.nodeName, depth: depth + 1 });
          continue;
        }
        if (child instanceof Y.XmlElement && subtreeDepth(child) > MAX_REPAIRABLE_DEPTH) {
          unrepairable = true;
          reasons.push(`${why}: too deep to repair`);
          continue;
        }
        reasons.push(why);
        fixes++;
        const text = child instanceof Y.XmlElement || child instanceof Y.XmlText ? plainText(child) : '';
        deleteDeep(el, index);
        const instead = replacement(type, text, depth + 1 > MAX_NODE_DEPTH);
        if (instead) el.insert(index, [instead]);
      }
    }
  }, origin);
  return { fixes, pendingDropped, unrepairable, reasons: reasons.slice(0, MAX_REASONS) };
}
