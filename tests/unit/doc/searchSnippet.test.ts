import { describe, expect, it } from 'vitest';
import { snippetOf } from '../../../src/doc/searchSnippet';

const shown = (parts: ReturnType<typeof snippetOf>) => parts.map((p) => (p.hit ? `[${p.text}]` : p.text)).join('');

describe('snippetOf', () => {
  it('marks every hit in a window around the first one, cut at spaces, with ellipses where text was cut', () => {
    const text = `${'lead '.repeat(40)}the Brown fox and a brown dog ${'tail '.repeat(60)}`;
    const parts = snippetOf(text, ['brown'], 'word');
    expect(shown(parts)).toMatch(/^…(lead )+the \[Brown\] fox and a \[brown\] dog (tail )*tail…$/);
    expect(parts.map((p) => p.text).join('').length).toBeLessThanOrEqual(170);
  });

  it('compares words folded (accents, case) and keeps them as written', () => {
    expect(shown(snippetOf('Un CAFÉ crème', ['cafe'], 'word'))).toBe('Un [CAFÉ] crème');
  });

  it('within: a word holding a term is a hit (the scan); a term inside a longer word is not a word hit', () => {
    expect(shown(snippetOf('the concatenated cat', ['cat'], 'within'))).toBe('the [concatenated] [cat]');
    expect(shown(snippetOf('the concatenated cat', ['cat'], 'word'))).toBe('the concatenated [cat]');
  });

  it('is empty when no word is a hit (a title match), whole when the text is short', () => {
    expect(snippetOf('nothing here', ['else'], 'word')).toEqual([]);
    expect(shown(snippetOf('short note', ['note'], 'word'))).toBe('short [note]');
  });
});
