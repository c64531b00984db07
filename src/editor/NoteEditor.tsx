import { AutoLinkPlugin } from '@lexical/react/LexicalAutoLinkPlugin';
import { CheckListPlugin } from '@lexical/react/LexicalCheckListPlugin';
import { type InitialConfigType, LexicalComposer } from '@lexical/react/LexicalComposer';
import { ContentEditable } from '@lexical/react/LexicalContentEditable';
import { LexicalErrorBoundary } from '@lexical/react/LexicalErrorBoundary';
import { LinkPlugin } from '@lexical/react/LexicalLinkPlugin';
import { ListPlugin } from '@lexical/react/LexicalListPlugin';
import { MarkdownShortcutPlugin } from '@lexical/react/LexicalMarkdownShortcutPlugin';
import { RichTextPlugin } from '@lexical/react/LexicalRichTextPlugin';
import type { LexicalEditor } from 'lexical';
import { type ReactNode, useRef } from 'react';
import { AUTO_LINK_EXCLUDED_PARENTS, AUTO_LINK_MATCHERS } from './autoLinkMatchers';
import { EditorErrorBoundary, type DisplayErrorOutcome } from './EditorErrorBoundary';
import { PlainTextNote } from './PlainTextNote';
import './editor.css';
import { MARKDOWN_TRANSFORMERS } from './markdown';
import { EDITOR_NODES } from './nodes';
import { BindPlugin, type BindContext } from './plugins/BindPlugin';
import { ChecklistRolesPlugin } from './plugins/ChecklistRolesPlugin';
import { LinkClickPlugin } from './plugins/LinkClickPlugin';
import { ListTabPlugin } from './plugins/ListTabPlugin';
import { RootNormalizationPlugin } from './plugins/RootNormalizationPlugin';
import { ShortcutsPlugin } from './plugins/ShortcutsPlugin';
import { ToolbarPlugin } from './plugins/ToolbarPlugin';
import { isSafeLinkUrl } from './safeUrl';
import { EDITOR_THEME } from './theme';

export type { BindContext } from './plugins/BindPlugin';

/** Props of {@link NoteEditor}. */
export type NoteEditorProps = {
  /**
   * Binds the Lexical editor to the note's Y.Doc (binding, undo manager,
   * storage start). Returns its disposer. Called once per mount (twice under
   * StrictMode, with the first disposer in between); later changes to this
   * prop are ignored — remount the editor (`key={noteId}`) to bind elsewhere.
   *
   * The second argument carries the element to draw remote cursors into.
   */
  bind: (editor: LexicalEditor, context: BindContext) => () => void;
  /**
   * Extra plugins rendered inside the editor's composer (so they can use
   * `useLexicalComposerContext`), e.g. presence UI.
   */
  children?: ReactNode;
  /**
   * The note's plain text while the editor cannot draw it: shown read-only in
   * its place (the editor stays mounted, hidden, while `bind`'s binding lives).
   * Null or absent while the editor works.
   */
  fallbackText?: string | null;
  /** "Try again" under the fallback text: show the note in the editor again. */
  onRetry?: () => void;
  /**
   * A render error the editor's error boundary caught: `redrawn` when it
   * remounted the editor, `failed` when it shows `fallbackText` instead.
   */
  onDisplayError?: (error: Error, outcome: DisplayErrorOutcome) => void;
};

/** Shared by every note: the namespace only scopes Lexical's clipboard format. */
const NAMESPACE = 'weft-note';

function onEditorError(error: Error, _editor: LexicalEditor): void {
  // Lexical calls this for errors inside updates and reconciliation, which it
  // has already recovered from (the update is discarded). Log, don't throw:
  // throwing here would take the whole page down for one bad update — e.g. a
  // peer's malformed change. Render-time failures reach EditorErrorBoundary.
  console.error('[weft] editor error', error);
}

// A stable array: MarkdownShortcutPlugin re-registers whenever it gets a new one.
const SHORTCUT_TRANSFORMERS = [...MARKDOWN_TRANSFORMERS];

const INITIAL_CONFIG: InitialConfigType = {
  namespace: NAMESPACE,
  nodes: EDITOR_NODES,
  theme: EDITOR_THEME,
  onError: onEditorError,
  // The Y.Doc owns the content: Lexical must not seed its own paragraph, or
  // every peer that opens the note offline would add one.
  editorState: null,
};

/**
 * The rich-text editor for one note: toolbar, editable area with markdown
 * shortcuts, lists, check lists, links, code. It holds no content of its own:
 * `bind` connects it to the note's document. Remount it per note
 * (`key={noteId}`).
 */
export function NoteEditor({ bind, children, fallbackText = null, onRetry, onDisplayError }: NoteEditorProps) {
  const cursorsContainerRef = useRef<HTMLDivElement>(null);
  const showingText = fallbackText !== null;
  return (
    <EditorErrorBoundary
      // Without a listener nobody tells the user: the boundary's own alert then stays.
      {...(onDisplayError
        ? {
            onError: onDisplayError,
            fallback: (retry: () => void) => (
              <div className="weft-editor">
                <PlainTextNote
                  text={fallbackText ?? ''}
                  onRetry={() => {
                    onRetry?.();
                    retry();
                  }}
                />
              </div>
            ),
          }
        : {})}
    >
      <div className="weft-editor">
        {showingText && <PlainTextNote text={fallbackText} onRetry={() => onRetry?.()} />}
        <LexicalComposer initialConfig={INITIAL_CONFIG}>
          {/* Hidden, not unmounted, while the text is shown: the binding keeps the note open. */}
          <div className="weft-editor__view" hidden={showingText}>
            <ToolbarPlugin />
            <div className="weft-editor__surface">
              <RichTextPlugin
                contentEditable={
                  <ContentEditable
                    className="weft-editor__content"
                    role="textbox"
                    aria-label="Note"
                    aria-multiline="true"
                    spellCheck
                    aria-placeholder="Start writing…"
                    placeholder={
                      <div className="weft-editor__placeholder" aria-hidden="true">
                        Start writing…
                      </div>
                    }
                  />
                }
                ErrorBoundary={LexicalErrorBoundary}
              />
              {/* Remote carets and selections are positioned inside this layer. */}
              <div ref={cursorsContainerRef} className="weft-editor__cursors" aria-hidden="true" />
            </div>
          </div>
          <ListPlugin />
          <CheckListPlugin />
          {/* A checklist's <ul> holds checkboxes, not list items: drawn as a group (axe "list"). */}
          <ChecklistRolesPlugin />
          <LinkPlugin validateUrl={isSafeLinkUrl} />
          {/* URLs typed or pasted become links (same URL policy: autoLinkMatchers.ts). */}
          <AutoLinkPlugin matchers={AUTO_LINK_MATCHERS} excludeParents={AUTO_LINK_EXCLUDED_PARENTS} />
          <LinkClickPlugin />
          <ListTabPlugin />
          <MarkdownShortcutPlugin transformers={SHORTCUT_TRANSFORMERS} />
          <ShortcutsPlugin />
          <RootNormalizationPlugin />
          <BindPlugin bind={bind} cursorsContainerRef={cursorsContainerRef} />
          {children}
        </LexicalComposer>
      </div>
    </EditorErrorBoundary>
  );
}
