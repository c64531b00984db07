// @vitest-environment jsdom
import { $createListItemNode, $createListNode, $isListNode, ListItemNode, ListNode, type ListType } from '@lexical/list';
import { $createParagraphNode, $createTextNode, $getNodeByKey, $getRoot, createEditor, type LexicalEditor } from 'lexical';
import { afterEach, describe, expect, it } from 'vitest';
import { registerChecklistRoles } from '../../../src/editor/plugins/ChecklistRolesPlugin';
import { EDITOR_THEME } from '../../../src/editor/theme';

let disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers) dispose();
  disposers = [];
  document.body.innerHTML = '';
});

function editorWithRoles(): { editor: LexicalEditor; root: HTMLElement } {
  const editor = createEditor({ namespace: 'test', nodes: [ListNode, ListItemNode], theme: EDITOR_THEME, onError: (e) => { throw e; } });
  const root = document.createElement('div');
  root.contentEditable = 'true';
  document.body.append(root);
  editor.setRootElement(root);
  disposers.push(registerChecklistRoles(editor), () => editor.setRootElement(null));
  return { editor, root };
}

/** A list of `type` with the items "one", "two", and under "two" a nested list of the same type holding "three". */
function $list(type: ListType): ListNode {
  const nested = $createListNode(type).append($createListItemNode(false).append($createTextNode('three')));
  return $createListNode(type).append(
    $createListItemNode(true).append($createTextNode('one')),
    $createListItemNode(false).append($createTextNode('two')),
    $createListItemNode().append(nested),
  );
}

const roles = (root: HTMLElement) => ({
  lists: [...root.querySelectorAll('ul, ol')].map((el) => el.getAttribute('role')),
  items: [...root.querySelectorAll('li')].map((el) => `${el.textContent ?? ''}:${el.getAttribute('role') ?? '-'}`),
});

describe('registerChecklistRoles', () => {
  it('draws a checklist as a group of checkboxes, and an item that wraps a nested checklist as no role', () => {
    const { editor, root } = editorWithRoles();
    editor.update(() => $getRoot().append($list('check')), { discrete: true });
    expect(roles(root)).toEqual({ lists: ['group', 'group'], items: ['one:checkbox', 'two:checkbox', 'three:none', 'three:checkbox'] });
    // Lexical's own attributes stay: the checked state is still read from aria-checked.
    expect(root.querySelector('li')?.getAttribute('aria-checked')).toBe('true');
  });

  it('leaves bulleted and numbered lists alone', () => {
    const { editor, root } = editorWithRoles();
    editor.update(() => $getRoot().append($list('bullet'), $list('number')), { discrete: true });
    expect(roles(root).lists).toEqual([null, null, null, null]);
    expect(roles(root).items.every((item) => item.endsWith(':-'))).toBe(true);
  });

  it('follows a checklist turned into a bulleted list and back', () => {
    const { editor, root } = editorWithRoles();
    let key = '';
    editor.update(() => {
      const list = $list('check');
      key = list.getKey();
      $getRoot().append(list, $createParagraphNode());
    }, { discrete: true });
    const setType = (type: ListType) =>
      editor.update(() => {
        const list = $getNodeByKey(key);
        if (!$isListNode(list)) throw new Error('no list');
        list.setListType(type);
        const nested = list.getLastChild<ListItemNode>()?.getFirstChild();
        if (nested instanceof ListNode) nested.setListType(type);
      }, { discrete: true });
    setType('bullet');
    expect(roles(root)).toEqual({ lists: [null, null], items: ['one:-', 'two:-', 'three:-', 'three:-'] });
    setType('check');
    expect(roles(root)).toEqual({ lists: ['group', 'group'], items: ['one:checkbox', 'two:checkbox', 'three:none', 'three:checkbox'] });
  });

  it('stops drawing once disposed', () => {
    const editor = createEditor({ namespace: 'test', nodes: [ListNode, ListItemNode], theme: EDITOR_THEME, onError: (e) => { throw e; } });
    const root = document.createElement('div');
    document.body.append(root);
    editor.setRootElement(root);
    registerChecklistRoles(editor)();
    editor.update(() => $getRoot().append($list('check')), { discrete: true });
    expect(roles(root).lists).toEqual([null, null]);
  });
});
