// @vitest-environment jsdom
/**
 * Markdown import (src/editor/markdownImport.ts) through the real headless
 * editor and the Yjs binding, exported again from the doc the way a stored
 * note is (docExport.ts): the corpus in tests/fixtures/markdown/ covers every
 * construct a note keeps, and export → import → export gives the same Markdown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SerializedEditorState, SerializedLexicalNode } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docHtmlDocument, docMarkdown } from '../../../src/editor/docExport';
import { markdownToNote } from '../../../src/editor/markdownImport';
import { readNoteState } from '../../../src/editor/versionContent';

const CORPUS_DIR = join(import.meta.dirname, '../../fixtures/markdown');
const CORPUS = readdirSync(CORPUS_DIR)
  .filter((name) => name.endsWith('.md'))
  .sort();
const corpusFile = (name: string) => readFileSync(join(CORPUS_DIR, name), 'utf8');

/** A doc holding the note's state, as storage loads it. */
function docOf(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

const exported = (markdown: string) => docMarkdown(docOf(markdownToNote(markdown).state));

type Node = SerializedLexicalNode & Record<string, unknown> & { children?: Node[] };

/** Every node of a rendered note, depth first, with its ancestors' types. */
function nodesOf(json: SerializedEditorState): Array<{ node: Node; path: string[] }> {
  const out: Array<{ node: Node; path: string[] }> = [];
  const walk = (node: Node, path: string[]) => {
    out.push({ node, path });
    for (const child of node.children ?? []) walk(child, [...path, node.type]);
  };
  walk(json.root as unknown as Node, []);
  return out;
}

describe('Markdown import: the corpus', () => {
  it('has a file for every construct', () => {
    expect(CORPUS).toEqual(['checklists.md', 'code.md', 'everything.md', 'headings.md', 'inline.md', 'lists.md', 'quotes.md']);
  });

  it.each(CORPUS)('%s: import then export gives the file back, and export → import → export is stable', (name) => {
    const file = corpusFile(name);
    const once = exported(file);
    // Exports carry no trailing newline; everything else must be the file's own.
    expect(once).toBe(file.trimEnd());
    expect(exported(once)).toBe(once);
  });
});

describe('Markdown import: what survives, as nodes', () => {
  const nodes = nodesOf(readNoteState(markdownToNote(corpusFile('everything.md')).state).json);
  const ofType = (type: string) => nodes.filter(({ node }) => node.type === type).map(({ node }) => node);
  const textOf = (node: Node): string => (typeof node.text === 'string' ? node.text : (node.children ?? []).map(textOf).join(''));

  it('headings with their levels', () => {
    expect(ofType('heading').map((h) => [h.tag, textOf(h)])).toEqual([
      ['h1', 'Meeting notes'],
      ['h2', 'Agenda'],
      ['h2', 'Actions'],
    ]);
  });

  it('numbered, nested bullet and check lists', () => {
    expect(ofType('list').map((l) => l.listType)).toEqual(['number', 'bullet', 'check']);
    const nested = nodes.find(({ node }) => node.type === 'list' && node.listType === 'bullet');
    expect(nested?.path).toEqual(['root', 'list', 'listitem']);
    const checks = ofType('listitem').filter((item) => typeof item.checked === 'boolean');
    expect(checks.map((item) => [textOf(item), item.checked])).toEqual([
      ['send the minutes', true],
      ['book the room', false],
    ]);
  });

  it('quotes, code blocks with their language, links, bold, italic and inline code', () => {
    expect(ofType('quote').map(textOf)).toEqual(['Remember: decisions are recorded here.']);
    expect(ofType('code').map((c) => [c.language, textOf(c)])).toEqual([['sql', "SELECT * FROM notes WHERE title LIKE '%plan%';"]]);
    expect(ofType('link').map((l) => [l.url, textOf(l)])).toEqual([
      ['https://example.org/people', 'people'],
      ['https://wiki.example.org/weft', 'the wiki'],
    ]);
    const formatOf = (text: string) => ofType('text').find((t) => t.text === text)?.format;
    expect(formatOf('Ada')).toBe(1); // bold
    expect(formatOf('Grace')).toBe(2); // italic
    expect(formatOf('root')).toBe(16); // code
  });
});

describe('Markdown import: title and edges', () => {
  it('reports the first heading, wherever it is, or none', () => {
    expect(markdownToNote('intro\n\n## Second level first\n\n# Later').firstHeading).toBe('Second level first');
    expect(markdownToNote('no heading at all\n\n- a list').firstHeading).toBeNull();
    expect(markdownToNote('').firstHeading).toBeNull();
  });

  it('an empty file makes an empty note that exports as empty Markdown', () => {
    expect(exported('')).toBe('');
  });

  it('unsafe links keep their text but follow the URL policy: the HTML export has no href for them', () => {
    const markdown = '[click](javascript:alert(1)) and [data](data:text/html,hi) and [ok](https://example.org/)';
    const doc = docOf(markdownToNote(markdown).state);
    const html = docHtmlDocument(doc, 'Links');
    expect(html).not.toMatch(/javascript:|data:text/i);
    expect(html).toContain('href="https://example.org/"');
    expect(html).toContain('>click<');
  });
});
