import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { ElementNode, getRegisteredNode, getTransformSetFromKlass, type LexicalEditor, type LexicalNode } from 'lexical';
import { useEffect } from 'react';

/**
 * Lexical (0.52) normalizes the children of every dirty root or shadow root —
 * stray inline nodes get wrapped in a paragraph; it is ElementNode's `$config`
 * transform — and it treats the root as dirty in every update, as the
 * ancestor of whatever changed. So every keystroke walked all the note's
 * paragraphs (`getChildren()` plus `isInline()` on each): half of Lexical's
 * own update time per key on the 1,173-paragraph automerge-paper note, ten
 * times more on a 14,000-paragraph one (CPU profile of bench scenario 3).
 *
 * The root's children can only change when the root itself is written (every
 * insert, removal and replace of a child writes the parent; a new editor
 * state brings a new root), and Lexical clones a node on its first write in
 * an update. So the same normalization runs here only when the root in the
 * update is not the committed one. Returns the undo of the swap.
 */
export function registerRootNormalizationOnWrite(editor: LexicalEditor): () => void {
  const root = getRegisteredNode(editor, 'root');
  if (root === undefined) return () => {};
  const swaps = [...getTransformSetFromKlass(ElementNode)]
    .filter((normalize) => root.transforms.has(normalize))
    .map((normalize) => {
      const onWrite = (node: LexicalNode): void => {
        if (node !== editor.getEditorState()._nodeMap.get(node.getKey())) normalize(node);
      };
      return { normalize, onWrite };
    });
  for (const { normalize, onWrite } of swaps) {
    root.transforms.delete(normalize);
    root.transforms.add(onWrite);
  }
  return () => {
    for (const { normalize, onWrite } of swaps) {
      root.transforms.delete(onWrite);
      root.transforms.add(normalize);
    }
  };
}

/** {@link registerRootNormalizationOnWrite} for the composer's editor. */
export function RootNormalizationPlugin(): null {
  const [editor] = useLexicalComposerContext();
  useEffect(() => registerRootNormalizationOnWrite(editor), [editor]);
  return null;
}
