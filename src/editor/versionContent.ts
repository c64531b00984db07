/**
 * Reading a stored version of a note and putting its content back into the
 * live editor.
 *
 * A version is a Yjs state. To restore it, it is rendered by a throwaway
 * editor bound to a throwaway Y.Doc (exactly as a note opens), and its nodes
 * are then written into the live editor in one update. The live binding turns
 * that update into ordinary Yjs operations: the restore is a new local edit —
 * it syncs to peers, merges with their concurrent edits, and can be undone —
 * instead of a rewind of the shared document, which a CRDT cannot do.
 */
import {
  $createParagraphNode,
  $getRoot,
  $parseSerializedNode,
  $setSelection,
  createEditor,
  type LexicalEditor,
  type SerializedEditorState,
  type SerializedLexicalNode,
} from 'lexical';
import * as Y from 'yjs';
import { ORIGIN_IMPORT, ORIGIN_REPAIR } from '../doc/origins';
import { repairNoteDoc } from '../sync/repairNoteDoc';
import { bindEditorToDoc } from './collab/bindEditorToDoc';
import { EDITOR_NODES } from './nodes';

/** A version rendered: its editor state and its plain text. */
export interface VersionContent {
  readonly json: SerializedEditorState;
  readonly text: string;
}

/** Lexical commits asynchronously; `read` forces pending commits (they may queue more, hence the loop). */
const SETTLE_ROUNDS = 5;

/**
 * Renders the Yjs state of a note in a headless editor and returns its
 * content. Throws when the bytes are not a Yjs update.
 */
export function readNoteState(state: Uint8Array): VersionContent {
  const doc = new Y.Doc();
  const errors: Error[] = [];
  const editor = createEditor({
    namespace: 'weft-version',
    nodes: [...EDITOR_NODES],
    onError: (error) => errors.push(error),
  });
  try {
    Y.applyUpdate(doc, state, ORIGIN_IMPORT);
    // A version stored before the firewall may hold content outside the note
    // schema (a bad heading tag made restoring fail with Lexical error #75).
    repairNoteDoc(doc, ORIGIN_REPAIR);
    const binding = bindEditorToDoc(editor, doc, { onSyncError: (error) => errors.push(error) });
    try {
      for (let i = 0; i < SETTLE_ROUNDS; i++) editor.read(() => undefined);
      return {
        json: editor.getEditorState().toJSON(),
        text: editor.read(() => $getRoot().getTextContent()),
      };
    } finally {
      binding.dispose();
    }
  } finally {
    doc.destroy();
  }
}

/**
 * Replaces everything in `editor` by the blocks of `json`, in one discrete
 * update (so it reaches the bound Y.Doc at once, as one undoable local edit).
 */
export function replaceEditorContent(editor: LexicalEditor, json: SerializedEditorState): void {
  const blocks = (json.root.children ?? []) as SerializedLexicalNode[];
  editor.update(
    () => {
      // The selection points into nodes about to be removed.
      $setSelection(null);
      const root = $getRoot();
      root.clear();
      for (const block of blocks) root.append($parseSerializedNode(block));
      if (root.getChildrenSize() === 0) root.append($createParagraphNode());
    },
    { discrete: true },
  );
}
