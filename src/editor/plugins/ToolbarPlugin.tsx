import { $createLinkNode, $isLinkNode, $toggleLink } from '@lexical/link';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $findMatchingParent, mergeRegister } from '@lexical/utils';
import {
  $createTextNode,
  $getNodeByKey,
  $getSelection,
  $isRangeSelection,
  $setSelection,
  type BaseSelection,
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_LOW,
  FORMAT_TEXT_COMMAND,
  type LexicalEditor,
  REDO_COMMAND,
  SELECTION_CHANGE_COMMAND,
  type TextFormatType,
  UNDO_COMMAND,
} from 'lexical';
import { type KeyboardEvent, type MouseEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import { $getBlockType, BLOCK_TYPES, type BlockType, formatBlock, isBlockType } from '../blockFormat';
import { OPEN_LINK_EDITOR_COMMAND } from '../commands';
import { LINK_REL, LINK_TARGET } from '../linkSafety';
import { LinkIcon, RedoIcon, UndoIcon } from '../icons';
import { LinkForm } from '../LinkForm';

/** The inline marks the toolbar toggles, with labels and shortcut hints. */
const MARKS: ReadonlyArray<{ format: keyof MarkState & TextFormatType; label: string; keys: string; glyph: ReactNode }> = [
  { format: 'bold', label: 'Bold', keys: 'Mod+B', glyph: <b>B</b> },
  { format: 'italic', label: 'Italic', keys: 'Mod+I', glyph: <i>I</i> },
  { format: 'underline', label: 'Underline', keys: 'Mod+U', glyph: <u>U</u> },
  { format: 'strikethrough', label: 'Strikethrough', keys: 'Mod+Shift+X', glyph: <s>S</s> },
  { format: 'code', label: 'Inline code', keys: 'Mod+E', glyph: <code>{'</>'}</code> },
];

type MarkState = Record<'bold' | 'italic' | 'underline' | 'strikethrough' | 'code', boolean>;

type SelectionState = {
  readonly blockType: BlockType | null;
  readonly marks: MarkState;
  /** URL of the link the selection is in, or null. */
  readonly linkUrl: string | null;
};

const NO_MARKS: MarkState = { bold: false, italic: false, underline: false, strikethrough: false, code: false };
const EMPTY_STATE: SelectionState = { blockType: null, marks: NO_MARKS, linkUrl: null };

function $readSelectionState(): SelectionState {
  const selection = $getSelection();
  if (!$isRangeSelection(selection)) return EMPTY_STATE;
  const link =
    $findMatchingParent(selection.anchor.getNode(), $isLinkNode) ??
    $findMatchingParent(selection.focus.getNode(), $isLinkNode);
  return {
    blockType: $getBlockType(selection),
    marks: {
      bold: selection.hasFormat('bold'),
      italic: selection.hasFormat('italic'),
      underline: selection.hasFormat('underline'),
      strikethrough: selection.hasFormat('strikethrough'),
      code: selection.hasFormat('code'),
    },
    linkUrl: link === null ? null : link.getURL(),
  };
}

function sameState(a: SelectionState, b: SelectionState): boolean {
  return (
    a.blockType === b.blockType &&
    a.linkUrl === b.linkUrl &&
    (Object.keys(a.marks) as Array<keyof MarkState>).every((k) => a.marks[k] === b.marks[k])
  );
}

const IS_APPLE_PLATFORM = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.userAgent);

/** Platform-specific spelling of a shortcut, for tooltips. */
function shortcutLabel(keys: string): string {
  return keys.replace('Mod', IS_APPLE_PLATFORM ? '⌘' : 'Ctrl').replace('Alt', IS_APPLE_PLATFORM ? '⌥' : 'Alt');
}

/** The same shortcut in `aria-keyshortcuts` syntax. */
function ariaShortcut(keys: string): string {
  return keys.replace('Mod', IS_APPLE_PLATFORM ? 'Meta' : 'Control');
}

/** Clicking a toolbar button must not move focus (and the caret) out of the text. */
const keepFocus = (event: MouseEvent): void => event.preventDefault();

/**
 * Moves focus between toolbar controls with the arrow keys (WAI-ARIA toolbar
 * pattern), so Tab reaches the toolbar once instead of once per button.
 */
function onToolbarKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
  if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight' && event.key !== 'Home' && event.key !== 'End') return;
  if (event.target instanceof HTMLSelectElement || event.target instanceof HTMLInputElement) return;
  const controls = Array.from(
    event.currentTarget.querySelectorAll<HTMLElement>('[data-toolbar-item]:not(:disabled)'),
  );
  const index = controls.indexOf(event.target as HTMLElement);
  if (index === -1 || controls.length === 0) return;
  event.preventDefault();
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? controls.length - 1
        : (index + (event.key === 'ArrowRight' ? 1 : -1) + controls.length) % controls.length;
  controls[next]?.focus();
}

/**
 * Re-selects what was selected when the link form opened (focus moved to the
 * form's input since). Skipped when a peer's edit removed those nodes.
 */
function $restoreSelection(saved: BaseSelection | null): void {
  if (!$isRangeSelection(saved)) return;
  if ($getNodeByKey(saved.anchor.key) === null || $getNodeByKey(saved.focus.key) === null) return;
  $setSelection(saved.clone());
}

function applyLink(editor: LexicalEditor, saved: BaseSelection | null, url: string): void {
  editor.update(() => {
    $restoreSelection(saved);
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) return;
    const inLink = $findMatchingParent(selection.anchor.getNode(), $isLinkNode) !== null;
    if (selection.isCollapsed() && !inLink) {
      // Nothing selected: insert the URL itself as the link's text.
      const link = $createLinkNode(url, { target: LINK_TARGET, rel: LINK_REL });
      link.append($createTextNode(url));
      selection.insertNodes([link]);
      return;
    }
    $toggleLink(url, { target: LINK_TARGET, rel: LINK_REL });
  });
}

function removeLink(editor: LexicalEditor, saved: BaseSelection | null): void {
  editor.update(() => {
    $restoreSelection(saved);
    const selection = $getSelection();
    // With a caret this unwraps the whole link; with a range, only the selected part.
    if ($isRangeSelection(selection)) $toggleLink(null);
  });
}

type ToolbarButtonProps = {
  readonly label: string;
  readonly keys?: string;
  readonly pressed?: boolean;
  readonly disabled?: boolean;
  readonly onClick: () => void;
  readonly children: ReactNode;
};

function ToolbarButton({ label, keys, pressed, disabled, onClick, children }: ToolbarButtonProps) {
  return (
    <button
      type="button"
      className="weft-editor__tool"
      data-toolbar-item=""
      aria-label={label}
      aria-pressed={pressed}
      aria-keyshortcuts={keys === undefined ? undefined : ariaShortcut(keys)}
      title={keys === undefined ? label : `${label} (${shortcutLabel(keys)})`}
      disabled={disabled}
      onMouseDown={keepFocus}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

/**
 * The formatting toolbar: block type, inline marks (with `aria-pressed`
 * reflecting the selection), link, undo and redo. Undo/redo only dispatch
 * commands; whoever binds the editor (the Yjs undo manager) handles them and
 * reports CAN_UNDO/CAN_REDO back.
 */
export function ToolbarPlugin() {
  const [editor] = useLexicalComposerContext();
  const [state, setState] = useState<SelectionState>(EMPTY_STATE);
  const [canUndo, setCanUndo] = useState(false);
  const [canRedo, setCanRedo] = useState(false);
  const [editable, setEditable] = useState(() => editor.isEditable());
  // The selection saved when the link form opened; `null` while it is closed.
  const [linkForm, setLinkForm] = useState<{ saved: BaseSelection | null; url: string; inLink: boolean } | null>(
    null,
  );

  const show = useCallback((next: SelectionState) => {
    setState((prev) => (sameState(prev, next) ? prev : next));
  }, []);

  /** Opens the link form for the current selection; must run where editor state is readable. */
  const $openLinkForm = useCallback(() => {
    const selection = $getSelection();
    const url = $readSelectionState().linkUrl;
    setLinkForm({ saved: selection === null ? null : selection.clone(), url: url ?? '', inLink: url !== null });
  }, []);
  const openLinkForm = useCallback(() => editor.read($openLinkForm), [editor, $openLinkForm]);

  useEffect(
    () =>
      mergeRegister(
        // Read the state this listener was given rather than `editor.read()`,
        // which would force-commit updates other listeners may have queued.
        editor.registerUpdateListener(({ editorState }) => show(editorState.read($readSelectionState, { editor }))),
        editor.registerCommand(
          SELECTION_CHANGE_COMMAND,
          () => {
            show($readSelectionState()); // command handlers run inside an update
            return false;
          },
          COMMAND_PRIORITY_LOW,
        ),
        editor.registerCommand(
          CAN_UNDO_COMMAND,
          (payload) => {
            setCanUndo(payload);
            return false;
          },
          COMMAND_PRIORITY_LOW,
        ),
        editor.registerCommand(
          CAN_REDO_COMMAND,
          (payload) => {
            setCanRedo(payload);
            return false;
          },
          COMMAND_PRIORITY_LOW,
        ),
        editor.registerCommand(
          OPEN_LINK_EDITOR_COMMAND,
          () => {
            $openLinkForm(); // already inside the command's update
            return true;
          },
          COMMAND_PRIORITY_LOW,
        ),
        editor.registerEditableListener((value) => setEditable(value)),
      ),
    [editor, show, $openLinkForm],
  );

  const closeLinkForm = (): void => {
    setLinkForm(null);
    editor.focus();
  };

  return (
    <div className="weft-editor__toolbar-wrap">
      <div
        className="weft-editor__toolbar"
        role="toolbar"
        aria-label="Formatting"
        onKeyDown={onToolbarKeyDown}
      >
        <ToolbarButton
          label="Undo"
          keys="Mod+Z"
          disabled={!editable || !canUndo}
          onClick={() => editor.dispatchCommand(UNDO_COMMAND, undefined)}
        >
          <UndoIcon />
        </ToolbarButton>
        <ToolbarButton
          label="Redo"
          keys="Mod+Shift+Z"
          disabled={!editable || !canRedo}
          onClick={() => editor.dispatchCommand(REDO_COMMAND, undefined)}
        >
          <RedoIcon />
        </ToolbarButton>
        <span className="weft-editor__separator" aria-hidden="true" />
        <select
          className="weft-editor__block-select"
          data-toolbar-item=""
          aria-label="Block type"
          disabled={!editable}
          value={state.blockType ?? 'paragraph'}
          onChange={(event) => {
            const value = event.target.value;
            if (isBlockType(value)) formatBlock(editor, value);
            editor.focus();
          }}
        >
          {BLOCK_TYPES.map(({ type, label }) => (
            <option key={type} value={type}>
              {label}
            </option>
          ))}
        </select>
        <span className="weft-editor__separator" aria-hidden="true" />
        {MARKS.map(({ format, label, keys, glyph }) => (
          <ToolbarButton
            key={format}
            label={label}
            keys={keys}
            pressed={state.marks[format]}
            disabled={!editable}
            onClick={() => editor.dispatchCommand(FORMAT_TEXT_COMMAND, format)}
          >
            <span aria-hidden="true">{glyph}</span>
          </ToolbarButton>
        ))}
        <ToolbarButton
          label="Link"
          keys="Mod+K"
          pressed={state.linkUrl !== null}
          disabled={!editable}
          onClick={openLinkForm}
        >
          <LinkIcon />
        </ToolbarButton>
      </div>
      {linkForm !== null && (
        <LinkForm
          initialUrl={linkForm.url}
          canRemove={linkForm.inLink}
          onSubmit={(url) => {
            applyLink(editor, linkForm.saved, url);
            closeLinkForm();
          }}
          onRemove={() => {
            removeLink(editor, linkForm.saved);
            closeLinkForm();
          }}
          onCancel={closeLinkForm}
        />
      )}
    </div>
  );
}
