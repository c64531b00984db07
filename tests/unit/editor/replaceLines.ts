import { $createParagraphNode, $createTextNode, $getRoot, type LexicalEditor } from 'lexical';

/**
 * Replaces the note's content with one plain paragraph per line, in one discrete update
 * (committed before this returns): a whole note's text written at once, as a paste would.
 */
export function replaceLines(editor: LexicalEditor, lines: readonly string[]): void {
  editor.update(
    () => {
      const root = $getRoot();
      root.clear();
      for (const line of lines) root.append($createParagraphNode().append($createTextNode(line)));
    },
    { discrete: true },
  );
}
