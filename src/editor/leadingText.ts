import { $isElementNode, type ElementNode } from 'lexical';

/**
 * The start of `root.getTextContent()` — blocks joined the way Lexical joins
 * them — read only until it holds more than `maxChars` characters once
 * whitespace is collapsed (`/\s+/` → one space, as the notes index stores
 * it). The index keeps the first few thousand characters of a note; reading
 * the whole 100k-character note every refresh (every 400 ms while typing)
 * cost a task of ~1.5 ms and a 200 KB string each time. Call inside a read.
 */
export function $leadingText(root: ElementNode, maxChars: number): string {
  let text = '';
  let separator = '';
  for (let child = root.getFirstChild(); child !== null; child = child.getNextSibling()) {
    text += separator + child.getTextContent();
    separator = $isElementNode(child) && !child.isInline() ? '\n\n' : '';
    if (text.length > maxChars && text.replace(/\s+/gu, ' ').trim().length > maxChars) break;
  }
  return text;
}
