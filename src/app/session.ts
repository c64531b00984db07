/**
 * The composition root: the only module that knows every part. It wires a
 * note's Y.Doc to the editor binding, local storage and (for shared notes)
 * peers; everything else talks to the Y.Doc only.
 *
 * Lifecycle rule: constructors have no side effects; `start()` / `bind()` do
 * the work and return (or own) the disposer that undoes it. That keeps React
 * StrictMode's mount–unmount–mount and HMR honest.
 */
import { $convertToMarkdownString } from '@lexical/markdown';
import { $getRoot, createEditor, type LexicalEditor } from 'lexical';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { MAX_INDEXED_TEXT_CHARS, NotesIndex } from '../doc/notesIndex';
import { applySeed, SEED_CLIENT_ID } from '../doc/seed';
import { bindEditorToDoc, type DocBinding } from '../editor/collab/bindEditorToDoc';
import { repairNoteDoc } from '../doc/repairNoteDoc';
import { $leadingText } from '../editor/leadingText';
import { MARKDOWN_TRANSFORMERS } from '../editor/markdown';
import { StorageError, type DocStore, type PersistedDoc } from '../storage/DocStore';
import { BroadcastChannelSync } from '../sync/broadcastChannelSync';
import { formatShareLink } from '../sync/shareLink';
import { colorForClient, readPeers, samePeers, sanitizeDisplayName, type PresencePeer } from '../sync/presence';
import type { SyncStatus, Transport, TransportFactory } from '../sync/Transport';
import {
  NOTE_DISPLAY_FAILED_MESSAGE,
  NOTE_QUARANTINED_MESSAGE,
  NOTE_REDRAWN_MESSAGE,
  NOTE_REPAIRED_MESSAGE,
  NOTE_RESTORED_FROM_PEER_MESSAGE,
  NOTE_STORAGE_CLEARED_MESSAGE,
  storageErrorMessage,
} from './messages';
import { noteText } from '../doc/noteText';
import { PendingShares } from './PendingShares';
import type { Preferences } from './Preferences';
import { Signal } from './Signal';
import { ORIGIN_REPAIR, ORIGIN_STORAGE, isTransportOrigin } from '../doc/origins';
import { MAX_PINNED_PER_NOTE, VERSION_INTERVAL_MS, canPin } from '../doc/versionPolicy';
import { noteHtmlDocument, plainTextHtmlDocument } from '../editor/exportHtml';
import { EDITOR_NODES } from '../editor/nodes';
import { readNoteState, replaceDocContent, replaceEditorContent, type VersionContent } from '../editor/versionContent';
import { MemoryVersionStore } from '../storage/memoryVersions';
import type { VersionMeta, VersionStore } from '../storage/VersionStore';
import { createBackup, restoreBackup, type RestoreResult } from './backupFiles';
import { VersionRecorder } from './versionRecorder';

/** Storage name of the notes index document. */
export const INDEX_DOC_NAME = 'index';
/** Storage name of a note's document. */
export const noteDocName = (noteId: string) => `note:${noteId}`;
/** How long typing may go on before the notes list (title, search text, order) is refreshed. */
const INDEX_REFRESH_MS = 400;
/**
 * At most one "redrawn" alert per note in this long: a peer whose changes keep
 * tripping the editor must not be able to flood the user with messages (the
 * alert stays up until dismissed; a dismissed one does not come back sooner).
 */
export const REDRAWN_ALERT_INTERVAL_MS = 60_000;
/** Alert key of a note's display problems: one alert, whichever happened last. */
export const displayAlertKey = (noteId: string) => `display:${noteId}`;

export type AppAlert = { key: string; message: string };

export type { Preferences } from './Preferences';

export type AppDeps = {
  /** Durable storage (IndexedDB in the browser). */
  store: DocStore;
  /** Used instead when durable storage is unavailable, so the app still works for this tab. */
  fallbackStore: () => DocStore;
  /** Links a note's doc to its peers (y-webrtc in the browser, loopback in tests). */
  transports: TransportFactory;
  /** Keeps the notes index in step across this browser's tabs; null where there are no tabs (tests). */
  crossTabIndex: ((doc: Y.Doc) => { destroy(): void }) | null;
  preferences: Preferences;
  now?: () => number;
  /**
   * Restorable versions of notes (IndexedDB in the browser). Optional so that
   * tests and benches that do not care need not pass one: the default keeps
   * history in memory, for as long as the page lives.
   */
  versions?: VersionStore;
  /** How often an open, edited note gets a version; default VERSION_INTERVAL_MS. */
  versionIntervalMs?: number;
};

const DISPLAY_NAME_KEY = 'weft:display-name';
/** The BroadcastChannel that carries the notes index between this browser's tabs. */
export const INDEX_CHANNEL = 'weft:index';

/** A BroadcastChannel-backed cross-tab sync for the index (the browser default). */
export const broadcastIndex = (doc: Y.Doc) => new BroadcastChannelSync(doc, INDEX_CHANNEL);

/** App-wide services: storage, the notes index, alerts. One per page. */
export class WeftApp {
  readonly alerts = new Signal<readonly AppAlert[]>([]);
  readonly ready = new Signal<boolean>(false);
  /** The local user's display name, shown to peers; remembered in preferences. */
  readonly displayName: Signal<string>;
  readonly indexDoc = new Y.Doc();
  // The index takes its clock from the deps too (lazily: `now` is set in the constructor), so
  // `create`/`remove` and content refreshes agree on time; with two clocks an injected one
  // that runs behind Date.now made edits never move a note up the list.
  readonly index = new NotesIndex(this.indexDoc, { now: () => this.now() });
  store: DocStore;
  private indexPersisted: PersistedDoc | null = null;
  private disposers: Array<() => void> = [];
  /** Open notes' flush functions, so `flush()` can wait for all of them. */
  readonly flushers = new Set<() => Promise<void>>();
  readonly now: () => number;
  readonly versions: VersionStore;
  /** See AppDeps.versionIntervalMs. */
  readonly versionIntervalMs: number;
  /** Docs of notes bound to an editor right now, by note id (a backup import updates them live). */
  readonly liveDocs = new Map<string, Set<Y.Doc>>();
  /** Notes opened from a share link that have not yet proven their secret (see PendingShares). */
  readonly pendingShares: PendingShares;

  constructor(private readonly deps: AppDeps) {
    this.store = deps.store;
    this.versions = deps.versions ?? new MemoryVersionStore();
    this.versionIntervalMs = deps.versionIntervalMs ?? VERSION_INTERVAL_MS;
    this.now = deps.now ?? Date.now;
    this.displayName = new Signal(sanitizeDisplayName(deps.preferences.get(DISPLAY_NAME_KEY)));
    this.pendingShares = new PendingShares({
      preferences: deps.preferences,
      exists: (noteId) => this.index.get(noteId) !== undefined,
      purge: (noteId) => this.purgeNote(noteId),
    });
  }

  /** Changes the display name (sanitized: it is shown to strangers' browsers) and remembers it. */
  setDisplayName(raw: string): void {
    const name = sanitizeDisplayName(raw);
    this.displayName.set(name);
    try {
      this.deps.preferences.set(DISPLAY_NAME_KEY, name);
    } catch {
      // Preferences unavailable (storage blocked): the name still applies to this tab.
    }
  }

  /** Creates the sync transport for a note (composition: which adapter is the deps' business). */
  connect(doc: Y.Doc, awareness: Awareness, noteId: string, secret: string): Transport {
    return this.deps.transports(doc, awareness, { noteId, secret });
  }

  /** Loads the notes index from storage. Falls back to memory, with an alert, when storage is unusable. */
  async start(): Promise<void> {
    let persisted = this.store.open(INDEX_DOC_NAME, this.indexDoc);
    try {
      await persisted.whenLoaded;
    } catch (error) {
      const storageError = asStorageError(error);
      this.alert('storage', storageErrorMessage(storageError));
      void persisted.destroy().catch(() => undefined);
      if (storageError.kind === 'unavailable' || storageError.kind === 'blocked') {
        this.store = this.deps.fallbackStore();
        persisted = this.store.open(INDEX_DOC_NAME, this.indexDoc);
        await persisted.whenLoaded.catch(() => undefined);
      }
    }
    this.indexPersisted = persisted;
    // Notes opened from a link in an earlier page load that never met a peer
    // nor were edited (the tab was closed or reloaded while pending): drop them.
    this.pendingShares.purgeLeftovers();
    this.disposers.push(persisted.onError((e) => this.alert('storage', storageErrorMessage(e))));
    if (this.deps.crossTabIndex) {
      const crossTab = this.deps.crossTabIndex(this.indexDoc);
      this.disposers.push(() => crossTab.destroy());
    }
    this.ready.set(true);
  }

  /** Shows (or replaces) the alert with this key. */
  alert(key: string, message: string): void {
    this.alerts.update((list) => [...list.filter((a) => a.key !== key), { key, message }]);
  }

  dismissAlert(key: string): void {
    this.alerts.update((list) => list.filter((a) => a.key !== key));
  }

  /** A session for one mount of a note's editor. No side effects until `bind`. */
  openNote(noteId: string): NoteSession {
    return new NoteSession(this, noteId);
  }

  /** Deletes a note's stored document for good (after the undo window). */
  async purgeNote(noteId: string): Promise<void> {
    this.index.purge(noteId);
    const versionsDeleted = this.versions.deleteNote(noteId);
    await this.store.remove(noteDocName(noteId));
    await versionsDeleted;
  }

  /** The backup file of every note (src/doc/backup.ts). Rejects when a note cannot be read. */
  backup(): Promise<string> {
    return createBackup(this.backupContext());
  }

  /** Merges a backup file's notes into this device; a bad file changes nothing. */
  restoreBackup(text: string): Promise<RestoreResult> {
    return restoreBackup(this.backupContext(), text);
  }

  private backupContext() {
    return {
      store: this.store,
      indexDoc: this.indexDoc,
      index: this.index,
      docName: noteDocName,
      liveDocs: (noteId: string) => this.liveDocs.get(noteId) ?? [],
      flush: () => this.flush(),
      now: this.now,
    };
  }

  /** Registers a note's doc as bound to an editor; returns the disposer. */
  addLiveDoc(noteId: string, doc: Y.Doc): () => void {
    let docs = this.liveDocs.get(noteId);
    if (!docs) this.liveDocs.set(noteId, (docs = new Set()));
    docs.add(doc);
    return () => {
      docs.delete(doc);
      if (docs.size === 0 && this.liveDocs.get(noteId) === docs) this.liveDocs.delete(noteId);
    };
  }

  /**
   * Resolves once everything typed so far is on disk: pending list refreshes
   * run now and every store's queued writes have committed. Used before a
   * reload-to-update and by tests instead of sleeping.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.flushers].map((flush) => flush()));
    await this.indexPersisted?.flush();
  }

  async destroy(): Promise<void> {
    for (const dispose of this.disposers.splice(0)) dispose();
    await this.indexPersisted?.destroy();
    this.indexDoc.destroy();
  }
}

export type NotePhase = 'loading' | 'ready';
export type NoteState = {
  phase: NotePhase;
  /** offline / looking for peers / connected. */
  sync: SyncStatus;
  /** Connected peers (other devices and tabs). */
  peerCount: number;
  /** Who else has the note open, from presence (validated, untrusted input). */
  peers: readonly PresencePeer[];
  /** The colour other peers see for this user's cursor. */
  selfColor: string;
  /**
   * The note's plain text when the editor cannot draw it (shown read-only in
   * its place, see NoteEditor's `fallbackText`); null while the editor works.
   */
  fallbackText: string | null;
};

/** One mount of one note: owns that mount's Y.Doc, binding and storage attachment. */
export class NoteSession {
  readonly state = new Signal<NoteState>({
    phase: 'loading',
    sync: 'offline',
    peerCount: 0,
    peers: [],
    selfColor: 'transparent',
    fallbackText: null,
  });
  private editor: LexicalEditor | null = null;
  private recorder: VersionRecorder | null = null;
  private collab: DocBinding | null = null;
  /** The mounted editor's doc (null between mounts). */
  private doc: Y.Doc | null = null;
  /** When the last "redrawn" alert was raised (see REDRAWN_ALERT_INTERVAL_MS). */
  private lastRedrawnAlert = Number.NEGATIVE_INFINITY;
  /**
   * What the previous mount's doc held when it was unbound: the next mount
   * starts from it (a remount after a display error must not wait on, or
   * miss, writes still on their way to storage), and its text is what a
   * failed remount shows.
   */
  private carried: { state: Uint8Array; text: string } | null = null;

  /**
   * Reports a display error of the editor. `redrawn`: the view was rebuilt
   * from the doc (one alert at most per REDRAWN_ALERT_INTERVAL_MS). `failed`:
   * not even that worked; the note's text is shown read-only instead.
   * `text` is that text (default: what the last mount held).
   */
  displayError = (error: Error, outcome: 'redrawn' | 'failed', text?: string): void => {
    const key = displayAlertKey(this.noteId);
    if (outcome === 'failed') {
      console.error('[weft] the note could not be displayed', error);
      this.state.set({ ...this.state.get(), fallbackText: text ?? this.carried?.text ?? '' });
      this.app.alert(key, NOTE_DISPLAY_FAILED_MESSAGE);
      return;
    }
    console.warn('[weft] the note was redrawn after a display error', error);
    const now = this.app.now();
    if (now - this.lastRedrawnAlert < REDRAWN_ALERT_INTERVAL_MS) return;
    this.lastRedrawnAlert = now;
    this.app.alert(key, NOTE_REDRAWN_MESSAGE);
  };

  /**
   * Tries to draw the note in the editor again after a failure. With the
   * editor still bound, it is rebuilt from the doc; otherwise (the React
   * boundary unmounted it) the caller remounts it. Returns whether the
   * editor shows the note again (false: still the read-only text).
   */
  retryDisplay = (): boolean => {
    if (this.collab?.renderFailed === true && !this.collab.rebuildView()) return false;
    if (this.state.get().fallbackText !== null) {
      this.state.set({ ...this.state.get(), fallbackText: null });
      this.app.dismissAlert(displayAlertKey(this.noteId));
    }
    return true;
  };

  constructor(
    private readonly app: WeftApp,
    readonly noteId: string,
  ) {}

  /** The open note as a standalone HTML document (for export), or null when no editor is mounted. */
  html(title: string): string | null {
    return this.exported(
      (editor) => noteHtmlDocument(editor, title),
      (text) => plainTextHtmlDocument(title, text),
    );
  }

  /**
   * Exports through the open editor; when it cannot draw the note (or the
   * editor crashed), through a headless editor rendering the note's doc; when
   * not even that works, from the doc's plain text.
   */
  private exported(fromEditor: (editor: LexicalEditor) => string, fromText: (text: string) => string): string | null {
    if (this.editor && this.collab?.renderFailed !== true) return fromEditor(this.editor);
    const state = this.doc ? Y.encodeStateAsUpdate(this.doc) : this.carried?.state;
    if (!state) return null;
    try {
      const editor = createEditor({ namespace: 'weft-export', nodes: [...EDITOR_NODES], onError: (error) => { throw error; } });
      editor.setEditorState(editor.parseEditorState(readNoteState(state).json));
      return fromEditor(editor);
    } catch (error) {
      console.warn('[weft] exporting the note as plain text', error);
      const doc = new Y.Doc();
      try {
        Y.applyUpdate(doc, state);
        return fromText(noteText(doc));
      } finally {
        doc.destroy();
      }
    }
  }

  /** This note's stored versions, newest first. */
  listVersions(): Promise<VersionMeta[]> {
    return this.app.versions.list(this.noteId);
  }

  /** A stored version rendered (its content and text), or null when it is gone. */
  async readVersion(id: number): Promise<VersionContent | null> {
    const state = await this.app.versions.load(id);
    return state ? readNoteState(state) : null;
  }

  /**
   * Pins version `id` (never pruned) or unpins it; resolves with its updated
   * metadata. Rejects with a message for the user when the note already has
   * {@link MAX_PINNED_PER_NOTE} pinned versions, or the version is gone.
   */
  async pinVersion(id: number, pinned: boolean): Promise<VersionMeta> {
    const list = pinned ? await this.listVersions() : [];
    if (pinned && !list.find((v) => v.id === id)?.pinned && !canPin(list)) {
      throw new Error(`A note keeps at most ${MAX_PINNED_PER_NOTE} pinned versions. Unpin one to pin this one.`);
    }
    const meta = await this.app.versions.setPinned(id, pinned);
    if (!meta) throw new Error('This version is no longer stored on this device.');
    return meta;
  }

  /**
   * Puts version `id` back as a new edit of the open note (it syncs to peers
   * and can be undone), after recording the current content as a version.
   */
  async restoreVersion(id: number): Promise<void> {
    const state = await this.app.versions.load(id);
    if (!state) throw new Error('This version is no longer stored on this device.');
    await this.recorder?.recordIfChanged('before-restore');
    if (!this.editor) throw new Error('The note is not open.');
    const { collab, doc } = this;
    // Its own undo step, never merged with the typing just before it.
    collab?.undoManager.stopCapturing();
    if (collab?.renderFailed === true && doc !== null) {
      // The editor cannot draw the current note, so its diff is not there to
      // write the restore: write it in Yjs, then draw the restored note.
      replaceDocContent(doc, state, collab.origin);
      this.retryDisplay();
    } else {
      replaceEditorContent(this.editor, readNoteState(state).json);
    }
    collab?.undoManager.stopCapturing();
  }

  /**
   * The note's title as of now: the one the user set, else the current first
   * line (the list's copy of it may be up to one refresh behind the typing).
   */
  currentTitle(): string {
    const entry = this.app.index.get(this.noteId);
    const explicit = entry?.explicitTitle?.trim();
    if (explicit) return explicit;
    const firstLine = this.editor?.read(() => ($getRoot().getFirstChild()?.getTextContent() ?? '').split('\n', 1)[0]?.trim());
    return firstLine || entry?.title || 'Untitled';
  }

  /** The note's share link, or null when the note is not in the index. */
  shareLink(origin: string): string | null {
    const secret = this.app.index.get(this.noteId)?.secret;
    return secret ? formatShareLink(origin, this.noteId, secret) : null;
  }

  /** The open note as Markdown (for export), or null when no editor is mounted. */
  markdown(): string | null {
    return this.exported(
      (editor) => editor.getEditorState().read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS])),
      (text) => text,
    );
  }

  /**
   * Binds the editor to a fresh Y.Doc for this note, then loads storage into
   * it. Order matters: the binding must exist before stored content arrives
   * (the V1 binding only renders changes it observes), and the seed is
   * byte-identical on every peer so offline peers never duplicate it.
   * Returns the disposer that undoes all of it.
   */
  bind = (editor: LexicalEditor, context: { cursorsContainer: HTMLElement | null } = { cursorsContainer: null }): (() => void) => {
    const { app, noteId } = this;
    this.editor = editor;
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    // Mutable on purpose: the binding reads name/colour on every focus change.
    const user = { name: app.displayName.get(), color: colorForClient(doc.clientID) };
    // A display error the binding recovered from, or could not: see displayError.
    let showingText = false;
    const collab: DocBinding = bindEditorToDoc(editor, doc, {
      awareness,
      user,
      cursorsContainer: context.cursorsContainer,
      onSyncError: (error) => this.displayError(error, 'redrawn'),
      onRenderFailure: (error) => {
        showingText = true;
        this.displayError(error, 'failed', noteText(doc));
      },
    });
    this.collab = collab;
    this.doc = doc;
    applySeed(doc);
    const persisted = app.store.open(noteDocName(noteId), doc);
    // Applied as if read from storage: it is (or is about to be) stored.
    if (this.carried !== null) Y.applyUpdate(doc, this.carried.state, ORIGIN_STORAGE);
    let quarantined = false;
    // Once storage has loaded, the stored note is checked against the schema
    // and repaired (repairNoteDoc.ts; peers' updates are checked before they
    // are applied, updateFirewall.ts, but notes stored before that existed
    // may hold anything). Until then the render allow-list keeps whatever it
    // holds harmless on screen. A note too deep to repair is unbound: never
    // edited here, never synced.
    const repairStored = () => {
      const report = repairNoteDoc(doc, ORIGIN_REPAIR);
      if (report.fixes > 0 || report.pendingDropped || report.unrepairable) {
        console.warn('Repaired a note outside the schema', noteId, report.reasons);
        if (report.fixes > 0) app.alert(`repaired:${noteId}`, NOTE_REPAIRED_MESSAGE);
      }
      // What the editor could not draw before the repair (2,000 nested quotes
      // overflow Lexical's recursive rendering) it can now.
      if (report.fixes > 0 && !report.unrepairable && collab.renderFailed) this.retryDisplay();
      if (report.unrepairable) {
        quarantined = true;
        collab.dispose();
        editor.setEditable(false);
        // The editor may already have failed to draw it (that is how 20,000
        // levels end): the quarantine message says what happened instead.
        app.dismissAlert(displayAlertKey(noteId));
        if (this.state.get().fallbackText !== null) this.state.set({ ...this.state.get(), fallbackText: null });
        app.alert(`repaired:${noteId}`, NOTE_QUARANTINED_MESSAGE);
      }
    };
    const disposers: Array<() => void> = [];
    let transport: Transport | null = null;
    let disposed = false;

    const setState = (change: Partial<NoteState>) => this.state.set({ ...this.state.get(), ...change });
    setState({ selfColor: user.color });
    // Awareness changes with every caret move, local or remote; the people
    // list only when someone comes, goes or renames: publish only then, so a
    // keystroke does not re-render the presence UI.
    const onAwareness = () => {
      const peers = readPeers(awareness);
      if (!samePeers(peers, this.state.get().peers)) setState({ peers });
    };
    awareness.on('change', onAwareness);
    disposers.push(() => awareness.off('change', onAwareness));
    disposers.push(
      app.displayName.subscribe(() => {
        user.name = app.displayName.get();
        awareness.setLocalStateField('name', user.name);
      }),
    );

    // Peers come after storage: the sync handshake then only asks for what
    // this device lacks. Every note has its secret from creation, so a note
    // written offline and shared later syncs the same way.
    const startSync = () => {
      const secret = app.index.get(noteId)?.secret;
      if (!secret || disposed) return;
      try {
        transport = app.connect(doc, awareness, noteId, secret);
      } catch (error) {
        app.alert('sync', `Live sync could not start for this note: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      const t = transport;
      const onChange = () => {
        setState({ sync: t.status, peerCount: t.peerCount });
        // A peer connected: it decrypted our offers, so the link's secret is right.
        if (t.peerCount > 0) app.pendingShares.confirm(noteId);
      };
      onChange();
      disposers.push(t.onChange(onChange));
    };

    disposers.push(persisted.onError((e) => app.alert('storage', storageErrorMessage(e))));

    // Keep the notes list (title, search text, last edit) in step with the
    // content. Only edits made after loading count as edits: opening a note
    // must not move it to the top of the list.
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    // `at` = 0 refreshes title and text without touching the last-edit time.
    const refreshIndex = (at: number = app.now()) => {
      refreshTimer = null;
      if (disposed) return;
      // `editor.read` commits pending updates first: right after loading, the
      // stored content may still be queued in Lexical.
      // The editor shows the doc, unless it could not draw it: then read the doc.
      const { firstLine, text } = collab.renderFailed
        ? docLeadingText(doc)
        : editor.read(() => {
            const root = $getRoot();
            const first = root.getFirstChild();
            return { firstLine: (first?.getTextContent() ?? '').split('\n', 1)[0] ?? '', text: $leadingText(root, MAX_INDEXED_TEXT_CHARS) };
          });
      app.index.updateFromContent(noteId, { firstLine, text, at });
    };
    // While the editor cannot draw the note, the read-only text in its place follows the doc.
    let fallbackTimer: ReturnType<typeof setTimeout> | null = null;
    const refreshFallback = () => {
      fallbackTimer = null;
      if (disposed || !collab.renderFailed || this.state.get().fallbackText === null) return;
      setState({ fallbackText: noteText(doc) });
    };
    disposers.push(() => {
      if (fallbackTimer !== null) clearTimeout(fallbackTimer);
    });
    const onDocUpdate = () => {
      if (showingText && collab.renderFailed && fallbackTimer === null) fallbackTimer = setTimeout(refreshFallback, INDEX_REFRESH_MS);
      if (this.state.get().phase !== 'ready') return;
      if (refreshTimer === null) refreshTimer = setTimeout(() => refreshIndex(), INDEX_REFRESH_MS);
    };
    doc.on('update', onDocUpdate);
    disposers.push(() => doc.off('update', onDocUpdate));
    /** Writes a pending list refresh now (flush, page hide, unmount). */
    const flushRefresh = () => {
      if (refreshTimer === null) return;
      clearTimeout(refreshTimer);
      refreshIndex();
    };

    // Version history (src/app/versionRecorder.ts) and live backup imports.
    disposers.push(app.addLiveDoc(noteId, doc));
    const recorder = new VersionRecorder({
      versions: app.versions,
      noteId,
      doc,
      now: app.now,
      intervalMs: app.versionIntervalMs,
      isFromElsewhere: isTransportOrigin,
      onError: (error) =>
        app.alert('versions', `Version history could not be saved: ${error instanceof Error ? error.message : String(error)}`),
    });
    this.recorder = recorder;
    disposers.push(() => {
      recorder.dispose();
      if (this.recorder === recorder) this.recorder = null;
    });
    void persisted.whenLoaded.catch(() => undefined).then(() => {
      if (!disposed) recorder.start();
    });
    // `app.flush()`: the pending list refresh, queued writes, and version saves
    // under way (the on-open one included).
    const versionsSaved = async () => {
      await persisted.whenLoaded.catch(() => undefined);
      await Promise.resolve(); // the on-open record is queued in the task that saw the load
      await recorder.flush();
    };
    const flush = async () => {
      flushRefresh();
      await Promise.all([persisted.flush(), versionsSaved()]);
    };
    app.flushers.add(flush);
    disposers.push(() => app.flushers.delete(flush));
    // A reload or a closed tab never runs the disposer below: write the pending
    // list refresh (title, search text) when the page is hidden or unloaded.
    const onPageHide = (event: Event) => {
      // `visibilitychange` only when hidden: a tab switch may be the last chance (mobile).
      if (event.type === 'visibilitychange' && document.visibilityState !== 'hidden') return;
      flushRefresh();
    };
    if (typeof window !== 'undefined') {
      // Capture phase: it must run before the storage adapter's own `pagehide`
      // listener, which journals the writes still in flight — including this one.
      window.addEventListener('pagehide', onPageHide, { capture: true });
      document.addEventListener('visibilitychange', onPageHide);
      disposers.push(() => {
        window.removeEventListener('pagehide', onPageHide, { capture: true });
        document.removeEventListener('visibilitychange', onPageHide);
      });
    }

    // Storage cleared by the browser while the app was closed: the doc loads
    // with nothing but the seed although the notes list remembers text. Say so
    // (never a silent empty note); a peer that is online sends the note back.
    const evictedAlert = `evicted:${noteId}`;
    const onRestored = (_update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      if (tr.local) return;
      doc.off('update', onRestored);
      app.alert(evictedAlert, NOTE_RESTORED_FROM_PEER_MESSAGE);
    };
    disposers.push(() => doc.off('update', onRestored));
    const checkStoredCopy = () => {
      if ([...doc.store.clients.keys()].some((client) => client !== SEED_CLIENT_ID)) {
        // The list entry may be behind the content (the page died before its
        // refresh was written): bring title and search text up to date, keeping
        // the last-edit time. Never for a seed-only doc: that is what detects eviction.
        refreshIndex(0);
        return;
      }
      if (app.index.text(noteId).trim() === '' && !app.index.get(noteId)?.derivedTitle) return;
      app.alert(evictedAlert, NOTE_STORAGE_CLEARED_MESSAGE);
      doc.on('update', onRestored);
    };

    persisted.whenLoaded.then(
      () => {
        if (disposed) return;
        repairStored();
        checkStoredCopy();
        setState({ phase: 'ready' });
        if (!quarantined) startSync();
      },
      (error: unknown) => {
        if (disposed) return;
        repairStored();
        app.alert('storage', storageErrorMessage(asStorageError(error)));
        // The note stays editable in memory; the alert says it is not being saved.
        setState({ phase: 'ready' });
        if (!quarantined) startSync();
      },
    );

    const untrackView = app.pendingShares.trackView(noteId);
    return () => {
      // Structs under this mount's own client id = the user edited the note here.
      if (doc.store.clients.has(doc.clientID)) app.pendingShares.confirm(noteId);
      untrackView();
      // Keystrokes Lexical has not committed yet reach the doc (and storage)
      // before it is unbound; an editor broken enough to throw here has nothing to add.
      if (!quarantined && !collab.renderFailed) {
        try {
          editor.read(() => undefined);
        } catch (error) {
          console.warn('[weft] pending edits could not be committed on unmount', error);
        }
      }
      // The title of the last keystrokes must reach the list.
      flushRefresh();
      disposed = true;
      if (this.editor === editor) this.editor = null;
      if (this.collab === collab) this.collab = null;
      if (this.doc === doc) this.doc = null;
      if (!quarantined) {
        this.carried = { state: Y.encodeStateAsUpdate(doc), text: noteText(doc) };
        // The error boundary may have reported its failure before this
        // cleanup ran (React unmounts effects after the commit): show the latest.
        const state = this.state.get();
        if (state.fallbackText !== null) this.state.set({ ...state, fallbackText: this.carried.text });
      }
      for (const dispose of disposers.splice(0)) dispose();
      transport?.destroy();
      if (!quarantined) collab.dispose();
      awareness.destroy();
      // Let pending writes land before the doc goes away.
      void persisted
        .destroy()
        .catch((e: unknown) => app.alert('storage', storageErrorMessage(asStorageError(e))))
        .finally(() => doc.destroy());
    };
  };
}

/** Title line and search text of a note read from its doc (when the editor cannot show it). */
function docLeadingText(doc: Y.Doc): { firstLine: string; text: string } {
  const text = noteText(doc);
  return { firstLine: text.split('\n', 1)[0] ?? '', text: text.slice(0, MAX_INDEXED_TEXT_CHARS) };
}

function asStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  return new StorageError('unknown', error instanceof Error ? error.message : String(error), { cause: error });
}
