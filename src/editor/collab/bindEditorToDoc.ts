import {
  createBindingV2__EXPERIMENTAL,
  createUndoManager,
  createYjsBinding,
  initLocalState,
  setLocalStateFocus,
  $getAnchorAndFocusForUserState,
  syncCursorPositions,
  syncLexicalUpdateToYjs,
  syncLexicalUpdateToYjsV2__EXPERIMENTAL,
  syncYjsChangesToLexical,
  syncYjsChangesToLexicalV2__EXPERIMENTAL,
  syncYjsStateToLexicalV2__EXPERIMENTAL,
  type Binding,
  type BindingV2,
  type Provider,
  type ProviderAwareness,
  type SyncCursorPositionsFn,
  type UserState,
} from '@lexical/yjs';
import {
  $createRangeSelectionFromDom,
  $getNodeByKey,
  $getRoot,
  $getSelection,
  $isElementNode,
  $isRangeSelection,
  $isTextNode,
  $normalizeSelection__EXPERIMENTAL,
  BLUR_COMMAND,
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COLLABORATION_TAG,
  COMMAND_PRIORITY_EDITOR,
  FOCUS_COMMAND,
  HISTORIC_TAG,
  $setSelection,
  REDO_COMMAND,
  SKIP_COLLAB_TAG,
  UNDO_COMMAND,
  mergeRegister,
  type LexicalEditor,
  type UpdateListenerPayload,
} from 'lexical';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { NOTE_BINDING, NOTE_ROOT_NAMES, type NoteBindingVersion } from '../../doc/noteRoot';
import { ORIGIN_RESCUE } from '../../doc/origins';
import { followMovedText, mayFollowMovedText } from './followMovedText';
import { rescueOrphanedText, type Relocate } from './rescueOrphanedText';
import { RivalCopies } from './RivalCopies';
import { $keepSelection, sameKeptSelection, type KeptSelection } from './keptSelection';
import { $alignBlocks } from './alignBlocks';
import { $lexicalMatchesYjs, $syncTextEditsToYjs } from './syncTextEdits';

/** Who the local user is, as shown on other peers' cursors. */
export interface CollabUser {
  name: string;
  color: string;
  /** Extra fields published with the cursor (e.g. an avatar). */
  data?: object;
}

/** A remote caret's label and the title (tooltip) of its caret element. */
export interface CursorLabel {
  readonly name: string;
  readonly title?: string;
}

/** Options for {@link bindEditorToDoc}. */
export interface BindEditorToDocOptions {
  /**
   * Presence channel (y-protocols Awareness) shared with the transport. When
   * given, the local selection is published in it and remote selections are
   * rendered into `cursorsContainer`. The caller owns it: dispose() does not
   * destroy it.
   */
  awareness?: Awareness;
  /** The local user's name and colour; required for presence to be useful. */
  user?: CollabUser;
  /**
   * Positioned element that receives remote carets and selection boxes.
   * Without it remote cursors are tracked but not drawn (headless editors).
   */
  cursorsContainer?: HTMLElement | null;
  /** Draw remote selections with the CSS Custom Highlight API when available. */
  selectionHighlight?: boolean;
  /**
   * What a remote peer's caret says: the label drawn on it and its title, or
   * null for no caret at all. Default: the name its awareness state claims.
   * Every caret goes through it, so whoever judges presence (the app: device
   * proofs) decides what the text shows; after a judgement changes, call
   * {@link DocBinding.redrawCursors}.
   */
  cursorLabel?: (clientId: number, state: Readonly<Record<string, unknown>>) => CursorLabel | null;
  /**
   * Which @lexical/yjs binding to use. Only tests comparing the two set this:
   * the app must use {@link NOTE_BINDING}, because the document layout is part
   * of the persisted format.
   */
  bindingVersion?: NoteBindingVersion;
  /**
   * Called when rendering a remote change failed (an error Lexical reported
   * from the update or from drawing it, or one thrown by the binding itself)
   * and the editor was rebuilt from the doc instead (nothing is lost: the doc
   * is the truth). Defaults to console.warn.
   */
  onSyncError?: (error: Error) => void;
  /**
   * Called when even the rebuild from the doc failed. The editor is then made
   * read-only and stops rendering the doc (it would only show a stale view):
   * the caller shows the doc's text some other way and may call
   * {@link DocBinding.rebuildView} to try again. Defaults to console.error.
   */
  onRenderFailure?: (error: Error) => void;
  /**
   * When given, this editor's own edits are written to the doc in a task this
   * schedules (the app: right after the frame that shows them) instead of
   * inside Lexical's commit, several keystrokes in one transaction when they
   * come faster than frames. The keystroke's handler then costs what Lexical
   * alone costs (bench scenario 1). Whatever reads or changes the doc first
   * calls {@link DocBinding.writeLocalEdits} or
   * {@link DocBinding.beforeRemoteUpdate}, which write them at once. Without
   * it (tests, tools) every commit is written as it happens.
   */
  deferLocalWrites?: (write: () => void) => void;
}

/** What a commit of the editor changed, as its update listener hears it (see `writeToDoc`). */
type LocalChange = Pick<UpdateListenerPayload, 'prevEditorState' | 'editorState' | 'dirtyElements' | 'dirtyLeaves' | 'normalizedNodes' | 'tags'>;

/** What {@link bindEditorToDoc} returns. */
export interface DocBinding {
  /**
   * Yjs undo manager over the note's root, tracking only this editor's own
   * edits (never storage, peers or the seed). UNDO_COMMAND / REDO_COMMAND are
   * routed to it, and CAN_UNDO_COMMAND / CAN_REDO_COMMAND are dispatched when
   * its stacks change.
   */
  undoManager: Y.UndoManager;
  /**
   * The transaction origin of this editor's local edits. Storage and sync
   * listeners see it on `doc.on('update', (u, origin) => …)`.
   */
  origin: object;
  /** The @lexical/yjs binding object, for advanced uses (cursor helpers). */
  binding: Binding | BindingV2;
  /**
   * Rebuilds the editor from the doc, on a freshly emptied view (what the
   * binding does by itself after a failed render). Returns false when that
   * failed too: the editor is then read-only and not rendering the doc (see
   * `onRenderFailure`); true re-enables it.
   */
  rebuildView(): boolean;
  /** Whether the last rebuild failed (the editor is read-only and stale). */
  readonly renderFailed: boolean;
  /**
   * Whoever applies a peer's update to the doc calls this right before, with
   * the update. It writes keystrokes Lexical has not committed yet (it
   * commits in a microtask) into the doc: committed after, they would be
   * diffed against a doc that already holds the peer's change, and the stale
   * editor state written over it (a heading the peer just made turned back
   * into the paragraph being typed in). And it keeps the update, whose delete
   * set says what the peer deleted on purpose: own typing the peer's rewrite
   * dropped without having seen it is put back (rescueOrphanedText.ts),
   * typing it deleted is not. Updates applied without this call (storage)
   * never bring anything back.
   */
  beforeRemoteUpdate(update: Uint8Array): void;
  /**
   * Writes this editor's edits that are not in the doc yet (keystrokes
   * Lexical has not committed, and those waiting for `deferLocalWrites`)
   * now. Call it before reading the doc for the user (saving, exporting,
   * versions, closing the note).
   */
  writeLocalEdits(): void;
  /** Draws remote carets again (in the next frame): call it when `cursorLabel` would now answer otherwise. */
  redrawCursors(): void;
  /** Stops syncing in both directions, removes remote cursors, destroys the undo manager. */
  dispose(): void;
}

/**
 * Connect a Lexical editor to a note's Y.Doc, both ways, without React.
 *
 * This is what @lexical/react's `useYjsCollaboration` (+ `useYjsHistory`,
 * `useAwareness`, focus tracking) does, as one function that returns its
 * disposer, so it also runs in headless editors under Node.
 *
 * Contract:
 * - Whatever is already in the doc is rendered immediately (the editor's
 *   previous content is discarded). Content applied later (storage load, peers)
 *   is rendered as it arrives. So it does not matter whether storage loads
 *   before or after binding.
 * - The binding NEVER writes an initial paragraph of its own: every peer doing
 *   that offline is exactly what duplicates content. Apply the frozen seed
 *   (`applySeed` in src/doc/seed.ts) to every note doc instead; an unseeded
 *   empty doc shows an empty editor.
 * - Transactions applied to the doc must carry a non-null origin other than
 *   {@link DocBinding.origin} (see src/doc/origins.ts); those are treated as
 *   remote and are not undoable locally.
 * - Beyond the React plugin, for the V2 binding: structure Lexical changes
 *   while rendering a remote change is written back to the doc (else live
 *   editors and a reload disagree); a remote change that fails to render is
 *   recovered by rebuilding the editor from the doc (`onSyncError`); undo
 *   never deletes a block/run that holds another user's live content.
 *   All three came out of tests/unit/collab/convergence.test.ts.
 * - Local edits only reach Yjs when Lexical commits. Lexical commits
 *   asynchronously (microtask) unless `editor.update(fn, { discrete: true })`
 *   is used, and V1 renders remote changes in a non-discrete update: use
 *   `editor.read(() => …)` (which flushes) before inspecting state in tests.
 *   With `deferLocalWrites` (V2) they reach Yjs later still, in the task it
 *   schedules, each commit as its own diff and the batch in one transaction;
 *   `writeLocalEdits` and `beforeRemoteUpdate` write them at once. Commits
 *   made while a change from elsewhere is handled are never deferred.
 */
export function bindEditorToDoc(
  editor: LexicalEditor,
  doc: Y.Doc,
  options: BindEditorToDocOptions = {},
): DocBinding {
  const version = options.bindingVersion ?? NOTE_BINDING;
  const selection = new SelectionKeeper(options.awareness);
  // Titles of the carets drawn now, by client id (what `cursorLabel` said last).
  const titles = new Map<number, string>();
  const provider = createProviderShim(options, version === 'v2' ? selection : null, titles);
  const hasCursors = options.awareness !== undefined && options.cursorsContainer != null;
  // Rendering remote cursors needs a DOM (headless editors throw on
  // getRootElement), so without a container cursor sync is a no-op. With one,
  // carets are drawn once per animation frame (see CursorPainter).
  let painter: CursorPainter | null = null;
  const syncCursors: SyncCursorPositionsFn = hasCursors ? () => painter?.schedule() : () => {};
  // One docMap per binding: it only matters for nested editors, which notes do not have.
  const docMap = new Map<string, Y.Doc>([[doc.guid, doc]]);
  const onSyncError = options.onSyncError ?? ((error: Error) => console.warn('weft: editor resynced from the document after a sync error', error));
  const onRenderFailure =
    options.onRenderFailure ?? ((error: Error) => console.error('weft: the editor could not be rebuilt from the document', error));

  let binding: Binding | BindingV2;
  let sharedRoot: Y.XmlText | Y.XmlElement;
  let unregisterSync: () => void;
  // Set when a rebuild from the doc failed: the editor no longer matches the
  // doc, so it neither renders remote changes nor writes anything back until
  // a rebuild succeeds (a diff of a stale view would overwrite the doc).
  let renderFailed = false;
  let rebuildView: () => boolean = () => true;
  // The peer's update about to be applied (see beforeRemoteUpdate).
  let incoming: Uint8Array | null = null;
  // Keystrokes Lexical has not committed yet (it commits in a microtask): committing them writes them.
  const commitLexical = (): void => {
    if (!isUpdating(editor) && hasPendingUpdate(editor)) commitPending(editor);
  };
  // Writes this editor's edits that are not in the doc yet: Lexical's pending ones, and (V2)
  // those waiting for `deferLocalWrites`. V1 never defers.
  let writeWaiting: () => void = commitLexical;
  // The same, never throwing for V2: a write that fails redraws the editor from the doc (see recover).
  let writeWaitingOrRecover: () => void = commitLexical;
  if (version === 'v1') {
    const b = createYjsBinding({ editor, id: doc.guid, doc, docMap, rootName: NOTE_ROOT_NAMES.v1 });
    binding = b;
    const root = b.root.getSharedType();
    sharedRoot = root;
    const onYjs = (events: Array<Y.YEvent<Y.XmlText>>, tr: Y.Transaction): void => {
      if (tr.origin !== b) {
        syncYjsChangesToLexical(b, provider, events as never, tr.origin instanceof Y.UndoManager, syncCursors);
      }
    };
    root.observeDeep(onYjs);
    const off = editor.registerUpdateListener(
      ({ prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags }) => {
        if (!tags.has(SKIP_COLLAB_TAG)) {
          syncLexicalUpdateToYjs(b, provider, prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags);
        }
      },
    );
    unregisterSync = () => {
      root.unobserveDeep(onYjs);
      off();
    };
    renderExistingV1(editor, b);
  } else {
    const b = createBindingV2__EXPERIMENTAL(editor, doc.guid, doc, docMap, { rootName: NOTE_ROOT_NAMES.v2 });
    binding = b;
    const root = b.root;
    sharedRoot = root;
    // True while the editor is rebuilt from the doc (every node replaced).
    let rebuilding = false;
    // True while the view is detached and re-attached (Lexical's own commits, not edits).
    let resettingView = false;
    // The editor's root element while a failed rebuild left it detached.
    let detachedRoot: HTMLElement | null = null;
    const rebuild = (): void => {
      rebuilding = true;
      try {
        syncYjsStateToLexicalV2__EXPERIMENTAL(b, provider);
      } finally {
        rebuilding = false;
      }
    };
    const setRoot = (element: HTMLElement | null): void => {
      resettingView = true;
      try {
        editor.setRootElement(element);
      } finally {
        resettingView = false;
      }
    };
    /** The full rebuild; returns what failed, or null. Never throws. */
    const rebuildFromDoc = (): Error | null => {
      try {
        // Local edits Lexical has not committed yet (it commits in a
        // microtask) reach Yjs first; the rebuild below would replace them.
        const pending = catchUpdateErrors(editor, writeWaiting);
        if (pending !== null) console.warn('weft: a pending local edit failed before a rebuild', pending);
        const element = rootElementOf(editor) ?? detachedRoot;
        const failed = catchUpdateErrors(editor, () => {
          // A failed reconciliation leaves the DOM and Lexical's key-to-DOM
          // map half-updated (and a second failure makes Lexical give up and
          // throw). Detaching empties both, so the rebuild is drawn afresh
          // into an empty root when it is attached again.
          if (element !== null) {
            detachedRoot = element;
            setRoot(null);
          }
          // Drop the selection first: the rebuild replaces every node, and Lexical
          // rejects an update that leaves the selection on removed nodes.
          editor.update(() => $setSelection(null), { discrete: true, tag: SKIP_COLLAB_TAG });
          rebuild();
        });
        // The update was discarded: nothing valid to draw (the root stays detached).
        if (failed !== null) return failed;
        if (element !== null) {
          try {
            // Lexical retries a failed reconciliation once on an emptied root and
            // throws when that fails too: returning means the view was drawn.
            const retried = catchUpdateErrors(editor, () => setRoot(element));
            if (retried !== null) console.warn('weft: redrawing the note needed a second pass', retried);
          } catch (thrown) {
            // Leave the half-drawn view detached (and emptied): with no DOM,
            // later commits of this editor cannot fail drawing into it.
            try {
              catchUpdateErrors(editor, () => setRoot(null));
            } catch {
              // Detaching only empties the root; nothing more to undo.
            }
            return asError(thrown);
          }
          detachedRoot = null;
        }
        return null;
      } catch (thrown) {
        return asError(thrown);
      }
    };
    const recover = (error: Error): void => {
      const failed = rebuildFromDoc();
      if (failed === null) {
        onSyncError(error);
        return;
      }
      renderFailed = true;
      editor.setEditable(false);
      onRenderFailure(failed);
    };
    rebuildView = () => {
      const failed = rebuildFromDoc();
      if (failed !== null) {
        if (!renderFailed) editor.setEditable(false);
        renderFailed = true;
        onRenderFailure(failed);
        return false;
      }
      if (renderFailed) editor.setEditable(true);
      renderFailed = false;
      return true;
    };
    // Errors Lexical reports while a queued remote sync is pending (see
    // watchQueuedSync) are checked once the update that queued it is over.
    const internals = editor as unknown as { _onError: (error: Error) => void };
    const reportError = internals._onError;
    let queuedSyncError: Error | null = null;
    let watchingQueuedSync = false;
    const trapError = (error: Error): void => {
      if (watchingQueuedSync) queuedSyncError ??= error;
      reportError.call(editor, error);
    };
    internals._onError = trapError;
    const watchQueuedSync = (): void => {
      if (watchingQueuedSync) return;
      watchingQueuedSync = true;
      queueMicrotask(() => {
        watchingQueuedSync = false;
        const error = queuedSyncError;
        queuedSyncError = null;
        if (error !== null && !renderFailed && !disposedSync) recover(error);
      });
    };
    let disposedSync = false;
    // The local selection as it was when a peer's change arrived (see rescue below).
    let keptBeforeRemote: KeptSelection | null = null;
    const onYjs = (events: Array<Y.YEvent<Y.XmlElement | Y.XmlText>>, tr: Y.Transaction): void => {
      if (tr.origin === b || renderFailed) return;
      // Every failure here is caught: an exception escaping an observer
      // propagates out of Y.applyUpdate to whoever applied the change (storage
      // loading, a transport) after the doc already holds it, and the editor
      // is left silently stale.
      let error: Error | null = null;
      try {
        if (isUpdating(editor)) {
          // Applied from inside a Lexical update (undo and redo commands run
          // the Yjs undo manager in one): the sync below is queued into that
          // update and its errors reach onError after this returns.
          watchQueuedSync();
        } else if (hasPendingUpdate(editor) || waiting.length > 0) {
          // A failed update discards Lexical's whole pending state, local
          // keystrokes not yet committed included: commit those first. (Whoever
          // applies a change calls beforeRemoteUpdate, which does it before the
          // change is in the doc; this is for anyone who did not.)
          error = catchUpdateErrors(editor, writeWaiting);
          // Those keystrokes moved the caret: they are the last thing typed.
          if (!tr.local) keptBeforeRemote = selection.current;
        }
        // Content arriving in an editor that shows nothing yet and has no
        // selection — the stored note loading right after the binding was made
        // (the seed's empty paragraph is all it has), or a first sync from a
        // peer — is built from the doc in one pass, as for content that was
        // there before the binding: on a 1,200-paragraph note that took about
        // half the time of applying the load as incremental events (bench
        // scenario 2). Never while the user has a caret here: a rebuild drops it.
        error ??= catchUpdateErrors(editor, () =>
          isBlankAndUnselected(editor)
            ? rebuild()
            : syncYjsChangesToLexicalV2__EXPERIMENTAL(b, provider, events, tr, tr.origin instanceof Y.UndoManager),
        );
        // A caret that was in an empty block when a peer's first words arrived
        // there is an element point beside their text: put it in the text, so
        // that the next keystroke goes into that run at the caret instead of
        // making a node Lexical merges into it (written back by @lexical/yjs
        // with the caret-blind diff: the keystroke landed after the peer's word).
        // A caret restored between blocks (its block was removed by a peer, so
        // its relative position now names a place in the list or the root) is
        // put into the block beside it: typing there would put a text node
        // straight into a ListNode (convergence seed 239841725).
        if (error === null && caretOutsideText(editor)) {
          error = catchUpdateErrors(editor, () =>
            editor.update(() => {
              const selection = $getSelection();
              if ($isRangeSelection(selection)) $normalizeSelection__EXPERIMENTAL(selection);
            }, { discrete: true }),
          );
        }
        // V2 calls syncCursorPositions itself (inside the update, where it draws
        // nothing: see CursorPainter); the carets are redrawn in the next frame.
        syncCursors(b, provider);
      } catch (thrown) {
        error = asError(thrown);
      }
      if (error !== null) {
        // The update failed or its drawing did (seen in the convergence
        // fuzzer: the incremental V2 sync tripping over its own node mapping,
        // "Lexical node does not exist in active editor state" from
        // $spliceChildren). Lexical then drops the whole update and this
        // editor silently stops matching the doc. The doc is fine (the
        // firewall keeps it within the schema), so rebuild the editor from it.
        recover(error);
      }
    };
    root.observeDeep(onYjs as (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction) => void);
    /** Writes one commit of the editor to the doc (a batch writes each of its commits, see `waiting`). */
    const writeToDoc = (change: LocalChange): void => {
      const { prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags } = change;
      // V2 only writes back *text* normalization after rendering a remote
      // change. But Lexical also restructures while applying it (removing a
      // ListNode whose last item went away, etc.), and then the editor shows
      // less than the doc holds: a fresh editor loaded from the same doc
      // differs from the live ones. Diffing the dirty part of the tree back
      // into Yjs as a local edit keeps them equal; when nothing was
      // restructured the diff finds nothing and writes nothing.
      const writeTags = new Set(tags);
      writeTags.delete(COLLABORATION_TAG);
      writeTags.delete(HISTORIC_TAG);
      doc.transact(() => {
        // Typing inside a paragraph takes the O(paragraph) path; the
        // library's diff (O(blocks) per update) only runs for structure.
        // After rendering a peer's change, nothing needs writing back when
        // Lexical shows what Yjs holds (see $lexicalMatchesYjs).
        const rendered = tags.has(COLLABORATION_TAG) || tags.has(HISTORIC_TAG);
        const nothingElse = editorState.read(
          () =>
            $syncTextEditsToYjs(b, prevEditorState, dirtyElements, dirtyLeaves, normalizedNodes) ||
            (rendered && $lexicalMatchesYjs(b, dirtyElements, rebuilding)),
        );
        // Blocks keep their own Y elements through removals, moves and
        // additions around them (the library pairs blocks by type alone).
        if (!nothingElse) editorState.read(() => $alignBlocks(b, dirtyElements));
        // With nothing else to write, the library call would only publish
        // its own caret positions, which the keeper replaces anyway.
        if (!nothingElse || normalizedNodes.size > 0) {
          syncLexicalUpdateToYjsV2__EXPERIMENTAL(
            b, provider, prevEditorState, editorState, nothingElse ? NO_DIRTY_ELEMENTS : dirtyElements, dirtyLeaves, normalizedNodes, writeTags,
          );
        }
      }, b);
    };
    // This editor's commits not written yet (deferLocalWrites), in order. Each is
    // written as its own diff, from its own states: one diff across several
    // commits would see typing at two places in a paragraph as one replacement
    // of the text between them (peers' words deleted and written again as ours).
    let waiting: LocalChange[] = [];
    let writeScheduled = false;
    // Commits made while a change from elsewhere is being handled (its render,
    // the caret put back into text, the rescue below) are part of handling it:
    // written at once, so that the caret keeper knows them before what comes next.
    let handlingDocChange = 0;
    const enterDocChange = (tr: Y.Transaction): void => {
      if (tr.origin !== b) handlingDocChange++;
    };
    const leaveDocChange = (tr: Y.Transaction): void => {
      if (tr.origin !== b) handlingDocChange = Math.max(0, handlingDocChange - 1);
    };
    doc.on('beforeObserverCalls', enterDocChange);
    doc.on('afterTransactionCleanup', leaveDocChange);
    writeWaiting = () => {
      // Keystrokes Lexical has not committed yet join the batch.
      commitLexical();
      const changes = waiting;
      waiting = [];
      if (changes.length === 0 || renderFailed || disposedSync) return;
      // One Yjs transaction for the batch: one update to store and send.
      doc.transact(() => {
        for (const change of changes) writeToDoc(change);
      }, b);
      // After the write, so that a caret can name the character just typed.
      const latest = (changes.at(-1) as LocalChange).editorState;
      selection.keep(latest.read(() => $keepSelection(b)));
    };
    writeWaitingOrRecover = () => {
      try {
        writeWaiting();
      } catch (thrown) {
        // The doc may hold part of the write: draw the editor from the doc again.
        recover(asError(thrown));
      }
    };
    const runScheduledWrite = (): void => {
      writeScheduled = false;
      writeWaitingOrRecover();
    };
    const off = editor.registerUpdateListener(
      ({ prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags }) => {
        if (tags.has(SKIP_COLLAB_TAG) || resettingView || renderFailed) return;
        const change = { prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags };
        const defer = options.deferLocalWrites;
        if (defer !== undefined && handlingDocChange === 0 && !rebuilding && !tags.has(COLLABORATION_TAG) && !tags.has(HISTORIC_TAG)) {
          waiting.push(change);
          if (!writeScheduled) {
            writeScheduled = true;
            defer(runScheduledWrite);
          }
          return;
        }
        // In order: what waits was committed before this.
        writeWaiting();
        writeToDoc(change);
        selection.keep(editorState.read(() => $keepSelection(b)));
      },
    );
    // What this editor's user typed into a block a peer rewrote unseen (see
    // rescueOrphanedText), and the caret that followed it: rendering the
    // peer's change already moved the caret out of the deleted block, so the
    // selection from before the change is the one put back with the text.
    const beforeRemote = (tr: Y.Transaction): void => {
      if (!tr.local) keptBeforeRemote = selection.current;
    };
    // Blocks this editor rewrote, in case a peer rewrote them at the same time (RivalCopies.ts).
    const rivalCopies = new RivalCopies();
    const rescue = (tr: Y.Transaction): void => {
      if (renderFailed) return;
      if (tr.local && tr.origin === b) rivalCopies.record(tr);
      const before = tr.local ? null : keptBeforeRemote;
      const update = tr.local ? null : incoming;
      if (!tr.local) incoming = null;
      if (update === null) return;
      const caret = before === null ? [] : [before.anchor, before.focus];
      // Nothing of ours went with this change, follows text it moved or has a rival copy: nothing to do (the usual case).
      const ownDeleted = tr.deleteSet.clients.has(doc.clientID);
      if (!ownDeleted && !mayFollowMovedText(tr, doc.clientID, caret) && !rivalCopies.mayResolve()) return;
      try {
        // Rendering the peer's change may still be queued in Lexical: commit it
        // now, or it would commit while the put-back text renders and keep the
        // caret where that render left it, not after the rescued text.
        if (!isUpdating(editor) && hasPendingUpdate(editor)) commitPending(editor);
        let moved: KeptSelection | null = null;
        const follow = (relocate: Relocate): void => {
          if (before === null) return;
          const anchor = relocate(before.anchor);
          const focus = relocate(before.focus);
          if (anchor !== null || focus !== null) moved = { anchor: anchor ?? focus!, focus: focus ?? anchor! };
          if (moved !== null) selection.keep(moved);
        };
        // Own text that went with a block the peer rewrote is put back into its copy;
        // own text typed after text the peer moved (a split) follows that text.
        const rescued = ownDeleted ? rescueOrphanedText(tr, update, doc.clientID, ORIGIN_RESCUE, follow) : 0;
        const followed = followMovedText(tr, doc.clientID, ORIGIN_RESCUE, caret, follow);
        // A block this editor and the peer both rewrote: one of the two copies goes.
        const dropped = rivalCopies.resolve(tr, update, doc.clientID, ORIGIN_RESCUE, follow);
        // Rendering the put-back text puts the caret there too; with nothing
        // put back (the peer had seen it all) nothing renders, so place it here.
        if (moved !== null && rescued + followed + dropped === 0) placeCaret(editor, b, moved);
      } catch (thrown) {
        // Never out of the peer's Y.applyUpdate: the doc already holds its change.
        console.warn('weft: typing a peer rewrote could not be put back', thrown);
      }
    };
    doc.on('beforeTransaction', beforeRemote);
    doc.on('afterTransaction', rescue);
    unregisterSync = () => {
      doc.off('beforeObserverCalls', enterDocChange);
      doc.off('afterTransactionCleanup', leaveDocChange);
      doc.off('beforeTransaction', beforeRemote);
      doc.off('afterTransaction', rescue);
      disposedSync = true;
      if (internals._onError === trapError) internals._onError = reportError;
      root.unobserveDeep(onYjs as (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction) => void);
      off();
    };
    if (root.length > 0) {
      // Only when there is something to render: on an empty root this helper
      // would append a paragraph to Yjs, i.e. bootstrap (see the contract).
      let error: Error | null;
      try {
        error = catchUpdateErrors(editor, rebuild);
      } catch (thrown) {
        error = asError(thrown);
      }
      if (error !== null) recover(error);
    } else {
      clearEditorSkipCollab(editor);
    }
  }
  if (hasCursors && options.cursorsContainer != null) {
    painter = new CursorPainter(binding, provider, options.cursorsContainer, options.selectionHighlight ?? false, titles);
  }

  const undoManager = createUndoManager(binding, sharedRoot);
  // @lexical/yjs also tracks the `null` origin. Every transaction in this app
  // carries a named origin (src/doc/origins.ts), so an untagged one is never a
  // keystroke of this editor; dropping it keeps stray `Y.applyUpdate(doc, u)`
  // calls (tests, tools) out of the user's undo stack.
  undoManager.trackedOrigins.delete(null);
  // Undoing "I created this block / text run" deletes the Yjs type, and with
  // it anything peers typed inside it since (V2 stores a text run as its own
  // XmlText, created by whoever typed first). Keep such containers: the undo
  // still removes this user's own content, never another user's. V2 only:
  // V1 cannot render a text-run Map whose characters are gone (the fuzzer
  // throws "Node properties for undefined not initialized for sync").
  if (version === 'v2') undoManager.deleteFilter = (item) => !holdsForeignContent(item, doc.clientID);

  // An hour of typing is thousands of undo steps, each keeping the text it
  // deleted from garbage collection: keep the newest MAX_UNDO_STEPS.
  const capUndoStack = (): void => forgetOldestUndoSteps(doc, undoManager, MAX_UNDO_STEPS);
  undoManager.on('stack-item-added', capUndoStack);

  const updateUndoRedoStates = (): void => {
    editor.dispatchCommand(CAN_UNDO_COMMAND, undoManager.undoStack.length > 0);
    editor.dispatchCommand(CAN_REDO_COMMAND, undoManager.redoStack.length > 0);
  };
  undoManager.on('stack-item-added', updateUndoRedoStates);
  undoManager.on('stack-item-popped', updateUndoRedoStates);
  undoManager.on('stack-cleared', updateUndoRedoStates);

  const unregisterCommands = mergeRegister(
    editor.registerCommand(UNDO_COMMAND, () => {
      // What was typed before the undo is a step of its own, written first.
      writeWaiting();
      undoManager.undo();
      return true;
    }, COMMAND_PRIORITY_EDITOR),
    editor.registerCommand(REDO_COMMAND, () => {
      writeWaiting();
      undoManager.redo();
      return true;
    }, COMMAND_PRIORITY_EDITOR),
  );

  const unregisterPresence = registerPresence(editor, binding, provider, options, syncCursors, () => painter?.clear());

  /** Writes what is not in the doc yet; an error Lexical reports meanwhile is logged, `when` saying at what moment. */
  const writeNow = (when: string): void => {
    const error = catchUpdateErrors(editor, writeWaitingOrRecover);
    if (error !== null) console.warn(`weft: a pending local edit could not be written ${when}`, error);
  };
  let disposed = false;
  return {
    undoManager,
    origin: binding,
    binding,
    rebuildView: () => !disposed && rebuildView(),
    get renderFailed() {
      return renderFailed;
    },
    beforeRemoteUpdate(update: Uint8Array) {
      if (disposed || renderFailed) return;
      incoming = update;
      // Never out of the transport's apply: the peer's change is applied whatever happens here.
      const error = catchUpdateErrors(editor, () => adoptDomSelection(editor));
      if (error !== null) console.warn('weft: the caret could not be read before a peer’s change', error);
      writeNow('before a peer’s change');
    },
    writeLocalEdits() {
      if (disposed || renderFailed) return;
      writeNow('now');
    },
    redrawCursors() {
      if (!disposed) painter?.schedule();
    },
    dispose() {
      if (disposed) return;
      if (!renderFailed) writeNow('before unbinding');
      disposed = true;
      selection.dispose();
      unregisterPresence();
      painter?.dispose();
      unregisterCommands();
      undoManager.off('stack-item-added', capUndoStack);
      undoManager.off('stack-item-added', updateUndoRedoStates);
      undoManager.off('stack-item-popped', updateUndoRedoStates);
      undoManager.off('stack-cleared', updateUndoRedoStates);
      undoManager.destroy();
      unregisterSync();
    },
  };
}

/**
 * Takes the caret from the DOM when the user moved it there and Lexical has not
 * heard yet. An arrow key, Home or a click moves the DOM selection at once,
 * but Lexical reads it only on the `selectionchange` that follows a task
 * later; a peer's change rendered in between put the caret back where
 * Lexical last had it (from the kept positions), and the next key landed
 * there: in a two-browser test, 3 of 60 keys typed right after End or Home
 * went to the other end of the line while a peer typed elsewhere. Only when
 * this editor has focus (then Lexical keeps the DOM selection in step with
 * its own at every commit, so a difference is the user's move) and is not
 * composing.
 */
function adoptDomSelection(editor: LexicalEditor): void {
  let root: HTMLElement | null;
  try {
    root = editor.getRootElement();
  } catch {
    return; // a headless editor (tests, benches) has no DOM, and so no caret of its own
  }
  const view = root?.ownerDocument.defaultView;
  const dom = view?.getSelection();
  if (!root || !dom || dom.rangeCount === 0 || !root.contains(root.ownerDocument.activeElement) || editor.isComposing()) return;
  if (!root.contains(dom.anchorNode) || !root.contains(dom.focusNode)) return;
  const moved = editor.read(() => {
    const fromDom = $createRangeSelectionFromDom(dom, editor);
    const current = $getSelection();
    return fromDom !== null && !(current !== null && fromDom.is(current));
  });
  if (!moved) return;
  editor.update(
    () => {
      const fromDom = $createRangeSelectionFromDom(dom, editor);
      if (fromDom !== null) $setSelection(fromDom);
    },
    { discrete: true },
  );
}

/**
 * V1 only renders what arrives through `observeDeep` events: the collab root
 * starts with no children even when the XmlText already holds paragraphs, so
 * pre-existing content stays invisible and the first local edit is diffed
 * against that empty collab tree (inserting at offset 0, in front of the
 * hidden content). Replay the current root as if it had just arrived: this is
 * the same sequence @lexical/yjs runs for a freshly inserted element
 * (`createLexicalNodeFromCollabNode`), applied to the root, in a
 * COLLABORATION_TAG update so nothing is written back.
 */
function renderExistingV1(editor: LexicalEditor, binding: Binding): void {
  const root = binding.root;
  const xmlText = root.getSharedType();
  if (xmlText.length === 0) {
    clearEditorSkipCollab(editor);
    return;
  }
  // V1 caches its collab node on each shared type (`_collabNode`); a type
  // that an earlier, disposed binding (a remount, React StrictMode) already
  // visited would be reused with that binding's children and keys, and its
  // text appended twice. Forget them so this binding builds its own.
  forgetCollabNodes(xmlText);
  editor.update(
    () => {
      $getRoot().clear();
      root._children = [];
      root.syncPropertiesFromYjs(binding, null);
      root.applyChildrenYjsDelta(binding, xmlText.toDelta());
      root.syncChildrenFromYjs(binding);
    },
    { discrete: true, skipTransforms: true, tag: COLLABORATION_TAG },
  );
}

function forgetCollabNodes(xmlText: Y.XmlText): void {
  for (const op of xmlText.toDelta() as Array<{ insert?: unknown }>) {
    if (op.insert instanceof Y.AbstractType) {
      delete (op.insert as { _collabNode?: unknown })._collabNode;
      if (op.insert instanceof Y.XmlText) forgetCollabNodes(op.insert);
    }
  }
}

/**
 * Puts the editor's caret where a kept selection says: a selection change
 * only, that the binding neither writes nor keeps again (it is the kept one).
 */
function placeCaret(editor: LexicalEditor, binding: BindingV2, kept: KeptSelection): void {
  editor.update(
    () => {
      const selection = $getSelection();
      if (!$isRangeSelection(selection)) return;
      const at = $getAnchorAndFocusForUserState(binding, { ...OFFLINE_LOCAL_STATE, anchorPos: kept.anchor, focusPos: kept.focus });
      if (at.anchorKey === null || at.focusKey === null) return;
      for (const [point, key, offset] of [[selection.anchor, at.anchorKey, at.anchorOffset], [selection.focus, at.focusKey, at.focusOffset]] as const) {
        const node = $getNodeByKey(key);
        if ($isTextNode(node)) point.set(key, offset, 'text');
        else if ($isElementNode(node)) point.set(key, offset, 'element');
      }
    },
    { discrete: true, tag: SKIP_COLLAB_TAG },
  );
}

/**
 * Whether the selection has an element point right beside a text node or a
 * block (see the V2 `onYjs`): a point that `$normalizeSelection` moves into text.
 */
function caretOutsideText(editor: LexicalEditor): boolean {
  return editor.getEditorState().read(() => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) return false;
    return [selection.anchor, selection.focus].some((point) => {
      if (point.type !== 'element') return false;
      const element = point.getNode();
      if (!$isElementNode(element)) return false;
      const beside = point.offset === element.getChildrenSize() ? element.getChildAtIndex(point.offset - 1) : element.getChildAtIndex(point.offset);
      return $isTextNode(beside) || ($isElementNode(beside) && !beside.isInline());
    });
  });
}

/** Empty the editor without telling Yjs (the doc, not the editor, is the truth). */
/** The editor holds at most one empty block and no selection (see the V2 `onYjs`). */
function isBlankAndUnselected(editor: LexicalEditor): boolean {
  return editor.getEditorState().read(() => {
    const root = $getRoot();
    return root.getChildrenSize() <= 1 && root.getTextContentSize() === 0 && $getSelection() === null;
  });
}

function clearEditorSkipCollab(editor: LexicalEditor): void {
  if (editor.getEditorState().isEmpty()) return;
  editor.update(() => {
    $getRoot().clear();
  }, { discrete: true, tag: SKIP_COLLAB_TAG });
}

/**
 * Run `fn` and return the first error Lexical reported from an update it ran
 * synchronously, instead of passing it to the editor's onError. Lexical has no
 * public hook for "this update failed" (it reports and rolls back), so the
 * handler is swapped for the duration of the call.
 */
function catchUpdateErrors(editor: LexicalEditor, fn: () => void): Error | null {
  const internals = editor as unknown as { _onError: (error: Error) => void };
  const original = internals._onError;
  let caught: Error | null = null;
  internals._onError = (error) => {
    caught ??= error;
  };
  try {
    fn();
  } finally {
    internals._onError = original;
  }
  return caught;
}

/** Whether a Lexical update of this editor is running (a nested `update` is queued into it). */
function isUpdating(editor: LexicalEditor): boolean {
  return (editor as unknown as { _updating: boolean })._updating;
}

/** The editor's root element; null for headless editors (whose getRootElement throws). */
function rootElementOf(editor: LexicalEditor): HTMLElement | null {
  if ((editor as unknown as { _headless?: boolean })._headless === true) return null;
  return editor.getRootElement();
}

/** Whether Lexical holds an update it has not committed yet (it commits in a microtask). */
function hasPendingUpdate(editor: LexicalEditor): boolean {
  return (editor as unknown as { _pendingEditorState: unknown })._pendingEditorState !== null;
}

/** Commits pending updates now (`read` does that first); the update listener then writes them to Yjs. */
function commitPending(editor: LexicalEditor): void {
  editor.read(() => undefined);
}

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

/**
 * How many undo steps an editor keeps. Each step holds the text it deleted
 * (Yjs keeps those items from garbage collection so undo can restore them),
 * so an uncapped stack grows with every edit of a long session. 500 steps is
 * far beyond what anyone undoes, and bounded.
 */
export const MAX_UNDO_STEPS = 500;

/**
 * Drops the oldest undo steps beyond `max`, letting Yjs collect what they kept
 * (what Y.UndoManager's own `clear()` does for every step, for the oldest ones only).
 */
export function forgetOldestUndoSteps(doc: Y.Doc, undoManager: Y.UndoManager, max: number): void {
  const excess = undoManager.undoStack.length - max;
  if (excess <= 0) return;
  const dropped = undoManager.undoStack.splice(0, excess);
  doc.transact((tr) => {
    for (const step of dropped) {
      Y.iterateDeletedStructs(tr, step.deletions, (struct) => {
        if (!(struct instanceof Y.Item)) return;
        if (!undoManager.scope.some((type) => type === (doc as unknown) || Y.isParentOf(type as Y.AbstractType<unknown>, struct))) return;
        // Y.keepItem is internal; this is its loop through the public `keep` flag.
        for (let item: Y.Item | null = struct; item !== null && item.keep; item = (item.parent as Y.AbstractType<unknown>)._item) item.keep = false;
      });
    }
  });
}

/** Whether a Yjs item is a shared type that (transitively) contains live content written by another client. */
function holdsForeignContent(item: Y.Item, localClient: number): boolean {
  if (!(item.content instanceof Y.ContentType)) return false;
  const visit = (type: Y.AbstractType<unknown>): boolean => {
    for (let child = type._start; child !== null; child = child.right as Y.Item | null) {
      if (child.deleted) continue;
      if (child.id.client !== localClient) return true;
      if (child.content instanceof Y.ContentType && visit(child.content.type)) return true;
    }
    for (const child of type._map.values()) {
      if (child.deleted) continue;
      if (child.id.client !== localClient) return true;
      if (child.content instanceof Y.ContentType && visit(child.content.type)) return true;
    }
    return false;
  };
  return visit(item.content.type);
}

const NO_STATES: Map<number, UserState> = new Map();
const NO_DIRTY_ELEMENTS: Map<string, boolean> = new Map();

/** Awareness stand-in for editors without presence: no local state, no peers. */
const NULL_AWARENESS: ProviderAwareness = {
  getLocalState: () => null,
  getStates: () => NO_STATES,
  on: () => {},
  off: () => {},
  setLocalState: () => {},
  setLocalStateField: () => {},
};

/**
 * Holds the local selection as relative positions ({@link KeptSelection}) and
 * publishes them to peers (as `anchorPos`/`focusPos` of the awareness state,
 * the format @lexical/yjs reads remote carets from).
 */
class SelectionKeeper {
  current: KeptSelection | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly awareness: Awareness | undefined) {}

  /**
   * Records the selection after an update; peers hear of it in a task of its
   * own. Publishing inside the keystroke made every key pay for encoding the
   * awareness update and for every transport's broadcast of it (bench README,
   * scenario 1); typing fast now sends one caret update per task, not per key.
   */
  keep(next: KeptSelection | null): void {
    if (sameKeptSelection(this.current, next)) return;
    this.current = next;
    if (this.awareness !== undefined && this.timer === null) this.timer = setTimeout(this.publish, 0);
  }

  positions(): { anchorPos: Y.RelativePosition | null; focusPos: Y.RelativePosition | null } {
    return { anchorPos: this.current?.anchor ?? null, focusPos: this.current?.focus ?? null };
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly publish = (): void => {
    this.timer = null;
    const state = this.awareness?.getLocalState();
    if (this.awareness && state) this.awareness.setLocalState({ ...state, ...this.positions() });
  };
}

/**
 * @lexical/yjs's sync functions take a `Provider` but only read its
 * `awareness`; connection, status and 'sync' events live in src/sync/, not
 * here. So this is a minimal Provider: the real awareness (or a null one),
 * and inert connect/disconnect/events.
 *
 * With a {@link SelectionKeeper} (V2), the local state's positions are the
 * kept ones in both directions. After rendering a remote change @lexical/yjs
 * puts the local selection back where the local state's positions say
 * (`$syncLocalCursorPosition`): reading ours there is what keeps the caret
 * after the text its user typed — also in editors without presence, which
 * get a local state of their own for it. Positions @lexical/yjs writes are
 * replaced by the kept ones: the keeper publishes after each update.
 */
function createProviderShim(options: BindEditorToDocOptions, kept: SelectionKeeper | null, titles: Map<number, string>): Provider {
  const real = options.awareness as unknown as ProviderAwareness | undefined;
  const drawable = options.cursorsContainer != null;
  const { cursorLabel } = options;
  // @lexical/yjs reads every remote caret's name from these states (syncCursorPositions, also
  // inside V2's remote updates): labelled here, the label is the only name a caret can show.
  const labelled = (states: Map<number, UserState>): Map<number, UserState> => {
    if (cursorLabel === undefined) return states;
    const local = real?.getLocalState();
    const out = new Map<number, UserState>();
    titles.clear();
    for (const [clientId, state] of states) {
      if (state === local) continue;
      const label = cursorLabel(clientId, state as unknown as Record<string, unknown>);
      if (label === null) continue;
      out.set(clientId, { ...state, name: label.name });
      if (label.title !== undefined) titles.set(clientId, label.title);
    }
    return out;
  };
  const base: ProviderAwareness = real ?? NULL_AWARENESS;
  const awareness: ProviderAwareness = {
    getLocalState: () => {
      const state = base.getLocalState();
      if (kept === null) return state;
      return { ...(state ?? OFFLINE_LOCAL_STATE), ...kept.positions() };
    },
    // The V2 sync path calls syncCursorPositions itself; without a container
    // (headless) drawing would throw, so it sees no peers.
    getStates: () => (real !== undefined && drawable ? labelled(real.getStates()) : NO_STATES),
    on: (type, cb) => base.on(type, cb),
    off: (type, cb) => base.off(type, cb),
    setLocalState: (state) => {
      if (kept === null || state === null) base.setLocalState(state);
      // @lexical/yjs writes its own positions after every update; the keeper
      // publishes ours, so only a change of anything else goes out here.
      else if (!samePresence(base.getLocalState(), state)) base.setLocalState({ ...state, ...kept.positions() });
    },
    setLocalStateField: (field, value) => {
      if (kept === null || (field !== 'anchorPos' && field !== 'focusPos')) base.setLocalStateField(field, value);
    },
  };
  return {
    awareness,
    connect: () => {},
    disconnect: () => {},
    on: () => {},
    off: () => {},
  };
}

/** Whether two local states agree on everything but the selection's positions. */
function samePresence(a: UserState | null, b: UserState): boolean {
  if (a === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (key !== 'anchorPos' && key !== 'focusPos' && a[key as keyof UserState] !== b[key as keyof UserState]) return false;
  }
  return true;
}

/** The local state of an editor without presence: only its kept selection matters. */
const OFFLINE_LOCAL_STATE: UserState = {
  anchorPos: null,
  awarenessData: {},
  color: '',
  focusPos: null,
  focusing: false,
  name: '',
};

/** Publish the local user/selection in awareness and draw remote cursors. */
function registerPresence(
  editor: LexicalEditor,
  binding: Binding | BindingV2,
  provider: Provider,
  options: BindEditorToDocOptions,
  syncCursors: SyncCursorPositionsFn,
  clearCursors: () => void,
): () => void {
  const { awareness, user } = options;
  if (awareness === undefined || user === undefined) return () => {};
  const data = user.data ?? {};
  initLocalState(provider, user.name, user.color, isEditorFocused(editor), data);
  const onAwarenessUpdate = (): void => syncCursors(binding, provider);
  awareness.on('update', onAwarenessUpdate);
  const unregister = mergeRegister(
    editor.registerCommand(FOCUS_COMMAND, () => {
      setLocalStateFocus(provider, user.name, user.color, true, data);
      return false;
    }, COMMAND_PRIORITY_EDITOR),
    editor.registerCommand(BLUR_COMMAND, () => {
      setLocalStateFocus(provider, user.name, user.color, false, data);
      return false;
    }, COMMAND_PRIORITY_EDITOR),
  );
  return () => {
    unregister();
    awareness.off('update', onAwarenessUpdate);
    // Remove every remote caret we drew.
    clearCursors();
    // Peers should stop drawing our caret; the awareness itself stays alive
    // (the transport owns it and may be reused by the next editor).
    const local = awareness.getLocalState();
    if (local !== null) {
      awareness.setLocalState({ ...local, anchorPos: null, focusPos: null, focusing: false });
    }
  };
}

function isEditorFocused(editor: LexicalEditor): boolean {
  // Headless editors throw from getRootElement; they are never focused.
  if ((editor as unknown as { _headless?: boolean })._headless === true) return false;
  const root = editor.getRootElement();
  return root !== null && root.ownerDocument.activeElement === root;
}

/**
 * Draws remote carets and selections at most once per animation frame.
 *
 * `syncCursorPositions` measures the DOM (getBoundingClientRect) right after
 * the editor changed, which forces a synchronous layout of the whole note. It
 * ran inside every remote update (V2 calls it itself) and on every awareness
 * change — each keystroke of a peer, and each local keystroke while a peer is
 * present. On a 14,000-paragraph note that layout cost ~70 ms per call
 * (CPU profile of bench scenario 3: `Lt` in @lexical/yjs, 967 ms self during
 * a 1 MB paste). So the binding's `cursorsContainer` stays null — then
 * @lexical/yjs updates its cursor records but draws nothing — and this painter
 * sets it only while it draws, in a frame callback, where the layout is
 * needed for painting anyway. Elements of cursors that @lexical/yjs dropped
 * while it could not reach the container (a peer left, renamed) are removed
 * from the container here.
 */
class CursorPainter {
  private frame: number | null = null;
  private disposed = false;

  constructor(
    private readonly binding: Binding | BindingV2,
    private readonly provider: Provider,
    private readonly container: HTMLElement,
    private readonly selectionHighlight: boolean,
    private readonly titles: ReadonlyMap<number, string>,
  ) {
    binding.cursorsContainer = null;
  }

  schedule(): void {
    if (this.disposed || this.frame !== null) return;
    this.frame = requestFrame(() => {
      this.frame = null;
      if (!this.disposed) this.draw();
    });
  }

  /** Removes every caret (the editor is going away). */
  clear(): void {
    this.draw(() => NO_STATES);
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame !== null) cancelFrame(this.frame);
    this.frame = null;
  }

  private draw(getAwarenessStates?: NonNullable<Parameters<typeof syncCursorPositions>[2]>['getAwarenessStates']): void {
    const { binding, container } = this;
    binding.cursorsContainer = container;
    try {
      syncCursorPositions(binding, this.provider, {
        selectionHighlight: this.selectionHighlight,
        ...(getAwarenessStates ? { getAwarenessStates } : {}),
      });
    } finally {
      binding.cursorsContainer = null;
    }
    const live = new Set<Node>();
    for (const [clientId, cursor] of binding.cursors) {
      const selection = cursor.selection;
      if (selection === null) continue;
      // @lexical/yjs draws the name only; the verdict behind it goes on the caret as its title.
      const title = this.titles.get(clientId);
      if (title === undefined) selection.caret.removeAttribute('title');
      else if (selection.caret.title !== title) selection.caret.title = title;
      live.add(selection.caret);
      for (const element of selection.selections) live.add(element);
    }
    for (const child of Array.from(container.children)) if (!live.has(child)) child.remove();
  }
}

const requestFrame = (callback: () => void): number =>
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame(callback) : (setTimeout(callback, 16) as unknown as number);
const cancelFrame = (id: number): void => (typeof cancelAnimationFrame === 'function' ? cancelAnimationFrame(id) : clearTimeout(id));
