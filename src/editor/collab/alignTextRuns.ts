import type { BindingV2 } from '@lexical/yjs';
import { $isRootNode, $isTextNode, type ElementNode, type LexicalNode, type TextNode } from 'lexical';
import * as Y from 'yjs';

/** One attributed string of an XmlText, as `toDelta()` gives it. */
export interface Segment {
  insert: string;
  attributes?: Record<string, unknown>;
}

/**
 * A run of adjacent Lexical text nodes and the run of adjacent XmlTexts that
 * holds it in the V2 layout.
 *
 * Usually one XmlText per run. But when two peers start typing in the same
 * empty block (or next to the same inline element) at once, each creates an
 * XmlText, and after the merge the block holds two side by side. Lexical
 * merges their text nodes into one (normalization), and @lexical/yjs then
 * writes the merge back as "delete both, insert a copy" — which every peer
 * does, so the text is duplicated, and what a peer types meanwhile into the
 * deleted ones is lost. Seeing the two XmlTexts as one run lets the binding
 * leave them alone and write keystrokes into whichever holds the caret.
 */
export interface AlignedRun {
  readonly nodes: TextNode[];
  readonly texts: Y.XmlText[];
}

/**
 * Pairs the text runs of `element` with the XmlText runs of its shared type,
 * or null when the children do not line up one to one (any other child must
 * be mapped to the shared type at the same place) or a run holds anything but
 * strings.
 */
export function $alignTextRuns(binding: BindingV2, element: ElementNode): AlignedRun[] | null {
  // The root is the binding's own shared type (a full rebuild does not map it).
  const shared = $isRootNode(element) ? binding.root : binding.mapping.getSharedType(element);
  if (!(shared instanceof Y.XmlElement) || shared._item?.deleted === true) return null;
  const yChildren = shared.toArray();
  const runs: AlignedRun[] = [];
  let y = 0;
  let child: LexicalNode | null = element.getFirstChild();
  while (child !== null || y < yChildren.length) {
    if ($isTextNode(child)) {
      const nodes: TextNode[] = [];
      for (; $isTextNode(child); child = child.getNextSibling()) nodes.push(child);
      const texts: Y.XmlText[] = [];
      for (; yChildren[y] instanceof Y.XmlText; y++) texts.push(yChildren[y] as Y.XmlText);
      if (texts.length === 0) return null;
      runs.push({ nodes, texts });
      continue;
    }
    if (child === null || y >= yChildren.length || binding.mapping.getSharedType(child) !== yChildren[y]) return null;
    child = child.getNextSibling();
    y++;
  }
  return runs;
}

/** The segments of a run's XmlTexts, in order; null if one is not a string. */
export function segmentsOf(texts: readonly Y.XmlText[]): Segment[] | null {
  const all: Segment[] = [];
  for (const text of texts) {
    for (const segment of text.toDelta() as Segment[]) {
      if (typeof segment.insert !== 'string') return null;
      all.push(segment);
    }
  }
  return all;
}

/** The plain text of a Lexical run. */
export const runText = (nodes: readonly TextNode[]): string => nodes.map((node) => node.getTextContent()).join('');

/**
 * The XmlText and offset for position `index` of a run (counted over its
 * XmlTexts' text). At a border between two XmlTexts, the left one's end or
 * the right one's start, as `prefer` says.
 */
export function locateInRun(texts: readonly Y.XmlText[], index: number, prefer: 'left' | 'right' = 'left'): { text: Y.XmlText; offset: number } {
  let rest = index;
  for (const text of texts) {
    const length = text.length;
    if (rest < length || (rest === length && prefer === 'left')) return { text, offset: rest };
    rest -= length;
  }
  const last = texts[texts.length - 1] as Y.XmlText;
  return { text: last, offset: last.length };
}

/**
 * The aligned run holding `node`. The common case — the run is one XmlText
 * with no XmlText beside it — comes from the mapping without listing the
 * block's children; otherwise the block is aligned ({@link $alignTextRuns}).
 */
export function $runOf(binding: BindingV2, node: TextNode): AlignedRun | null {
  const mapped = binding.mapping.getSharedType(node);
  const item = mapped instanceof Y.XmlText ? mapped._item : null;
  if (item !== null && !item.deleted && !isXmlText(item.prev) && !isXmlText(item.next)) {
    const nodes: TextNode[] = [];
    let first: TextNode = node;
    for (let prev = first.getPreviousSibling(); $isTextNode(prev); prev = prev.getPreviousSibling()) first = prev;
    for (let next: LexicalNode | null = first; $isTextNode(next); next = next.getNextSibling()) nodes.push(next);
    const keys = binding.mapping.get(mapped as Y.XmlText);
    if (Array.isArray(keys) && keys.length === nodes.length && keys.every((n, i) => n.getKey() === nodes[i]?.getKey())) {
      return { nodes, texts: [mapped as Y.XmlText] };
    }
  }
  const parent = node.getParent();
  return parent === null ? null : ($alignTextRuns(binding, parent)?.find((run) => run.nodes.includes(node)) ?? null);
}

const isXmlText = (item: Y.Item | null): boolean => item !== null && item.content instanceof Y.ContentType && item.content.type instanceof Y.XmlText;
