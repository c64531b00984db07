import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import type { LexicalEditor } from 'lexical';
import { type RefObject, useEffect, useState } from 'react';

/** What {@link BindPlugin} hands to `bind` besides the editor. */
export type BindContext = {
  /**
   * Positioned element wrapping the editable area, for @lexical/yjs to draw
   * remote cursors and selections into (`binding.cursorsContainer`). `null`
   * only if the editor shell was not rendered.
   */
  readonly cursorsContainer: HTMLElement | null;
};

/** Connects an editor to whatever owns its content; returns the disposer. */
export type BindEditor = (editor: LexicalEditor, context: BindContext) => () => void;

type BindPluginProps = {
  readonly bind: BindEditor;
  readonly cursorsContainerRef: RefObject<HTMLElement | null>;
};

/**
 * Calls `bind(editor)` once per mount and its disposer on unmount. Under
 * StrictMode React mounts, unmounts and mounts again: each run's disposer
 * undoes that run, so the second binding starts from a clean slate.
 */
export function BindPlugin({ bind, cursorsContainerRef }: BindPluginProps): null {
  const [editor] = useLexicalComposerContext();
  // The first `bind` is kept on purpose: the editor is remounted per note, and
  // a parent re-rendering with a fresh closure must not tear the binding down
  // and rebuild it (that would drop the Yjs undo history and cursors).
  const [initialBind] = useState(() => bind);
  useEffect(
    () => initialBind(editor, { cursorsContainer: cursorsContainerRef.current }),
    [editor, initialBind, cursorsContainerRef],
  );
  return null;
}
