import type { BindingV2 } from '@lexical/yjs';
import { $getNodeByKey, $isElementNode, $isRootNode, $isTextNode, type ElementNode, type LexicalNode, type NodeKey } from 'lexical';
import * as Y from 'yjs';

/**
 * Before the library's structural diff, lines up the children of each
 * written block container (the root, a list) one to one with its Lexical
 * children, by identity. Must run inside a read of the new editor state and
 * the binding's Yjs transaction.
 *
 * Why: @lexical/yjs's V2 `$updateYFragment` (after y-prosemirror's
 * `updateYFragment`) pairs the children that differ by *node name*, not by
 * identity. Remove a list and append a paragraph after paragraph P, and it
 * rewrites P's XmlText into the new paragraph's text (a character diff) and
 * inserts a fresh copy of P before it: a peer's concurrent keystrokes in P
 * end up inside the new paragraph's word, and P's words are recreated
 * without them (firewall fuzz seed 3, case 863).
 *
 * How: the Y children still mapped to a Lexical child, in order (a longest
 * increasing run of their positions), are anchors. Between two anchors, a Y
 * child whose node was replaced (gone, or never mapped) is paired in order
 * with a new Lexical child of the same type, as the library would (a block
 * turned from h1 to h2 keeps its XmlText, and what peers type in it); other
 * Y children are deleted (removed blocks, and moved ones: Yjs has no move, a
 * moved block is a copy); a new Lexical child without a partner gets an
 * empty element of its type, which the library fills. The library then finds
 * both lists the same length with matching types, and whichever end it
 * works from, it pairs each block with its own.
 */
export function $alignBlocks(binding: BindingV2, dirtyElements: ReadonlyMap<NodeKey, boolean>): void {
  for (const key of dirtyElements.keys()) {
    const element = $getNodeByKey(key);
    if (!$isElementNode(element)) continue;
    const shared = $isRootNode(element) ? binding.root : binding.mapping.getSharedType(element);
    if (shared instanceof Y.XmlElement) alignChildren(binding, element, shared);
  }
}

function alignChildren(binding: BindingV2, element: ElementNode, shared: Y.XmlElement): void {
  const lexical = element.getChildren();
  const yjs = shared.toArray();
  // Only containers of blocks: the library keeps text runs as XmlTexts made
  // of several nodes, which this pairing does not model.
  if (lexical.some((node) => $isTextNode(node) || !$isElementNode(node)) || yjs.some((type) => !(type instanceof Y.XmlElement))) return;
  const elements = yjs as Y.XmlElement[];
  const position = new Map<NodeKey, number>(lexical.map((node, i) => [node.getKey(), i]));
  const mappedAt = elements.map((type) => {
    const mapped = binding.mapping.get(type);
    return mapped === undefined || Array.isArray(mapped) ? undefined : position.get(mapped.getKey());
  });
  const placed = mappedAt.flatMap((at, index) => (at === undefined ? [] : [{ index, at }]));
  const anchors = longestIncreasing(placed.map((p) => p.at)).map((i) => placed[i] as { index: number; at: number });

  // The new sequence of Y children: existing types kept in place, new ones to insert.
  const next: Array<Y.XmlElement> = [];
  const remove = new Set<Y.XmlElement>(elements);
  let y = 0;
  let l = 0;
  for (const anchor of [...anchors, { index: elements.length, at: lexical.length }]) {
    const gap = elements.slice(y, anchor.index);
    let g = 0;
    for (; l < anchor.at; l++) {
      const node = lexical[l] as LexicalNode;
      let partner = -1;
      if (binding.mapping.getSharedType(node) === undefined) {
        for (let k = g; k < gap.length; k++) {
          if (replaced(binding, gap[k] as Y.XmlElement, position) && (gap[k] as Y.XmlElement).nodeName === node.getType()) {
            partner = k;
            break;
          }
        }
      }
      if (partner === -1) {
        next.push(new Y.XmlElement(node.getType()));
      } else {
        const type = gap[partner] as Y.XmlElement;
        remove.delete(type);
        next.push(type);
        g = partner + 1;
      }
    }
    const kept = elements[anchor.index];
    if (kept !== undefined) {
      remove.delete(kept);
      next.push(kept);
    }
    y = anchor.index + 1;
    l = anchor.at + 1;
  }

  if (remove.size === 0 && next.length === elements.length) return;
  // One Yjs call per run of neighbours, not per block: Yjs finds an index by
  // walking the list from its start, so a block at a time made a 14,000-line
  // paste (or deleting it) quadratic.
  for (let end = elements.length; end > 0; ) {
    if (!remove.has(elements[end - 1] as Y.XmlElement)) {
      end--;
      continue;
    }
    let start = end - 1;
    while (start > 0 && remove.has(elements[start - 1] as Y.XmlElement)) start--;
    for (const type of elements.slice(start, end)) binding.mapping.delete(type);
    shared.delete(start, end - start);
    end = start;
  }
  // What is left is `next` minus the new types, in order: insert those.
  for (let start = 0; start < next.length; ) {
    if ((next[start] as Y.XmlElement).parent !== null) {
      start++;
      continue;
    }
    let end = start + 1;
    while (end < next.length && (next[end] as Y.XmlElement).parent === null) end++;
    shared.insert(start, next.slice(start, end));
    start = end;
  }
}

/** True when a Y child's node is no longer a child here (replaced or removed), or it was never mapped. */
function replaced(binding: BindingV2, type: Y.XmlElement, position: ReadonlyMap<NodeKey, number>): boolean {
  const mapped = binding.mapping.get(type);
  return mapped === undefined || Array.isArray(mapped) || !position.has(mapped.getKey());
}

/** Indices into `values` of one longest strictly increasing subsequence (O(n log n)). */
export function longestIncreasing(values: readonly number[]): number[] {
  const tails: number[] = [];
  const previous: number[] = new Array<number>(values.length).fill(-1);
  values.forEach((value, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[tails[mid] as number] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1] as number;
    tails[lo] = i;
  });
  const result: number[] = [];
  for (let i = tails.length > 0 ? (tails[tails.length - 1] as number) : -1; i !== -1; i = previous[i] as number) result.push(i);
  return result.reverse();
}
