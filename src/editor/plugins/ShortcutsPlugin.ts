import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { mergeRegister } from '@lexical/utils';
import {
  COMMAND_PRIORITY_NORMAL,
  CONTROL_OR_META,
  FORMAT_TEXT_COMMAND,
  isExactShortcutMatch,
  KEY_DOWN_COMMAND,
  type LexicalEditor,
} from 'lexical';
import { useEffect } from 'react';
import { type BlockType, formatBlock } from '../blockFormat';
import { OPEN_LINK_EDITOR_COMMAND } from '../commands';

type Shortcut = {
  readonly key: string;
  readonly shift?: boolean;
  readonly alt?: boolean;
  readonly run: (editor: LexicalEditor) => void;
};

const block =
  (type: BlockType) =>
  (editor: LexicalEditor): void => {
    formatBlock(editor, type);
  };

/**
 * Shortcuts beyond the ones Lexical's rich-text plugin already has
 * (Ctrl/Cmd+B/I/U, Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z, Ctrl+Y). "Ctrl/Cmd" is Cmd on
 * Apple platforms and Ctrl elsewhere (Lexical's CONTROL_OR_META).
 */
export const SHORTCUTS: ReadonlyArray<Shortcut> = [
  { key: 'k', run: (editor) => editor.dispatchCommand(OPEN_LINK_EDITOR_COMMAND, undefined) },
  { key: 'x', shift: true, run: (editor) => editor.dispatchCommand(FORMAT_TEXT_COMMAND, 'strikethrough') },
  { key: 'e', run: (editor) => editor.dispatchCommand(FORMAT_TEXT_COMMAND, 'code') },
  // Digits are matched by `event.code` when the layout puts something else on
  // the key (Alt+1 is "¡" on a Mac) — isExactShortcutMatch handles that.
  { key: '0', alt: true, run: block('paragraph') },
  { key: '1', alt: true, run: block('h1') },
  { key: '2', alt: true, run: block('h2') },
  { key: '3', alt: true, run: block('h3') },
];

/** Registers {@link SHORTCUTS} on the editor's keydown command. */
export function ShortcutsPlugin(): null {
  const [editor] = useLexicalComposerContext();
  useEffect(
    () =>
      mergeRegister(
        editor.registerCommand(
          KEY_DOWN_COMMAND,
          (event) => {
            for (const shortcut of SHORTCUTS) {
              const mask = { ...CONTROL_OR_META, shiftKey: shortcut.shift === true, altKey: shortcut.alt === true };
              if (isExactShortcutMatch(event, shortcut.key, mask)) {
                // Also keeps the browser from acting on it (Ctrl+K / Ctrl+E
                // focus the address bar's search in Chromium).
                event.preventDefault();
                shortcut.run(editor);
                return true;
              }
            }
            return false;
          },
          COMMAND_PRIORITY_NORMAL,
        ),
      ),
    [editor],
  );
  return null;
}
