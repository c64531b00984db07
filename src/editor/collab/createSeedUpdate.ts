import { createHeadlessEditor } from '@lexical/headless';
import { $createParagraphNode, $getRoot } from 'lexical';
import * as Y from 'yjs';
import { SEED_CLIENT_ID } from '../../doc/seed';
import { NOTE_BINDING, type NoteBindingVersion } from '../../doc/noteRoot';
import { EDITOR_NODES } from '../nodes';
import { bindEditorToDoc } from './bindEditorToDoc';

/**
 * How the frozen seed in src/doc/seed.ts was made, kept runnable so that the
 * test suite can show the constant still matches what the binding writes.
 *
 * NEVER use the result at runtime to seed notes: the seed's bytes are
 * identified by (SEED_CLIENT_ID, clock), and if a Lexical upgrade changed what
 * the binding writes, two different byte sequences with the same ids would
 * meet in one doc and corrupt it. The app applies the committed constant only.
 *
 * It binds a headless editor to an empty doc whose client id is fixed, lets
 * the binding write one empty paragraph exactly as a user's editor would, and
 * encodes the whole doc.
 */
export function createSeedUpdate(version: NoteBindingVersion = NOTE_BINDING): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = SEED_CLIENT_ID;
  const editor = createHeadlessEditor({
    namespace: 'weft-seed',
    nodes: [...EDITOR_NODES],
    onError: (error) => {
      throw error;
    },
  });
  const handle = bindEditorToDoc(editor, doc, { bindingVersion: version });
  try {
    editor.update(() => {
      $getRoot().append($createParagraphNode());
    }, { discrete: true });
    return Y.encodeStateAsUpdate(doc);
  } finally {
    handle.dispose();
    doc.destroy();
  }
}
