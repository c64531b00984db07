/**
 * A Markdown file turned into a note's Yjs state, the way a note is written:
 * a headless editor with the note's nodes, bound to a fresh doc that starts
 * from the frozen seed, imports the Markdown through @lexical/markdown with
 * the notes' transformers (the same ones export and the typing shortcuts
 * use), and the binding writes the result to the doc. So an imported note is
 * byte-for-byte the kind of document the editor writes, and exporting it
 * gives back what was imported (tests/unit/editor/markdownImport.test.ts).
 */
import { $convertFromMarkdownString } from '@lexical/markdown';
import { $isHeadingNode } from '@lexical/rich-text';
import { $getRoot, createEditor } from 'lexical';
import * as Y from 'yjs';
import { applySeed } from '../doc/seed';
import { bindEditorToDoc } from './collab/bindEditorToDoc';
import { MARKDOWN_TRANSFORMERS } from './markdown';
import { EDITOR_NODES } from './nodes';
import { EDITOR_THEME } from './theme';

/** A Markdown file as a note. */
export interface MarkdownNote {
  /** The note's whole Yjs state (the seed included): what storage holds for it. */
  readonly state: Uint8Array;
  /** The text of the first heading, or null when the file has none. */
  readonly firstHeading: string | null;
}

const TRANSFORMERS = [...MARKDOWN_TRANSFORMERS];

/**
 * The note that `markdown` makes. Throws when the editor reports an error on
 * the way (the note would be partial).
 */
export function markdownToNote(markdown: string): MarkdownNote {
  const doc = new Y.Doc();
  const errors: Error[] = [];
  const editor = createEditor({ namespace: 'weft-import', nodes: [...EDITOR_NODES], theme: EDITOR_THEME, onError: (e) => errors.push(e) });
  try {
    applySeed(doc);
    const binding = bindEditorToDoc(editor, doc, { onSyncError: (e) => errors.push(e), onRenderFailure: (e) => errors.push(e) });
    let firstHeading: string | null = null;
    try {
      editor.update(
        () => {
          $convertFromMarkdownString(markdown, TRANSFORMERS);
          const heading = $getRoot().getChildren().find($isHeadingNode);
          const text = heading?.getTextContent().trim();
          firstHeading = text ? text : null;
        },
        { discrete: true },
      );
      // The binding writes in the update's listener: the doc has it all now.
      binding.writeLocalEdits();
    } finally {
      binding.dispose();
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the Markdown could not be converted');
    return { state: Y.encodeStateAsUpdate(doc), firstHeading };
  } finally {
    doc.destroy();
  }
}
