/**
 * The one place that decides how a note's rich text is laid out in its Y.Doc.
 *
 * @lexical/yjs has two bindings with incompatible document shapes:
 * - `'v1'` (`createYjsBinding`): a top-level `Y.XmlText` named `'root'` whose
 *   embeds are paragraphs (XmlText) and text runs (Y.Map + inline string).
 * - `'v2'` (`createBindingV2__EXPERIMENTAL`): a top-level `Y.XmlElement` named
 *   `'root-v2'`, y-prosemirror style (XmlElement per block, XmlText per run).
 *
 * The choice was made by the randomized convergence test
 * (tests/unit/collab/convergence.test.ts); see that file's header for the
 * evidence. Once notes exist on users' disks this must never change: a peer
 * on the other layout would see an empty note, and the frozen seed in
 * `seed.ts` is only valid for one layout.
 */
export type NoteBindingVersion = 'v1' | 'v2';

/** The binding every note uses (see the module comment for why it is fixed). */
export const NOTE_BINDING: NoteBindingVersion = 'v2';

/** Name of the top-level shared type that holds the note's rich text, per layout. */
export const NOTE_ROOT_NAMES: Readonly<Record<NoteBindingVersion, string>> = {
  v1: 'root',
  v2: 'root-v2',
};
