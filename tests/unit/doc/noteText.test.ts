/** noteText and countTextChars (src/doc/noteText.ts), on docs built by hand in the v2 shape. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { countTextChars, noteText } from '../../../src/doc/noteText';

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
    const doc = new Y.Doc();
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    const list = new Y.XmlElement('list');
    root.push([list]);
    for (const item of ['first', 'second']) {
      const li = new Y.XmlElement('listitem');
      list.push([li]);
      const text = new Y.XmlText();
      li.push([text]);
      text.insert(0, item);
    }
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

describe('countTextChars', () => {
  it('counts the characters that are not deleted', () => {
    const doc = noteDoc([['paragraph', ['hello', ' world']]]);
    expect(countTextChars(doc)).toBe(11);
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    ((root.get(0) as Y.XmlElement).get(0) as Y.XmlText).delete(0, 2);
    expect(countTextChars(doc)).toBe(9);
  });
});
