// @vitest-environment jsdom
/**
 * IndexRefresher (src/app/IndexRefresher.ts) on its own: the notes list follows the doc,
 * debounced, only once started; `refresh(0)` keeps the last-edit time; flush, page hide and
 * dispose; and the title line and search text it reads from the doc are the ones the editor
 * showed (the list used to read them from Lexical).
 */
import { $createCodeNode } from '@lexical/code';
import { $createLinkNode } from '@lexical/link';
import { $createListItemNode, $createListNode } from '@lexical/list';
import { $createHeadingNode, $createQuoteNode } from '@lexical/rich-text';
import { $createLineBreakNode, $createParagraphNode, $createTextNode, $getRoot, createEditor } from 'lexical';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { INDEX_REFRESH_MS, IndexRefresher } from '../../../src/app/IndexRefresher';
import { noteLeadingText } from '../../../src/doc/noteText';
import { NotesIndex } from '../../../src/app/NotesIndex';
import { MAX_INDEXED_TEXT_CHARS } from '../../../src/doc/noteEntry';
import { MemoryNotesIndexStore } from '../../../src/storage/MemoryNotesIndexStore';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';

const T0 = 1_700_000_000_000;
const disposers: Array<() => void> = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const dispose of disposers.splice(0).reverse()) dispose();
  vi.useRealTimers();
});

/** A note entry in a fresh index, its doc, and a refresher; the clock moves only when told. */
async function setup() {
  let t = T0;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const index = new NotesIndex({ store: new MemoryNotesIndexStore(), now: clock.now });
  // `peek` below: this tab's writes show in its cache at once (they are stored in the background).
  const noteId = await index.create();
  const doc = new Y.Doc();
  applySeed(doc);
  const refresher = new IndexRefresher({ index, noteId, doc, now: clock.now });
  disposers.push(() => refresher.dispose());
  const text = () => ((doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement).toArray()[0] as Y.XmlText | undefined);
  /** Types at the end of the first paragraph, straight in Yjs. */
  const type = (s: string) => {
    const paragraph = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement;
    let run = text();
    if (!run) paragraph.insert(0, [(run = new Y.XmlText())]);
    run.insert(run.length, s);
  };
  return { index, noteId, doc, refresher, clock, type };
}

describe('IndexRefresher', () => {
  it('refreshes title, text and last edit once per burst of updates, only after start', async () => {
    const { index, noteId, refresher, clock, type } = await setup();
    type('Loaded before start');
    vi.advanceTimersByTime(INDEX_REFRESH_MS * 2);
    expect(index.peek(noteId)?.derivedTitle).toBe('');

    refresher.start();
    clock.advance(5000);
    type(' and typed');
    type(' after');
    vi.advanceTimersByTime(INDEX_REFRESH_MS - 1);
    expect(index.peek(noteId)?.derivedTitle).toBe('');
    vi.advanceTimersByTime(1);
    const entry = index.peek(noteId);
    expect(entry?.derivedTitle).toBe('Loaded before start and typed after');
    expect(await index.text(noteId)).toBe('Loaded before start and typed after'); // stored folded, for search
    expect(entry?.updatedAt).toBe(T0 + 5000);
  });

  it('refresh(0) brings title and text up to date without moving the note up the list', async () => {
    const { index, noteId, refresher, clock, type } = await setup();
    type('Stored by a page that died');
    clock.advance(60_000);
    refresher.refresh(0);
    expect(index.peek(noteId)?.derivedTitle).toBe('Stored by a page that died');
    expect(index.peek(noteId)?.updatedAt).toBe(T0);
  });

  it('flush writes the edits the editor holds but the doc does not yet (settle), then their refresh, now', async () => {
    const { doc, index, noteId, clock } = await setup();
    const settle = vi.fn();
    const refresher = new IndexRefresher({ index, noteId, doc, now: clock.now, settle });
    disposers.push(() => refresher.dispose());
    refresher.start();
    // The editor writes its keystrokes to the doc after the next frame: settling writes them now,
    // and nothing in the doc was pending before (no refresh timer armed).
    settle.mockImplementationOnce(() => {
      const paragraph = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement;
      const run = new Y.XmlText();
      paragraph.insert(0, [run]);
      run.insert(0, 'Flushed');
    });
    expect(vi.getTimerCount()).toBe(0);
    refresher.flush();
    expect(settle).toHaveBeenCalled();
    expect(index.peek(noteId)?.derivedTitle).toBe('Flushed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes a pending refresh when the page is hidden or unloaded, not when it becomes visible', async () => {
    const { index, noteId, refresher, type } = await setup();
    refresher.start();
    type('Before the tab closed');
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(index.peek(noteId)?.derivedTitle).toBe('');
    visibility.mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(index.peek(noteId)?.derivedTitle).toBe('Before the tab closed');
    visibility.mockRestore();

    type(', and more');
    window.dispatchEvent(new Event('pagehide'));
    expect(index.peek(noteId)?.derivedTitle).toBe('Before the tab closed, and more');
  });

  it('dispose drops the pending refresh and every listener', async () => {
    const { doc, index, noteId, refresher, type } = await setup();
    refresher.start();
    type('Never listed');
    refresher.dispose();
    expect(vi.getTimerCount()).toBe(0);
    type(' nor this');
    window.dispatchEvent(new Event('pagehide'));
    refresher.refresh();
    vi.advanceTimersByTime(INDEX_REFRESH_MS * 2);
    expect(index.peek(noteId)?.derivedTitle).toBe('');
    expect(doc.getXmlElement(NOTE_ROOT_NAMES[NOTE_BINDING]).toString()).toContain('Never listed nor this');
  });
});

describe('the title line and search text read from the doc', () => {
  it('are those the editor shows, for every kind of block', async () => {
    vi.useRealTimers();
    const cases: Array<[string, () => void]> = [
      ['an empty first paragraph', () => $getRoot().append($createParagraphNode(), $createParagraphNode().append($createTextNode('second')))],
      ['a heading with a line break', () => $getRoot().append($createHeadingNode('h1').append($createTextNode('Top'), $createLineBreakNode(), $createTextNode('next')), $createParagraphNode().append($createTextNode('body')))],
      ['a list first', () => $getRoot().append($createListNode('bullet').append($createListItemNode().append($createTextNode('one')), $createListItemNode().append($createTextNode('two'))), $createQuoteNode().append($createTextNode('quoted')))],
      ['a code block', () => $getRoot().append($createCodeNode().append($createTextNode('let x = 1;'), $createLineBreakNode(), $createTextNode('x++')))],
      ['a link inside text', () => $getRoot().append($createParagraphNode().append($createTextNode('see '), $createLinkNode('https://example.com/').append($createTextNode('this')), $createTextNode(' page')))],
    ];
    const collapse = (s: string) => s.replace(/\s+/gu, ' ').trim();
    for (const [name, build] of cases) {
      const doc = new Y.Doc();
      applySeed(doc);
      const editor = createEditor({ namespace: 't', nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
      const binding = bindEditorToDoc(editor, doc);
      editor.update(() => { $getRoot().clear(); build(); }, { discrete: true });
      const shown = editor.read(() => ({
        firstLine: ($getRoot().getFirstChild()?.getTextContent() ?? '').split('\n', 1)[0] ?? '',
        text: $getRoot().getTextContent(),
      }));
      const read = noteLeadingText(doc, MAX_INDEXED_TEXT_CHARS);
      expect(read.firstLine, name).toBe(shown.firstLine);
      expect(collapse(read.text), name).toBe(collapse(shown.text));
      binding.dispose();
    }
  });
});
