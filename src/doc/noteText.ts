import * as Y from 'yjs';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from './noteRoot';

/** Element names (Lexical node types) that start a new line in plain text. */
const BLOCK_ELEMENTS = new Set(['paragraph', 'heading', 'quote', 'listitem', 'code', 'list']);

/**
 * The plain text of a note's Y.Doc, read straight from Yjs (no editor): one
 * line per block. Good for previews and search, not a faithful rendering.
 */
export function noteText(doc: Y.Doc): string {
  const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
  const lines: string[] = [];
  let line = '';
  const walk = (node: Y.XmlElement | Y.XmlText | Y.XmlHook): void => {
    if (node instanceof Y.XmlText) {
      for (const op of node.toDelta() as Array<{ insert: unknown }>) {
        if (typeof op.insert === 'string') line += op.insert;
        else if (op.insert instanceof Y.XmlElement || op.insert instanceof Y.XmlText) walk(op.insert);
      }
      return;
    }
    if (!(node instanceof Y.XmlElement)) return;
    const block = BLOCK_ELEMENTS.has(node.nodeName);
    if (node.nodeName === 'linebreak') line += '\n';
    for (const child of node.toArray()) walk(child as Y.XmlElement | Y.XmlText);
    if (block && line !== '') {
      lines.push(line);
      line = '';
    }
  };
  for (const child of root.toArray()) walk(child as Y.XmlElement | Y.XmlText);
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/**
 * Characters of text in the doc that are not deleted: every string inserted
 * into a Y.XmlText/Y.Text. One pass over the struct store, no types created.
 */
export function countTextChars(doc: Y.Doc): number {
  let chars = 0;
  for (const structs of doc.store.clients.values()) {
    for (const struct of structs) {
      if (struct instanceof Y.Item && !struct.deleted && struct.content instanceof Y.ContentString) {
        chars += struct.content.getLength();
      }
    }
  }
  return chars;
}
