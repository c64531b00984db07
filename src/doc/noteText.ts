import * as Y from 'yjs';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from './noteRoot';

/** Element names (Lexical node types) that start a new line in plain text. */
const BLOCK_ELEMENTS = new Set(['paragraph', 'heading', 'quote', 'listitem', 'code', 'list']);

/** One step of the walk: a node to visit, text to add, or the end of a node (`block`: it ends a line). */
type Step = { node: Y.XmlElement | Y.XmlText } | { text: string } | { end: boolean };

/** What {@link walkNote} reports, in document order. */
type NoteEvent = { text: string } | { lineBreak: true } | { endBlock: true };

/**
 * Walks a note's Y.Doc in document order, straight from Yjs (no editor),
 * reporting text, line breaks and the ends of blocks to `visit` until it
 * returns false. Iterative, so a note nested thousands deep (stored before
 * the schema firewall) can still be read: it is what is shown when the
 * editor cannot draw it. Each text run is read whole (`toDelta`), so the
 * cost is that of the blocks visited, not of the whole note.
 */
function walkNote(doc: Y.Doc, visit: (event: NoteEvent) => boolean): void {
  const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
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
      if (!visit({ text: step.text })) return;
    } else if ('end' in step) {
      if (step.end && !visit({ endBlock: true })) return;
    } else if (step.node instanceof Y.XmlText) {
      const ops = step.node.toDelta() as Array<{ insert: unknown }>;
      for (let i = ops.length - 1; i >= 0; i--) {
        const insert = (ops[i] as { insert: unknown }).insert;
        if (typeof insert === 'string') stack.push({ text: insert });
        else if (insert instanceof Y.XmlElement || insert instanceof Y.XmlText) stack.push({ node: insert });
      }
    } else {
      const node = step.node;
      if (node.nodeName === 'linebreak' && !visit({ lineBreak: true })) return;
      stack.push({ end: BLOCK_ELEMENTS.has(node.nodeName) });
      pushChildren(node.toArray());
    }
  }
}

/**
 * The plain text of a note's Y.Doc, read straight from Yjs (no editor): one
 * line per block, empty blocks skipped. Good for previews and search, not a
 * faithful rendering.
 */
export function noteText(doc: Y.Doc): string {
  const lines: string[] = [];
  let line = '';
  walkNote(doc, (event) => {
    if ('text' in event) line += event.text;
    else if ('lineBreak' in event) line += '\n';
    else if (line !== '') {
      lines.push(line);
      line = '';
    }
    return true;
  });
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** What the notes list needs from a note: its title line and the start of its text. */
export interface LeadingText {
  /**
   * The first line of the first block (up to its first line break), empty
   * when that block is empty: what the editor shows on top, so an empty first
   * paragraph means an untitled note, as it did when this was read from Lexical.
   */
  firstLine: string;
  /** The note's text from the start, one line per block, at least `maxChars` once whitespace is collapsed (or all of it). */
  text: string;
}

/**
 * The title line and the leading text of a note, read from its Y.Doc. Stops
 * once the text holds more than `maxChars` characters with whitespace
 * collapsed (as the notes index stores it): the list refresh runs after
 * every burst of typing, and reading a 100k-character note whole each time
 * would cost in proportion to the note rather than to what the index keeps.
 */
export function noteLeadingText(doc: Y.Doc, maxChars: number): LeadingText {
  let firstLine: string | null = null;
  let text = '';
  let line = '';
  const endLine = (): boolean => {
    if (line === '') return true;
    text += (text === '' ? '' : '\n') + line;
    line = '';
    // The collapsed length is only worked out once the raw text is long enough.
    return !(text.length > maxChars && collapsedLength(text) > maxChars);
  };
  walkNote(doc, (event) => {
    if ('text' in event) {
      line += event.text;
      return true;
    }
    firstLine ??= line;
    if ('lineBreak' in event) {
      line += '\n';
      return true;
    }
    return endLine();
  });
  firstLine ??= line.split('\n', 1)[0] ?? '';
  endLine();
  return { firstLine, text };
}

const collapsedLength = (text: string): number => text.replace(/\s+/gu, ' ').trim().length;

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
