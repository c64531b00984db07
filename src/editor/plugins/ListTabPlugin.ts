import { $isListItemNode } from '@lexical/list';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $findMatchingParent, mergeRegister } from '@lexical/utils';
import {
  $getSelection,
  $isRangeSelection,
  COMMAND_PRIORITY_LOW,
  INDENT_CONTENT_COMMAND,
  KEY_TAB_COMMAND,
  OUTDENT_CONTENT_COMMAND,
} from 'lexical';
import { useEffect } from 'react';

/** Deepest list nesting Tab will create; deeper lists stop being readable on a phone. */
export const MAX_LIST_DEPTH = 6;

/**
 * Tab / Shift+Tab indent and outdent list items. Everywhere else Tab is left
 * to the browser so keyboard users can move focus out of the editor (Lexical's
 * TabIndentationPlugin captures Tab in every block, a keyboard trap).
 */
export function ListTabPlugin(): null {
  const [editor] = useLexicalComposerContext();
  useEffect(
    () =>
      mergeRegister(
        editor.registerCommand(
          KEY_TAB_COMMAND,
          (event) => {
            const selection = $getSelection();
            if (!$isRangeSelection(selection)) return false;
            const item = $findMatchingParent(selection.anchor.getNode(), $isListItemNode);
            if (item === null) return false;
            event.preventDefault();
            if (event.shiftKey) return editor.dispatchCommand(OUTDENT_CONTENT_COMMAND, undefined);
            if (item.getIndent() + 1 >= MAX_LIST_DEPTH) return true;
            return editor.dispatchCommand(INDENT_CONTENT_COMMAND, undefined);
          },
          COMMAND_PRIORITY_LOW,
        ),
      ),
    [editor],
  );
  return null;
}
