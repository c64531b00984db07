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
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../doc/noteRoot';
import { ORIGIN_IMPORT, ORIGIN_REPAIR } from '../doc/origins';
import { repairNoteDoc } from '../doc/repairNoteDoc';
import { bindEditorToDoc } from './collab/bindEditorToDoc';
import { EDITOR_NODES } from './nodes';
import { EDITOR_THEME } from './theme';

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
  return renderNoteState(state, (editor) => ({
    json: editor.getEditorState().toJSON(),
    text: editor.read(() => $getRoot().getTextContent()),
  }));
}

/**
 * Renders the Yjs state of a note in a headless editor (no root element,
 * the note's nodes and theme) bound to a copy of it, exactly as a note
 * opens, and returns what `read` makes of that editor. `errors` are those
 * the rendering reported (it goes on past them: the content may be partial).
 * Throws when the bytes are not a Yjs update.
 */
export function renderNoteState<T>(state: Uint8Array, read: (editor: LexicalEditor, errors: readonly Error[]) => T): T {
  const doc = new Y.Doc();
  const errors: Error[] = [];
  const editor = createEditor({
    namespace: 'weft-version',
    nodes: [...EDITOR_NODES],
    theme: EDITOR_THEME,
    onError: (error) => errors.push(error),
  });
  try {
    Y.applyUpdate(doc, state, ORIGIN_IMPORT);
    // A version stored before the firewall may hold content outside the note
    // schema (a bad heading tag made restoring fail with Lexical error #75).
    repairNoteDoc(doc, ORIGIN_REPAIR);
    const binding = bindEditorToDoc(editor, doc, {
      onSyncError: (error) => errors.push(error),
      onRenderFailure: (error) => errors.push(error),
    });
    try {
      for (let i = 0; i < SETTLE_ROUNDS; i++) editor.read(() => undefined);
      return read(editor, errors);
    } finally {
      binding.dispose();
    }
  } finally {
    doc.destroy();
  }
}

/**
 * Replaces the content of a note's `doc` by that of the version `state`,
 * straight in Yjs, as one transaction with `origin`: for when the editor
 * cannot draw the note (then its own diff is not available). Pass the
 * binding's origin and the restore is one local, undoable edit, like
 * {@link replaceEditorContent}; the editor does not render a change with its
 * own origin, so rebuild it afterwards. Unlike the editor's diff, blocks are
 * replaced whole: a peer's concurrent edit inside one is lost with it.
 */
export function replaceDocContent(doc: Y.Doc, state: Uint8Array, origin: unknown): void {
  const version = new Y.Doc();
  try {
    Y.applyUpdate(version, state, ORIGIN_IMPORT);
    repairNoteDoc(version, ORIGIN_REPAIR);
    const blocks = version.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).toArray();
    const root = doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement);
    doc.transact(() => {
      root.delete(0, root.length);
      // Copies (clone) of the version's types: a type belongs to one doc.
      const copies = blocks.map((block) => (block as Y.XmlElement | Y.XmlText).clone());
      root.insert(0, copies.length > 0 ? copies : [new Y.XmlElement('paragraph')]);
    }, origin);
  } finally {
    version.destroy();
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
