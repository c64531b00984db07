/**
 * The snippet a search result shows: a short window of the note's text
 * around the first hit, as parts to draw (hits marked), never HTML.
 */
import { normalizeForSearch } from './noteEntry';

/** One run of a snippet; `hit` runs are drawn marked. */
export interface SnippetPart {
  readonly text: string;
  readonly hit: boolean;
}

/** Characters of context kept before the first hit, and of the whole window (about). */
export const SNIPPET_BEFORE_CHARS = 40;
export const SNIPPET_CHARS = 160;

/** Words as the full-text index splits them: runs of letters, marks, digits and connectors. */
const WORD = /[\p{L}\p{M}\p{N}\p{Pc}]+/gu;
const ASCII = /^[ -~]*$/;

/** Folds one word; printable ASCII (most words, all the words before a late hit) without Unicode normalization. */
const fold = (word: string): string => (ASCII.test(word) ? word.toLowerCase() : normalizeForSearch(word));

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WORD_CHAR = /[\p{L}\p{M}\p{N}\p{Pc}]/u;

/**
 * The window of `text` around the first hit, every hit in it marked; cut at
 * word boundaries, with an ellipsis where text was cut. A word is a hit when,
 * folded (see `normalizeForSearch`), it is one of `terms` (`match` 'word': the
 * words the full-text index matched) or holds one (`match` 'within': the scan's
 * terms). Empty when no word is a hit (the note matched by its title only).
 *
 * Where to start looking is found first by a case-insensitive search of the
 * terms in the raw text (native, fast on long notes); a word whose folding is
 * more than lower-casing (an accent, a ligature) is only found by folding the
 * words one by one, which is done from the start when that search finds none.
 */
export function snippetOf(text: string, terms: readonly string[], match: 'word' | 'within'): SnippetPart[] {
  const wanted = terms.filter((term) => term !== '');
  if (wanted.length === 0) return [];
  const isHit = match === 'word' ? (word: string) => wanted.includes(word) : (word: string) => wanted.some((term) => word.includes(term));
  let from = new RegExp(wanted.map(escapeRegExp).join('|'), 'iu').exec(text)?.index ?? 0;
  while (from > 0 && WORD_CHAR.test(text[from - 1] ?? '')) from--;
  return windowAround(text, isHit, from) ?? (from > 0 ? (windowAround(text, isHit, 0) ?? []) : []);
}

function windowAround(text: string, isHit: (foldedWord: string) => boolean, searchFrom: number): SnippetPart[] | null {
  const hits: Array<[number, number]> = [];
  let end = -1;
  const words = new RegExp(WORD.source, 'gu');
  words.lastIndex = searchFrom;
  for (let match = words.exec(text); match !== null; match = words.exec(text)) {
    const start = match.index;
    if (end >= 0 && start > end) break;
    if (!isHit(fold(match[0]))) continue;
    hits.push([start, start + match[0].length]);
    if (end < 0) end = Math.max(start + SNIPPET_CHARS - SNIPPET_BEFORE_CHARS, start + match[0].length);
  }
  const first = hits[0];
  if (!first) return null;
  let from = Math.max(0, first[0] - SNIPPET_BEFORE_CHARS);
  // Start and end on a word boundary (a space) when there is one close by.
  if (from > 0) {
    const space = text.indexOf(' ', from);
    from = space >= 0 && space < first[0] ? space + 1 : from;
  }
  let to = Math.min(text.length, end);
  if (to < text.length) {
    const space = text.lastIndexOf(' ', to);
    to = space > (hits[hits.length - 1]?.[1] ?? first[1]) ? space : to;
  }
  const parts: SnippetPart[] = [];
  const push = (part: string, hit: boolean) => {
    if (part !== '') parts.push({ text: part, hit });
  };
  let at = from;
  for (const [start, stop] of hits) {
    if (stop > to) break;
    push(text.slice(at, start), false);
    push(text.slice(start, stop), true);
    at = stop;
  }
  push(text.slice(at, to), false);
  if (from > 0) parts.unshift({ text: '…', hit: false });
  if (to < text.length) parts.push({ text: '…', hit: false });
  return parts;
}
