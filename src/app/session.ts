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
import { $getRoot, type LexicalEditor } from 'lexical';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { NotesIndex } from '../doc/notesIndex';
import { applySeed } from '../doc/seed';
import { bindEditorToDoc } from '../editor/collab/bindEditorToDoc';
import { MARKDOWN_TRANSFORMERS } from '../editor/markdown';
import { StorageError, type DocStore, type PersistedDoc } from '../storage/DocStore';
import { BroadcastChannelSync } from '../sync/broadcastChannelSync';
import { formatShareLink } from '../sync/shareLink';
import { colorForClient, readPeers, sanitizeDisplayName, type PresencePeer } from '../sync/presence';
import type { SyncStatus, Transport, TransportFactory } from '../sync/Transport';
import { storageErrorMessage } from './messages';
import { Signal } from './Signal';

/** Storage name of the notes index document. */
export const INDEX_DOC_NAME = 'index';
/** Storage name of a note's document. */
export const noteDocName = (noteId: string) => `note:${noteId}`;
/** How long typing may go on before the notes list (title, search text, order) is refreshed. */
const INDEX_REFRESH_MS = 400;

export type AppAlert = { key: string; message: string };

/** Small key-value settings that belong to this browser (the display name). */
export interface Preferences {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

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
  readonly index = new NotesIndex(this.indexDoc);
  store: DocStore;
  private indexPersisted: PersistedDoc | null = null;
  private disposers: Array<() => void> = [];
  /** Open notes' flush functions, so `flush()` can wait for all of them. */
  readonly flushers = new Set<() => Promise<void>>();
  readonly now: () => number;

  constructor(private readonly deps: AppDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.displayName = new Signal(sanitizeDisplayName(deps.preferences.get(DISPLAY_NAME_KEY)));
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
    await this.store.remove(noteDocName(noteId));
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
};

/** One mount of one note: owns that mount's Y.Doc, binding and storage attachment. */
export class NoteSession {
  readonly state = new Signal<NoteState>({
    phase: 'loading',
    sync: 'offline',
    peerCount: 0,
    peers: [],
    selfColor: 'transparent',
  });
  private editor: LexicalEditor | null = null;

  constructor(
    private readonly app: WeftApp,
    readonly noteId: string,
  ) {}

  /** The note's share link, or null when the note is not in the index. */
  shareLink(origin: string): string | null {
    const secret = this.app.index.get(this.noteId)?.secret;
    return secret ? formatShareLink(origin, this.noteId, secret) : null;
  }

  /** The open note as Markdown (for export), or null when no editor is mounted. */
  markdown(): string | null {
    return this.editor?.getEditorState().read(() => $convertToMarkdownString([...MARKDOWN_TRANSFORMERS])) ?? null;
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
    const collab = bindEditorToDoc(editor, doc, { awareness, user, cursorsContainer: context.cursorsContainer });
    applySeed(doc);
    const persisted = app.store.open(noteDocName(noteId), doc);
    const disposers: Array<() => void> = [];
    let transport: Transport | null = null;
    let disposed = false;

    const setState = (change: Partial<NoteState>) => this.state.set({ ...this.state.get(), ...change });
    setState({ selfColor: user.color });
    const onAwareness = () => setState({ peers: readPeers(awareness) });
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
      const onChange = () => setState({ sync: t.status, peerCount: t.peerCount });
      onChange();
      disposers.push(t.onChange(onChange));
    };

    disposers.push(persisted.onError((e) => app.alert('storage', storageErrorMessage(e))));

    // Keep the notes list (title, search text, last edit) in step with the
    // content. Only edits made after loading count as edits: opening a note
    // must not move it to the top of the list.
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    const refreshIndex = () => {
      refreshTimer = null;
      if (disposed) return;
      const { firstLine, text } = editor.getEditorState().read(() => {
        const root = $getRoot();
        const first = root.getFirstChild();
        return { firstLine: (first?.getTextContent() ?? '').split('\n', 1)[0] ?? '', text: root.getTextContent() };
      });
      app.index.updateFromContent(noteId, { firstLine, text, at: app.now() });
    };
    const onDocUpdate = () => {
      if (this.state.get().phase !== 'ready') return;
      if (refreshTimer === null) refreshTimer = setTimeout(refreshIndex, INDEX_REFRESH_MS);
    };
    doc.on('update', onDocUpdate);
    disposers.push(() => doc.off('update', onDocUpdate));

    const flush = async () => {
      if (refreshTimer !== null) {
        clearTimeout(refreshTimer);
        refreshIndex();
      }
      await persisted.flush();
    };
    app.flushers.add(flush);
    disposers.push(() => app.flushers.delete(flush));

    persisted.whenLoaded.then(
      () => {
        if (disposed) return;
        setState({ phase: 'ready' });
        startSync();
      },
      (error: unknown) => {
        if (disposed) return;
        app.alert('storage', storageErrorMessage(asStorageError(error)));
        // The note stays editable in memory; the alert says it is not being saved.
        setState({ phase: 'ready' });
        startSync();
      },
    );

    return () => {
      if (refreshTimer !== null) {
        // Flush the pending list refresh so the title of the last keystrokes is not lost.
        clearTimeout(refreshTimer);
        refreshIndex();
      }
      disposed = true;
      if (this.editor === editor) this.editor = null;
      for (const dispose of disposers.splice(0)) dispose();
      transport?.destroy();
      collab.dispose();
      awareness.destroy();
      // Let pending writes land before the doc goes away.
      void persisted
        .destroy()
        .catch((e: unknown) => app.alert('storage', storageErrorMessage(asStorageError(e))))
        .finally(() => doc.destroy());
    };
  };
}

function asStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  return new StorageError('unknown', error instanceof Error ? error.message : String(error), { cause: error });
}
