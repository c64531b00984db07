import { $isListItemNode, $isListNode, ListItemNode, ListNode } from '@lexical/list';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { mergeRegister } from '@lexical/utils';
import { $getNodeByKey, type LexicalEditor, type NodeKey } from 'lexical';
import { useEffect } from 'react';

/**
 * Lexical draws a checklist as a `<ul>` whose items are `<li role="checkbox">`,
 * and a list may only hold list items: screen readers announce a broken list
 * (axe-core rule "list", serious). So a checklist's `<ul>` is drawn as
 * `role="group"` (a group of checkboxes), and an `<li>` that only wraps a
 * nested checklist as `role="none"` (it is neither a list item of a list nor
 * a checkbox). Only attributes of the live DOM change: the document, the sync
 * schema, the exports and Lexical's own toggling (which reads the tag and the
 * list type it keeps on the element, not roles) stay as they are.
 */
export function registerChecklistRoles(editor: LexicalEditor): () => void {
  const setRole = (dom: HTMLElement | null, role: string | null, ours: string): void => {
    if (dom === null) return;
    if (role !== null) dom.setAttribute('role', role);
    // Remove only a role this plugin set: Lexical owns role="checkbox".
    else if (dom.getAttribute('role') === ours) dom.removeAttribute('role');
  };
  const $drawItem = (item: ListItemNode): void => {
    const list = item.getParent();
    const wrapsList = $isListNode(item.getFirstChild());
    const inChecklist = $isListNode(list) && list.getListType() === 'check';
    setRole(editor.getElementByKey(item.getKey()), inChecklist && wrapsList ? 'none' : null, 'none');
  };
  const $drawList = (list: ListNode): void => {
    setRole(editor.getElementByKey(list.getKey()), list.getListType() === 'check' ? 'group' : null, 'group');
    // A list that turned into (or out of) a checklist may not have redrawn its items.
    for (const child of list.getChildren()) if ($isListItemNode(child)) $drawItem(child);
  };
  const draw = (keys: Iterable<NodeKey>, kind: 'list' | 'item'): void =>
    editor.getEditorState().read(() => {
      for (const key of keys) {
        const node = $getNodeByKey(key);
        if (kind === 'list' && $isListNode(node)) $drawList(node);
        else if (kind === 'item' && $isListItemNode(node)) $drawItem(node);
      }
    });
  // Mutation listeners run after Lexical drew the update (it resets an item's role when it redraws it).
  const changed = (mutations: Map<NodeKey, string>) => [...mutations].filter(([, m]) => m !== 'destroyed').map(([key]) => key);
  return mergeRegister(
    editor.registerMutationListener(ListNode, (mutations) => draw(changed(mutations), 'list'), { skipInitialization: false }),
    editor.registerMutationListener(ListItemNode, (mutations) => draw(changed(mutations), 'item'), { skipInitialization: false }),
  );
}

/** {@link registerChecklistRoles} for the composer's editor. */
export function ChecklistRolesPlugin(): null {
  const [editor] = useLexicalComposerContext();
  useEffect(() => registerChecklistRoles(editor), [editor]);
  return null;
}
