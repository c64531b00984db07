// @vitest-environment jsdom
import { $isListNode } from '@lexical/list';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $isHeadingNode, $isQuoteNode } from '@lexical/rich-text';
import {
  $createParagraphNode,
  $createTextNode,
  $getRoot,
  $getSelection,
  $isParagraphNode,
  $isRangeSelection,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_EDITOR,
  KEY_DOWN_COMMAND,
  type LexicalEditor,
  type LexicalNode,
  UNDO_COMMAND,
} from 'lexical';
import { act, StrictMode, type ReactNode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NoteEditor } from '../../../src/editor/NoteEditor';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

beforeAll(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
});

let mounted: Array<{ root: Root; container: HTMLElement }> = [];
afterEach(() => {
  for (const { root } of mounted) act(() => root.unmount());
  mounted = [];
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

function mount(node: ReactNode): { root: Root; container: HTMLElement } {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  act(() => root.render(node));
  const entry = { root, container };
  mounted.push(entry);
  return entry;
}

/** Binds like the app does (seeding content), and records the editor. */
function recordingBind() {
  const state: { editor: LexicalEditor | null; disposed: number } = { editor: null, disposed: 0 };
  const bind = vi.fn((editor: LexicalEditor) => {
    state.editor = editor;
    editor.update(
      () => {
        $getRoot().clear().append($createParagraphNode().append($createTextNode('hello world')));
        $getRoot().getFirstDescendant()?.selectEnd();
      },
      { discrete: true },
    );
    return () => {
      state.disposed += 1;
    };
  });
  return { bind, state };
}

/** Runs `fn` in act and lets Lexical's microtask-scheduled commits and React's renders settle. */
async function settle(fn: () => void = () => {}): Promise<void> {
  await act(async () => {
    fn();
    await Promise.resolve();
  });
}

function editorOf(state: { editor: LexicalEditor | null }): LexicalEditor {
  if (state.editor === null) throw new Error('bind was not called');
  return state.editor;
}

function firstBlock(editor: LexicalEditor): LexicalNode | null {
  return editor.read(() => $getRoot().getFirstChild());
}

function button(container: HTMLElement, name: string): HTMLButtonElement {
  const found = Array.from(container.querySelectorAll('button')).find((b) => b.getAttribute('aria-label') === name);
  if (found === undefined) throw new Error(`no button ${name}`);
  return found;
}

describe('NoteEditor', () => {
  it('renders the textbox "Note", the "Formatting" toolbar and the placeholder', () => {
    const { container } = mount(<NoteEditor bind={() => () => {}} />);
    const textbox = container.querySelector('[contenteditable="true"]');
    expect(textbox?.getAttribute('role')).toBe('textbox');
    expect(textbox?.getAttribute('aria-label')).toBe('Note');
    expect(textbox?.getAttribute('aria-multiline')).toBe('true');
    const toolbar = container.querySelector('[role="toolbar"]');
    expect(toolbar?.getAttribute('aria-label')).toBe('Formatting');
    expect(container.textContent).toContain('Start writing…');
    const options = Array.from(container.querySelectorAll('select[aria-label="Block type"] option')).map(
      (o) => o.textContent,
    );
    expect(options).toEqual([
      'Paragraph',
      'Heading 1',
      'Heading 2',
      'Heading 3',
      'Bulleted list',
      'Numbered list',
      'Check list',
      'Quote',
      'Code block',
    ]);
    for (const name of ['Bold', 'Italic', 'Underline', 'Strikethrough', 'Inline code', 'Link']) {
      expect(button(container, name).getAttribute('aria-pressed')).toBe('false');
    }
  });

  it('calls bind once per mount with the editor and disposes it on unmount', () => {
    const { bind, state } = recordingBind();
    const { root } = mount(<NoteEditor bind={bind} />);
    expect(bind).toHaveBeenCalledTimes(1);
    expect(bind.mock.calls[0]?.[0]).toBe(state.editor);
    // Re-rendering with a new bind function does not rebind.
    act(() => root.render(<NoteEditor bind={() => () => {}} />));
    expect(bind).toHaveBeenCalledTimes(1);
    expect(state.disposed).toBe(0);
    act(() => root.unmount());
    mounted = [];
    expect(state.disposed).toBe(1);
  });

  it('under StrictMode, every bind is undone by its own disposer', () => {
    const live = new Set<number>();
    let calls = 0;
    const bind = (_editor: LexicalEditor) => {
      const id = ++calls;
      live.add(id);
      return () => live.delete(id);
    };
    const { root } = mount(
      <StrictMode>
        <NoteEditor bind={bind} />
      </StrictMode>,
    );
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(live.size).toBe(1); // the StrictMode probe run was disposed
    act(() => root.unmount());
    mounted = [];
    expect(live.size).toBe(0);
  });

  it('hands bind a cursors container inside the editor surface', () => {
    const bind = vi.fn((_editor: LexicalEditor, _context: { cursorsContainer: HTMLElement | null }) => () => {});
    const { container } = mount(<NoteEditor bind={bind} />);
    const context = bind.mock.calls[0]?.[1];
    expect(context?.cursorsContainer).toBeInstanceOf(HTMLElement);
    expect(container.contains(context?.cursorsContainer ?? null)).toBe(true);
  });

  it('shows an alert instead of a blank page when binding throws', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { container } = mount(
      <NoteEditor
        bind={() => {
          throw new Error('boom');
        }}
      />,
    );
    const alert = container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('This note could not be displayed');
  });

  it('toolbar buttons format the selection and reflect it with aria-pressed', async () => {
    const { bind, state } = recordingBind();
    const { container } = mount(<NoteEditor bind={bind} />);
    const editor = editorOf(state);
    act(() => {
      editor.update(() => $getRoot().getAllTextNodes()[0]?.select(0, 5), { discrete: true });
    });
    await settle(() => button(container, 'Bold').click());
    expect(editor.read(() => $getRoot().getFirstDescendant()?.getTextContent())).toBe('hello');
    expect(button(container, 'Bold').getAttribute('aria-pressed')).toBe('true');
    expect(button(container, 'Italic').getAttribute('aria-pressed')).toBe('false');
    await settle(() => button(container, 'Strikethrough').click());
    expect(button(container, 'Strikethrough').getAttribute('aria-pressed')).toBe('true');
  });

  it('the block-type control changes blocks and toggles back to a paragraph', async () => {
    const { bind, state } = recordingBind();
    const { container } = mount(<NoteEditor bind={bind} />);
    const editor = editorOf(state);
    const select = container.querySelector<HTMLSelectElement>('select[aria-label="Block type"]');
    if (select === null) throw new Error('no select');
    const choose = (value: string) =>
      settle(() => {
        select.value = value;
        select.dispatchEvent(new Event('change', { bubbles: true }));
      });

    await choose('h2');
    expect(editor.read(() => firstBlock(editor) !== null && $isHeadingNode(firstBlock(editor)))).toBe(true);
    expect(select.value).toBe('h2');
    await choose('quote');
    expect(editor.read(() => $isQuoteNode(firstBlock(editor)))).toBe(true);
    await choose('check');
    expect(editor.read(() => {
      const block = firstBlock(editor);
      return $isListNode(block) ? block.getListType() : null;
    })).toBe('check');
    expect(select.value).toBe('check');
    await choose('check'); // same type again: back to a paragraph
    expect(editor.read(() => $isParagraphNode(firstBlock(editor)))).toBe(true);
    expect(editor.read(() => $getRoot().getTextContent())).toBe('hello world');
  });

  it('keyboard shortcuts: Ctrl+Alt+1 heading, Ctrl+Alt+0 paragraph, Ctrl+E inline code', async () => {
    const { bind, state } = recordingBind();
    mount(<NoteEditor bind={bind} />);
    const editor = editorOf(state);
    const press = (init: KeyboardEventInit) =>
      settle(() => {
        editor.dispatchCommand(KEY_DOWN_COMMAND, new KeyboardEvent('keydown', { cancelable: true, ...init }));
      });
    await press({ key: '1', code: 'Digit1', ctrlKey: true, altKey: true });
    expect(editor.read(() => {
      const block = firstBlock(editor);
      return $isHeadingNode(block) ? block.getTag() : null;
    })).toBe('h1');
    await press({ key: '0', code: 'Digit0', ctrlKey: true, altKey: true });
    expect(editor.read(() => $isParagraphNode(firstBlock(editor)))).toBe(true);
    act(() => {
      editor.update(() => $getRoot().getAllTextNodes()[0]?.select(0, 5), { discrete: true });
    });
    await press({ key: 'e', code: 'KeyE', ctrlKey: true });
    expect(editor.read(() => $getRoot().getAllTextNodes()[0]?.hasFormat('code'))).toBe(true);
  });

  it('Undo/Redo follow CAN_UNDO/CAN_REDO and dispatch UNDO_COMMAND', () => {
    const undo = vi.fn(() => true);
    let editorRef: LexicalEditor | null = null;
    const bind = (editor: LexicalEditor) => {
      editorRef = editor;
      return editor.registerCommand(UNDO_COMMAND, undo, COMMAND_PRIORITY_EDITOR);
    };
    const { container } = mount(<NoteEditor bind={bind} />);
    expect(button(container, 'Undo').disabled).toBe(true);
    expect(button(container, 'Redo').disabled).toBe(true);
    act(() => {
      (editorRef as LexicalEditor | null)?.dispatchCommand(CAN_UNDO_COMMAND, true);
    });
    expect(button(container, 'Undo').disabled).toBe(false);
    act(() => button(container, 'Undo').click());
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('Ctrl+K opens the link form; it refuses javascript: and links the selection with a safe URL', async () => {
    const { bind, state } = recordingBind();
    const { container } = mount(<NoteEditor bind={bind} />);
    const editor = editorOf(state);
    act(() => {
      editor.update(() => $getRoot().getAllTextNodes()[0]?.select(0, 5), { discrete: true });
    });
    act(() => {
      editor.dispatchCommand(KEY_DOWN_COMMAND, new KeyboardEvent('keydown', { key: 'k', code: 'KeyK', ctrlKey: true }));
    });
    const input = container.querySelector<HTMLInputElement>('input[aria-label="Link URL"]');
    if (input === null) throw new Error('link form did not open');
    const type = (value: string) =>
      act(() => {
        // React tracks the input's value; set it through the native setter.
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
    const submit = () => settle(() => input.form?.requestSubmit());

    type('javascript:alert(1)');
    await submit();
    expect(container.textContent).toContain('Use a web address');
    expect(container.querySelector('a')).toBeNull();

    type('example.com');
    await submit();
    const link = container.querySelector('[role="textbox"] a');
    expect(link?.getAttribute('href')).toBe('https://example.com/');
    expect(link?.textContent).toBe('hello');
    expect(container.querySelector('input[aria-label="Link URL"]')).toBeNull();
    expect(button(container, 'Link').getAttribute('aria-pressed')).toBe('true');
  });

  it.each([
    ['## ', 'h2'],
    ['- ', 'bullet'],
    ['1. ', 'number'],
    ['[] ', 'check'],
    ['> ', 'quote'],
  ])('typing %j at the start of a line applies the markdown shortcut (%s)', async (typed, expected) => {
    const editorHolder: { editor: LexicalEditor | null } = { editor: null };
    const bind = (editor: LexicalEditor) => {
      editorHolder.editor = editor;
      editor.update(
        () => {
          const paragraph = $createParagraphNode();
          $getRoot().clear().append(paragraph);
          paragraph.select();
        },
        { discrete: true },
      );
      return () => {};
    };
    mount(<NoteEditor bind={bind} />);
    const editor = editorOf(editorHolder);
    // One character per update, as typing produces them: the shortcut plugin
    // looks at the character just inserted.
    for (const character of typed) {
      await settle(() => {
        editor.update(() => {
          const selection = $getSelection();
          if ($isRangeSelection(selection)) selection.insertText(character);
        });
      });
    }
    const kind = editor.read(() => {
      const block = $getRoot().getFirstChild();
      if ($isHeadingNode(block)) return block.getTag();
      if ($isListNode(block)) return block.getListType();
      if ($isQuoteNode(block)) return 'quote';
      return block?.getType();
    });
    expect(kind).toBe(expected);
    expect(editor.read(() => $getRoot().getTextContent())).toBe('');
  });

  it('typing **bold** applies bold', async () => {
    const { bind, state } = recordingBind();
    mount(<NoteEditor bind={bind} />);
    const editor = editorOf(state);
    for (const character of ' **bold**') {
      await settle(() => {
        editor.update(() => {
          const selection = $getSelection();
          if ($isRangeSelection(selection)) selection.insertText(character);
        });
      });
    }
    const bold = editor.read(() =>
      $getRoot()
        .getAllTextNodes()
        .filter((t) => t.hasFormat('bold'))
        .map((t) => t.getTextContent()),
    );
    expect(bold).toEqual(['bold']);
  });

  it('renders children inside the composer (hook for presence plugins)', () => {
    let seen: LexicalEditor | null = null;
    function Probe() {
      const [editor] = useLexicalComposerContext();
      useEffect(() => {
        seen = editor;
      }, [editor]);
      return null;
    }
    mount(
      <NoteEditor bind={() => () => {}}>
        <Probe />
      </NoteEditor>,
    );
    expect(seen).not.toBeNull();
  });
});
