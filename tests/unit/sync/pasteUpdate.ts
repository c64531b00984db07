import * as Y from 'yjs';
import { mulberry32 } from '../../prng';

/** A Yjs update like a large paste: `lines` paragraphs of seeded prose. */
export function pasteUpdate(lines: number, seed: number): Uint8Array {
  const words = 'the of and to a in is that for it as was with be by on not he this are or his from at which but have'.split(' ');
  const next = mulberry32(seed);
  const doc = new Y.Doc();
  const root = doc.get('root', Y.XmlText);
  for (let i = 0; i < lines; i++) {
    const paragraph = new Y.XmlText();
    root.insertEmbed(root.length, paragraph, { __type: 'paragraph', __format: 0, __indent: 0 });
    const text = Array.from({ length: 12 }, () => words[Math.floor(next() * words.length)]).join(' ');
    paragraph.insert(0, text, { __type: 'text', __format: 0, __style: '' });
  }
  return Y.encodeStateAsUpdate(doc);
}
