/** noteText, noteLeadingText and countTextChars (src/doc/noteText.ts), on docs built by hand in the v2 shape. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { countTextChars, noteLeadingText, noteText } from '../../../src/doc/noteText';

/** A note doc whose root holds `blocks`: [element name, text runs (a `null` run is a linebreak)]. */
function noteDoc(blocks: [string, (string | null)[]][]): Y.Doc {
  const doc = new Y.Doc();
  const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
  for (const [name, runs] of blocks) {
    const block = new Y.XmlElement(name);
    root.push([block]);
    for (const run of runs) {
      if (run === null) block.push([new Y.XmlElement('linebreak')]);
      else {
        const text = new Y.XmlText();
        block.push([text]);
        text.insert(0, run);
      }
    }
  }
  return doc;
}

/** A note doc holding one list with one item per string. */
function listDoc(items: string[]): Y.Doc {
  const doc = new Y.Doc();
  const list = new Y.XmlElement('list');
  doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).push([list]);
  for (const item of items) {
    const li = new Y.XmlElement('listitem');
    list.push([li]);
    const text = new Y.XmlText();
    li.push([text]);
    text.insert(0, item);
  }
  return doc;
}

describe('noteText', () => {
  it('is empty for an empty note', () => {
    expect(noteText(new Y.Doc())).toBe('');
    expect(noteText(noteDoc([['paragraph', []]]))).toBe('');
  });

  it('puts one block per line, skipping empty blocks', () => {
    const doc = noteDoc([
      ['heading', ['Title']],
      ['paragraph', []],
      ['paragraph', ['one ', 'two']],
      ['quote', ['quoted']],
    ]);
    expect(noteText(doc)).toBe('Title\none two\nquoted');
  });

  it('turns a linebreak into a newline inside its block', () => {
    expect(noteText(noteDoc([['paragraph', ['a', null, 'b']], ['paragraph', ['c']]]))).toBe('a\nb\nc');
  });

  it('reads nested blocks (a list of items) and inline elements, and keeps text after the last block', () => {
    const doc = listDoc(['first', 'second']);
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    const link = new Y.XmlElement('link');
    const tail = new Y.XmlText();
    root.push([link]);
    link.push([tail]);
    tail.insert(0, 'inline tail');
    expect(noteText(doc)).toBe('first\nsecond\ninline tail');
  });

  it('walks text embedded in text (a Y.XmlText inside another)', () => {
    const doc = noteDoc([['paragraph', ['outer ']]]);
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    const outer = (root.get(0) as Y.XmlElement).get(0) as Y.XmlText;
    const inner = new Y.XmlText();
    outer.insertEmbed(outer.length, inner);
    inner.insert(0, 'inner');
    expect(noteText(doc)).toBe('outer inner');
  });
});

describe('noteLeadingText', () => {
  it('gives the first line of the first block as the title line, and the text one line per block', () => {
    const doc = noteDoc([
      ['heading', ['Title', null, 'second line of it']],
      ['paragraph', []],
      ['paragraph', ['body']],
    ]);
    expect(noteLeadingText(doc, 1000)).toEqual({ firstLine: 'Title', text: 'Title\nsecond line of it\nbody' });
  });

  it('has an empty title line when the first block is empty, as the editor shows it (untitled)', () => {
    expect(noteLeadingText(noteDoc([['paragraph', []], ['paragraph', ['later']]]), 1000)).toEqual({ firstLine: '', text: 'later' });
    expect(noteLeadingText(new Y.Doc(), 1000)).toEqual({ firstLine: '', text: '' });
  });

  it('takes the first item of a list that opens the note as its title line', () => {
    expect(noteLeadingText(listDoc(['first', 'second']), 1000)).toEqual({ firstLine: 'first', text: 'first\nsecond' });
  });

  it('stops reading once the text holds more than maxChars characters with whitespace collapsed', () => {
    const spaced = `x${' '.repeat(30)}y`; // 32 characters, 3 once collapsed
    const doc = noteDoc(Array.from({ length: 100 }, (): [string, string[]] => ['paragraph', [spaced]]));
    const { firstLine, text } = noteLeadingText(doc, 10);
    expect(firstLine).toBe(spaced);
    // The raw text is over 10 after one block; collapsed ("x y x y x y"), after three.
    expect(text.split('\n')).toEqual([spaced, spaced, spaced]);
    expect(noteLeadingText(doc, 1_000_000).text).toBe(noteText(doc));
  });
});

describe('countTextChars', () => {
  it('counts the characters that are not deleted', () => {
    const doc = noteDoc([['paragraph', ['hello', ' world']]]);
    expect(countTextChars(doc)).toBe(11);
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    ((root.get(0) as Y.XmlElement).get(0) as Y.XmlText).delete(0, 2);
    expect(countTextChars(doc)).toBe(9);
  });
});
