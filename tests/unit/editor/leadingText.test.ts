import { createHeadlessEditor } from '@lexical/headless';
import { $createParagraphNode, $createTextNode, $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import { $leadingText } from '../../../src/editor/leadingText';
import { EDITOR_NODES } from '../../../src/editor/nodes';

const collapse = (s: string) => s.replace(/\s+/gu, ' ').trim();

function read(paragraphs: string[], max: number): { lead: string; full: string } {
  const editor = createHeadlessEditor({ nodes: [...EDITOR_NODES], onError: (e) => { throw e; } });
  editor.update(
    () => {
      for (const text of paragraphs) {
        const p = $createParagraphNode();
        if (text) p.append($createTextNode(text));
        $getRoot().append(p);
      }
    },
    { discrete: true },
  );
  return editor.getEditorState().read(() => ({ lead: $leadingText($getRoot(), max), full: $getRoot().getTextContent() }));
}

describe('$leadingText', () => {
  it('is a prefix of the text content that gives the same capped, collapsed index text', () => {
    const cases: string[][] = [
      Array.from({ length: 2000 }, (_, i) => `line ${i} ${'word '.repeat(i % 7)}`),
      Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? '' : ' '.repeat(40) + 'x')), // mostly whitespace
      ['short', '', 'note'],
    ];
    for (const paragraphs of cases) {
      for (const max of [10, 100, 4000]) {
        const { lead, full } = read(paragraphs, max);
        expect(full.startsWith(lead)).toBe(true);
        expect(collapse(lead).slice(0, max)).toBe(collapse(full).slice(0, max));
      }
    }
  });

  it('stops reading soon after the limit', () => {
    const { lead, full } = read(Array.from({ length: 5000 }, (_, i) => `paragraph number ${i}`), 4000);
    expect(full.length).toBeGreaterThan(100_000);
    expect(lead.length).toBeLessThan(4500);
  });
});
