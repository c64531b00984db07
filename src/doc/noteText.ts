import * as Y from 'yjs';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from './noteRoot';

/** Element names (Lexical node types) that start a new line in plain text. */
const BLOCK_ELEMENTS = new Set(['paragraph', 'heading', 'quote', 'listitem', 'code', 'list']);

/** One step of {@link noteText}'s walk: a node to visit, text to add, or the end of a block. */
type Step = { node: Y.XmlElement | Y.XmlText } | { text: string } | { endBlock: boolean };

/**
 * The plain text of a note's Y.Doc, read straight from Yjs (no editor): one
 * line per block. Good for previews and search, not a faithful rendering.
 * Iterative, so a note nested thousands deep (stored before the schema
 * firewall) still has a text: it is what is shown when the editor cannot draw it.
 */
export function noteText(doc: Y.Doc): string {
  const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
  const lines: string[] = [];
  let line = '';
  const stack: Step[] = [];
  const pushChildren = (children: readonly unknown[]): void => {
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child instanceof Y.XmlElement || child instanceof Y.XmlText) stack.push({ node: child });
    }
  };
  pushChildren(root.toArray());
  while (stack.length > 0) {
    const step = stack.pop() as Step;
    if ('text' in step) {
      line += step.text;
    } else if ('endBlock' in step) {
      if (step.endBlock && line !== '') {
        lines.push(line);
        line = '';
      }
    } else if (step.node instanceof Y.XmlText) {
      const ops = step.node.toDelta() as Array<{ insert: unknown }>;
      for (let i = ops.length - 1; i >= 0; i--) {
        const insert = (ops[i] as { insert: unknown }).insert;
        if (typeof insert === 'string') stack.push({ text: insert });
        else if (insert instanceof Y.XmlElement || insert instanceof Y.XmlText) stack.push({ node: insert });
      }
    } else {
      const node = step.node;
      if (node.nodeName === 'linebreak') line += '\n';
      stack.push({ endBlock: BLOCK_ELEMENTS.has(node.nodeName) });
      pushChildren(node.toArray());
    }
  }
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
