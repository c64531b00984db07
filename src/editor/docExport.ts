/**
 * A note's Markdown and HTML exports, made from its Y.Doc rather than from a
 * mounted editor: export works when no editor is mounted, when the editor
 * crashed, and when it could not draw the note.
 *
 * The doc is rendered by a headless editor with the note's nodes and theme
 * (renderNoteState: a throwaway editor bound to a copy of the doc, exactly as
 * a note opens; @lexical/yjs has no public one-shot "Yjs → editor state"
 * conversion besides a binding), and exported through Lexical's own
 * exporters, so the file is what the editor would have exported. When not
 * even that works, the export holds the doc's plain text.
 */
import { $convertToMarkdownString } from '@lexical/markdown';
import type { LexicalEditor } from 'lexical';
import * as Y from 'yjs';
import { noteText } from '../doc/noteText';
import { noteHtmlDocument, plainTextHtmlDocument } from './exportHtml';
import { MARKDOWN_TRANSFORMERS } from './markdown';
import { renderNoteState } from './versionContent';

/** The note in `doc` as Markdown. */
export function docMarkdown(doc: Y.Doc): string {
  return exported(
    doc,
    (editor) => editor.getEditorState().read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS])),
    (text) => text,
  );
}

/** The note in `doc` as a standalone HTML document titled `title` (see noteHtmlDocument). Needs a DOM. */
export function docHtmlDocument(doc: Y.Doc, title: string): string {
  return exported(
    doc,
    (editor) => noteHtmlDocument(editor, title),
    (text) => plainTextHtmlDocument(title, text),
  );
}

function exported(doc: Y.Doc, fromEditor: (editor: LexicalEditor) => string, fromText: (text: string) => string): string {
  try {
    return renderNoteState(Y.encodeStateAsUpdate(doc), (editor, errors) => {
      // A partial rendering would drop content: the plain text has all of it.
      if (errors.length > 0) throw new AggregateError(errors, 'the note could not be rendered');
      return fromEditor(editor);
    });
  } catch (error) {
    console.warn('[weft] exporting the note as plain text', error);
    return fromText(noteText(doc));
  }
}
