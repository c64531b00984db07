import { $getRoot, type LexicalEditor } from 'lexical';

/**
 * Types `text` at the end of the note's last block, as a caret at the end would, in one
 * discrete update (committed before this returns). The one copy for unit tests; the
 * end-to-end tests have theirs in tests/e2e/helpers/app.ts.
 */
export function typeAtEnd(editor: LexicalEditor, text: string): void {
  editor.update(
    () => {
      const last = $getRoot().getLastChild();
      if (last === null) throw new Error('no block to type into');
      last.selectEnd().insertText(text);
    },
    { discrete: true },
  );
}
