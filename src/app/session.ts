/**
 * The composition root: the only module that knows every part. It wires a
 * note's Y.Doc to the editor binding, local storage and (for shared notes)
 * peers; everything else talks to the Y.Doc only. `NoteSession.bind` is a
 * list of wiring steps, one collaborator (own file, own disposer) per job;
 * titles, search text and exports are read from the doc, never the editor.
 *
 * Lifecycle rule: constructors have no side effects; `start()` / `bind()` do
 * the work and return (or own) the disposer that undoes it. That keeps React
 * StrictMode's mount–unmount–mount and HMR honest.
 */
import type { LexicalEditor } from 'lexical';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { noteLeadingText, noteText } from '../doc/noteText';
import { ORIGIN_STORAGE } from '../doc/origins';
import { applySeed, holdsMoreThanSeed } from '../doc/seed';
import { MAX_PINNED_PER_NOTE, VERSION_INTERVAL_MS, canPin } from '../doc/versionPolicy';
import { bindEditorToDoc, type DocBinding } from '../editor/collab/bindEditorToDoc';
import { docHtmlDocument, docMarkdown } from '../editor/docExport';
import { readNoteState, replaceDocContent, replaceEditorContent, type VersionContent } from '../editor/versionContent';
import { StorageError, type DocStore } from '../storage/DocStore';
import { MemoryNotesIndexStore } from '../storage/MemoryNotesIndexStore';
import { MemoryVersionStore } from '../storage/memoryVersions';
import type { NotesIndexStore } from '../storage/NotesIndexStore';
import type { VersionMeta, VersionStore } from '../storage/VersionStore';
import { colorForClient, judgePeer, peerLabel, sanitizeDisplayName, type PresencePeer } from '../sync/presence';
import { formatShareLink, formatViewLink } from '../sync/shareLink';
import { deriveNoteKeys } from '../sync/noteKeys';
import { loadDeviceIdentity, type DeviceIdentity } from '../sync/deviceIdentity';
import { PresenceIdentities } from '../sync/PresenceIdentities';
import type { DeviceKeyStore } from '../storage/DeviceKeyStore';
import { MemoryDeviceKeyStore } from '../storage/MemoryDeviceKeyStore';
import { isShareSecret, newNoteId } from '../doc/noteId';
import type { IndexChannel } from '../sync/IndexChannel';
import type { RelayStatus } from '../sync/RelayTransport';
import type { ConnectionDetails } from '../sync/ConnectionMonitor';
import type { ApplyHooks, Sharing, SyncStatus, Transport, TransportFactory } from '../sync/Transport';
import { createBackup, restoreBackup, type BackupRun, type RestoreResult } from './backupFiles';
import { EvictionWatch } from './EvictionWatch';
import { importMarkdownFiles, type MarkdownFile, type MarkdownImportResult } from './importMarkdown';
import { ImportJournal } from './ImportJournal';
import type { TabLocks } from './TabLocks';
import { FallbackTextFeed } from './FallbackTextFeed';
import { IndexRefresher } from './IndexRefresher';
import { migrateLegacyIndex } from './migrateLegacyIndex';
import { NOTE_DISPLAY_FAILED_MESSAGE, NOTE_REDRAWN_MESSAGE, storageErrorMessage } from './messages';
import { NotesIndex } from './NotesIndex';
import { NoteVersions } from './NoteVersions';
import { PendingShares } from './PendingShares';
import type { Preferences } from './Preferences';
import { PresenceLink } from './PresenceLink';
import { repairStoredNote } from './repairStoredNote';
import { Signal } from './Signal';
import { SyncLink } from './SyncLink';

/**
 * Storage name of the notes index document of before issue 21 (a Y.Doc
 * holding the whole list): read once, by the migration, then deleted.
 */
export const INDEX_DOC_NAME = 'index';
/** Storage name of a note's document. */
export const noteDocName = (noteId: string) => `note:${noteId}`;
/**
 * At most one "redrawn" alert per note in this long: a peer whose changes keep
 * tripping the editor must not be able to flood the user with messages (the
 * alert stays up until dismissed; a dismissed one does not come back sooner).
 */
export const REDRAWN_ALERT_INTERVAL_MS = 60_000;
/** Alert key of a note's display problems: one alert, whichever happened last. */
export const displayAlertKey = (noteId: string) => `display:${noteId}`;

 /** Alert key of blobs the relay sent that failed their check. */
export const relayAlertKey = (noteId: string) => `relay:${noteId}`;

export type AppAlert = { key: string; message: string };

export type { Preferences } from './Preferences';

export type AppDeps = {
  /** Durable storage (IndexedDB in the browser). */
  store: DocStore;
  /** Used instead when durable storage is unavailable, so the app still works for this tab. */
  fallbackStore: () => DocStore;
  /** Links a note's doc to its peers (y-webrtc in the browser, loopback in tests). */
  transports: TransportFactory;
  /**
   * The notes list (IndexedDB in the browser). Optional so that tests that
   * do not reload need not pass one: the default lives in memory.
   */
  indexStore?: NotesIndexStore;
  /** Used instead when durable storage is unavailable. Default: memory. */
  fallbackIndexStore?: () => NotesIndexStore;
  /** Tells this browser's other tabs what changed in the list; absent where there are no tabs (tests). */
  indexChannel?: IndexChannel | null;
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
  /**
   * Where this browser's device key lives (IndexedDB in the browser). Optional so that
   * tests that do not care need not pass one: the default keeps a key for the page's life.
   */
  deviceKeys?: DeviceKeyStore;
  /** Locks that die with their tab (Web Locks in the browser); default none: a killed import's leftovers then wait a day. */
  tabLocks?: TabLocks | null;
  /**
   * Schedules work right after the frame that shows an edit (the page's
   * PaintScheduler, shared with storage so an edit and its write run in one
   * task). Given, an editor's keystrokes reach the doc there, not inside the
   * keystroke (bindEditorToDoc's `deferLocalWrites`). Tests leave it out.
   */
  afterPaint?: (run: () => void) => void;
};

const DISPLAY_NAME_KEY = 'weft:display-name';
/** Preference key of "Hide my IP address from peers" (this device only). */
export const HIDE_IP_ADDRESS_KEY = 'weft:hide-ip-address';
/** Preference key prefix of a note's "shared" flag (see WeftApp.sharing). */
const SHARING_KEY_PREFIX = 'weft:sharing:';
/** App-wide services: storage, the notes index, alerts. One per page. */
export class WeftApp {
  readonly alerts = new Signal<readonly AppAlert[]>([]);
  readonly ready = new Signal<boolean>(false);
  /** The local user's display name, shown to peers; remembered in preferences. */
  readonly displayName: Signal<string>;
  /**
   * "Hide my IP address from peers": connections go through the deployment's TURN relay
   * only (`iceTransportPolicy: 'relay'`), so peers never learn this device's addresses.
   * Remembered per device; the composition root hands it to the peer network.
   */
  readonly hideIpAddress: Signal<boolean>;
  /** Whether the deployment offers a TURN relay (set by the composition root from /config.json). */
  readonly relayAvailable = new Signal<boolean>(false);
  /** The notes list (src/app/NotesIndex.ts). */
  readonly index: NotesIndex;
  store: DocStore;
  private indexStore: NotesIndexStore;
  /** Open notes' flush functions, so `flush()` can wait for all of them. */
  readonly flushers = new Set<() => Promise<void>>();
  readonly now: () => number;
  readonly versions: VersionStore;
  /** See AppDeps.versionIntervalMs. */
  readonly versionIntervalMs: number;
  /** Docs of notes bound to an editor right now, by note id (a backup import updates them live). */
  readonly liveDocs = new Map<string, Set<Y.Doc>>();
  private readonly settleLiveDoc = new Map<Y.Doc, () => void>();
  /** Runs a callback right after the next paint (the app's one PaintScheduler); absent: at once. */
  readonly afterPaint: ((run: () => void) => void) | undefined;
  /** Notes opened from a share link that have not yet proven their secret (see PendingShares). */
  readonly pendingShares: PendingShares;
  /** Imports in flight, so that a killed page's half-written batch is removed on the next start. */
  private readonly importJournal: ImportJournal;
  private device: Promise<DeviceIdentity | null> | null = null;
  /** The short fingerprint of this browser's device key, once loaded (shown to the user to compare with what peers see). */
  readonly deviceFingerprint = new Signal<string | null>(null);

  constructor(private readonly deps: AppDeps) {
    this.store = deps.store;
    this.afterPaint = deps.afterPaint;
    this.versions = deps.versions ?? new MemoryVersionStore();
    this.versionIntervalMs = deps.versionIntervalMs ?? VERSION_INTERVAL_MS;
    this.now = deps.now ?? Date.now;
    this.displayName = new Signal(sanitizeDisplayName(deps.preferences.get(DISPLAY_NAME_KEY)));
    this.hideIpAddress = new Signal(deps.preferences.get(HIDE_IP_ADDRESS_KEY) === '1');
    // The index takes its clock from the deps too, so `create`/`remove` and content refreshes
    // agree on time; with two clocks an injected one that runs behind Date.now made edits
    // never move a note up the list.
    this.indexStore = deps.indexStore ?? new MemoryNotesIndexStore();
    this.index = new NotesIndex({
      store: this.indexStore,
      now: this.now,
      channel: deps.indexChannel ?? null,
      onError: (error) => this.alert('storage', storageErrorMessage(error)),
    });
    this.pendingShares = new PendingShares({
      preferences: deps.preferences,
      exists: async (noteId) => (await this.index.get(noteId)) !== undefined,
      purge: (noteId) => this.purgeNote(noteId),
      locks: deps.tabLocks ?? null,
    });
    this.importJournal = new ImportJournal({
      preferences: deps.preferences,
      locks: deps.tabLocks ?? null,
      listed: async (noteId) => (await this.index.get(noteId)) !== undefined,
      remove: (noteId) => this.store.remove(noteDocName(noteId)),
      now: this.now,
      batchId: newNoteId,
    });
  }

  /**
   * This browser's device key (deviceIdentity.ts), loaded (or created) on first use and
   * shared by every note. When storage refuses, a temporary key for this page (with an alert);
   * null when WebCrypto has no Ed25519: presence then goes out unproven and versions name nobody.
   */
  deviceIdentity(): Promise<DeviceIdentity | null> {
    const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
    this.device ??= loadDeviceIdentity(this.deps.deviceKeys ?? new MemoryDeviceKeyStore())
      .catch(async (error: unknown) => {
        // Storage refused (private mode, quota): a key for this page's life still proves presence.
        const temporary = await loadDeviceIdentity(new MemoryDeviceKeyStore());
        this.alert(
          'device-key',
          `This browser's device key could not be stored (${message(error)}): this page uses a temporary one, so others will see a new fingerprint next time.`,
        );
        return temporary;
      })
      .then(
        (identity) => {
          this.deviceFingerprint.set(identity.fingerprint);
          return identity;
        },
        (error: unknown) => {
          this.alert('device-key', `This browser has no device key, so others see your name unverified: ${message(error)}`);
          return null;
        },
      );
    return this.device;
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

  /**
   * Turns "Hide my IP address from peers" on or off and remembers it. Open notes then
   * reconnect (from `hideIpAddress`'s subscribers): connections made the other way stop.
   */
  setHideIpAddress(hide: boolean): void {
    try {
      this.deps.preferences.set(HIDE_IP_ADDRESS_KEY, hide ? '1' : '0');
    } catch {
      // Preferences unavailable: the choice holds for this page.
    }
    this.hideIpAddress.set(hide);
  }

  /** Creates the sync transport for a note (composition: which adapter is the deps' business). */
  connect(doc: Y.Doc, awareness: Awareness, noteId: string, secret: string, hooks?: ApplyHooks): Transport {
    return this.deps.transports(doc, awareness, { noteId, secret, sharing: this.sharing(noteId) }, hooks);
  }

  /**
   * Whether a note is shared (kept on the relay): once the user opened its share link
   * here or shared it from here, until "Stop sharing". Remembered in preferences.
   */
  sharing(noteId: string): Sharing {
    const key = `${SHARING_KEY_PREFIX}${noteId}`;
    return {
      shared: () => {
        const remembered = this.deps.preferences.get(key);
        return remembered === '1' || (remembered !== '0' && this.index.peek(noteId)?.shared === true);
      },
      set: (shared) => {
        try {
          this.deps.preferences.set(key, shared ? '1' : '0');
        } catch {
          // Preferences unavailable: the choice holds for this page.
        }
      },
    };
  }

  /**
   * Opens the notes list: moves an existing device's list to the new layout
   * the first time (src/app/migrateLegacyIndex.ts; later starts only read its
   * marker), then hears other tabs. Nothing here reads the list itself: the
   * list reads its first page, the note page its one entry. Falls back to
   * memory, with an alert, when storage is unusable.
   */
  async start(): Promise<void> {
    try {
      await migrateLegacyIndex({ docs: this.store, index: this.indexStore, legacyName: INDEX_DOC_NAME });
    } catch (error) {
      const storageError = asStorageError(error);
      this.alert('storage', storageErrorMessage(storageError));
      if (storageError.kind === 'unavailable' || storageError.kind === 'blocked') {
        this.store = this.deps.fallbackStore();
        this.indexStore = this.deps.fallbackIndexStore?.() ?? new MemoryNotesIndexStore();
        this.index.useStore(this.indexStore);
      }
    }
    this.index.start();
    // Notes opened from a link in an earlier page load that never met a peer
    // nor were edited (the tab was closed or reloaded while pending): drop them.
    await this.pendingShares.purgeLeftovers();
    this.ready.set(true);
    // Not on the way to the first note: leftovers only take space.
    void this.importJournal.purgeLeftovers().catch(() => undefined);
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
    await this.index.purge(noteId);
    const versionsDeleted = this.versions.deleteNote(noteId);
    await this.store.remove(noteDocName(noteId));
    await versionsDeleted;
  }

  /** The backup file of every note (src/doc/backup.ts). Rejects when a note cannot be read or `run` is cancelled. */
  backup(run?: BackupRun): Promise<Blob> {
    return createBackup(this.backupContext(), run);
  }

  /** Merges a backup file's notes into this device, note by note; a bad file changes nothing. */
  restoreBackup(file: Blob, run?: BackupRun): Promise<RestoreResult> {
    return restoreBackup(this.backupContext(), file, run);
  }

  /** "Import Markdown": one new note per file; a bad file imports nothing (src/app/importMarkdown.ts). */
  importMarkdown(files: readonly MarkdownFile[]): Promise<MarkdownImportResult> {
    return importMarkdownFiles({ store: this.store, index: this.index, docName: noteDocName, now: this.now, journal: this.importJournal }, files);
  }

  private backupContext() {
    return {
      store: this.store,
      index: this.index,
      docName: noteDocName,
      liveDocs: (noteId: string) => {
        const docs = this.liveDocs.get(noteId) ?? new Set<Y.Doc>();
        // Their editors' edits reach them before they are read or merged into.
        for (const doc of docs) this.settleLiveDoc.get(doc)?.();
        return docs;
      },
      flush: () => this.flush(),
      now: this.now,
    };
  }

  /**
   * Registers a note's doc as bound to an editor; `settle` writes the editor's
   * edits that are not in the doc yet. Returns the disposer.
   */
  addLiveDoc(noteId: string, doc: Y.Doc, settle: () => void = () => {}): () => void {
    let docs = this.liveDocs.get(noteId);
    if (!docs) this.liveDocs.set(noteId, (docs = new Set()));
    docs.add(doc);
    this.settleLiveDoc.set(doc, settle);
    return () => {
      this.settleLiveDoc.delete(doc);
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
    await this.index.flush();
  }

  async destroy(): Promise<void> {
    await this.index.dispose();
  }
}

export type NotePhase = 'loading' | 'ready';
export type NoteState = {
  phase: NotePhase;
  /** offline / looking for peers / connected. */
  sync: SyncStatus;
  /** Connected peers (other devices and tabs). */
  peerCount: number;
  /** What the store-and-forward relay holds of the note (null: no relay here). */
  relay: RelayStatus | null;
  /** Whether the note is shared (its link was shared from here or opened here, and not stopped). */
  shared: boolean;
  /** What the peer connections are doing, for the status and "Connection details" (null: not known). */
  connection: ConnectionDetails | null;
  /** Who else has the note open, from presence (validated, untrusted input). */
  peers: readonly PresencePeer[];
  /** The colour other peers see for this user's cursor. */
  selfColor: string;
  /**
   * The note's plain text when the editor cannot draw it (shown read-only in
   * its place, see NoteEditor's `fallbackText`); null while the editor works.
   */
  fallbackText: string | null;
  /** This device holds the note through a view-only link: the editor is read-only, nothing it writes is sent. */
  viewOnly: boolean;
};

/** What one `bind` set up: the editor, its doc and binding, and the note's versions. */
interface Mount {
  readonly editor: LexicalEditor;
  readonly doc: Y.Doc;
  readonly collab: DocBinding;
  readonly versions: NoteVersions;
  /** Content too deep to repair was found: the binding is gone, the editor read-only (see repairStoredNote). */
  quarantined: boolean;
  /** The note's link to peers and the relay. */
  sync: SyncLink | null;
}

/** One mount of one note: owns that mount's Y.Doc, binding and storage attachment. */
export class NoteSession {
  readonly state = new Signal<NoteState>({
    phase: 'loading',
    sync: 'offline',
    peerCount: 0,
    relay: null,
    shared: false,
    connection: null,
    peers: [],
    selfColor: 'transparent',
    fallbackText: null,
    viewOnly: false,
  });
  /** The current mount (null between mounts). */
  private mount: Mount | null = null;
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
      this.setState({ fallbackText: text ?? this.carried?.text ?? '' });
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
    const collab = this.mount?.collab;
    if (collab?.renderFailed === true && !collab.rebuildView()) return false;
    if (this.state.get().fallbackText !== null) {
      this.setState({ fallbackText: null });
      this.app.dismissAlert(displayAlertKey(this.noteId));
    }
    return true;
  };

  constructor(
    private readonly app: WeftApp,
    readonly noteId: string,
  ) {}

  /** The note as a standalone HTML document (for export), or null when it was never opened. */
  html(title: string): string | null {
    return this.readDoc((doc) => docHtmlDocument(doc, title));
  }

  /** The note as Markdown (for export), or null when it was never opened. */
  markdown(): string | null {
    return this.readDoc(docMarkdown);
  }

  /**
   * The note's title as of now: the one the user set, else the current first
   * line (the list's copy of it may be up to one refresh behind the typing).
   */
  currentTitle(): string {
    const entry = this.app.index.peek(this.noteId);
    const explicit = entry?.explicitTitle?.trim();
    if (explicit) return explicit;
    const firstLine = this.readDoc((doc) => noteLeadingText(doc, 0).firstLine.trim());
    return firstLine || entry?.title || 'Untitled';
  }

  /** The note's edit link, or null when the note is not in the index or is held view-only here. */
  shareLink(origin: string): string | null {
    const secret = this.app.index.peek(this.noteId)?.secret;
    return secret && isShareSecret(secret) ? formatShareLink(origin, this.noteId, secret) : null;
  }

  /**
   * The note's links: `edit` (null when held view-only here) and `view` (the read key and
   * public key derived from the capability, noteKeys.ts). Null when the note is not in the index.
   */
  async shareLinks(origin: string): Promise<{ readonly edit: string | null; readonly view: string } | null> {
    const secret = this.app.index.peek(this.noteId)?.secret;
    if (!secret) return null;
    const keys = await deriveNoteKeys(this.noteId, secret);
    return { edit: this.shareLink(origin), view: formatViewLink(origin, this.noteId, keys.readKey, keys.publicKey) };
  }

  /** Starts keeping the note on the relay (the user opened the share dialog). */
  share(): void {
    const relay = this.mount?.sync?.relay();
    if (relay) relay.share();
    else this.app.sharing(this.noteId).set(true);
    this.setState({ shared: true });
  }

  /** "Try again" in the connection details: reconnect signaling, drop what never opened, look for peers again. */
  retryConnection(): void {
    this.mount?.sync?.retry();
  }

  /**
   * "Stop sharing": deletes the note from the relay and stops keeping it there. Peers
   * with the link keep what they have. Rejects with a message for the user.
   */
  async stopSharing(): Promise<void> {
    const relay = this.mount?.sync?.relay();
    this.app.sharing(this.noteId).set(false);
    this.setState({ shared: false });
    if (!relay) return;
    try {
      await relay.unshare();
    } catch (error) {
      throw new Error(`The relay could not delete this note: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * "Revoke links": gives the note a fresh secret, so every link handed out so far (edit and
   * view) names a room this device no longer joins and a relay room it deleted; this device
   * keeps editing under the new secret, and the new links work. What it cannot do: take back
   * what old holders already have, or stop old holders from editing their copies among
   * themselves (README, "Revoking links"). Rejects with a message for the user.
   */
  async revokeLinks(): Promise<void> {
    const mount = this.mount;
    const sync = mount?.sync;
    if (!mount || !sync) throw new Error('Open the note to revoke its links.');
    const secret = this.app.index.peek(this.noteId)?.secret;
    if (!secret || !isShareSecret(secret)) throw new Error('Only an editor of this note can revoke its links.');
    const sharing = this.app.sharing(this.noteId);
    const wasShared = sharing.shared();
    // The old relay room goes (signed with the old key); offline, it keeps what it had, which old holders have anyway.
    await sync.relay()?.unshare().catch(() => undefined);
    try {
      await this.app.index.rekey(this.noteId);
    } finally {
      // Restarted (and shared again) even when the new secret could not be stored: nothing stays stopped.
      sync.restart();
      if (wasShared) this.share();
    }
  }

  /** This note's stored versions, newest first. */
  listVersions(): Promise<VersionMeta[]> {
    return this.app.versions.list(this.noteId);
  }

  /**
   * The history as the History dialog shows it: the open note's changes since its newest
   * version recorded first (naming who made them while their presence is known), then the
   * stored versions, newest first.
   */
  async historyNow(): Promise<VersionMeta[]> {
    const mount = this.mount;
    if (mount && !mount.quarantined) {
      this.commitEdits(mount);
      await mount.versions.recorder.recordIfChanged('periodic').catch(() => undefined);
    }
    return this.listVersions();
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
    // What was just typed is in the version recorded first, and an undo step of its own.
    if (this.mount) this.commitEdits(this.mount);
    await this.mount?.versions.recorder.recordIfChanged('before-restore');
    const mount = this.mount;
    if (!mount) throw new Error('The note is not open.');
    const { collab, doc, editor } = mount;
    // Its own undo step, never merged with the typing just before it.
    collab.undoManager.stopCapturing();
    if (collab.renderFailed) {
      // The editor cannot draw the current note, so its diff is not there to
      // write the restore: write it in Yjs, then draw the restored note.
      replaceDocContent(doc, state, collab.origin);
      this.retryDisplay();
    } else {
      replaceEditorContent(editor, readNoteState(state).json);
    }
    collab.undoManager.stopCapturing();
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
    const alert = (key: string, message: string) => app.alert(key, message);
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    // Mutable on purpose: the binding reads name/colour on every focus change.
    const user = { name: app.displayName.get(), color: colorForClient(doc.clientID) };
    // A display error the binding could not recover from: see displayError.
    let showingText = false;
    // Presence proven by this browser's device key, and the verified devices of peers (PresenceIdentities.ts).
    const identities = new PresenceIdentities({ awareness, noteId, identity: app.deviceIdentity(), name: () => app.displayName.get() });
    const collab = bindEditorToDoc(editor, doc, {
      awareness,
      user,
      cursorsContainer: context.cursorsContainer,
      // A caret says what the people list says: verified, "(unverified)", or nothing (forged).
      cursorLabel: (clientId, state) => {
        const peer = judgePeer(clientId, state, identities.verdictOf(clientId));
        return peer && peerLabel(peer);
      },
      onSyncError: (error) => this.displayError(error, 'redrawn'),
      ...(app.afterPaint ? { deferLocalWrites: app.afterPaint } : {}),
      onRenderFailure: (error) => {
        showingText = true;
        this.displayError(error, 'failed', noteText(doc));
      },
    });
    applySeed(doc);
    const persisted = app.store.open(noteDocName(noteId), doc);
    // Applied as if read from storage: it is (or is about to be) stored.
    if (this.carried !== null) Y.applyUpdate(doc, this.carried.state, ORIGIN_STORAGE);
    this.setState({ selfColor: user.color, shared: app.sharing(noteId).shared() });

    const versions = new NoteVersions({
      versions: app.versions,
      noteId,
      doc,
      now: app.now,
      intervalMs: app.versionIntervalMs,
      loaded: persisted.whenLoaded,
      onError: (message) => alert('versions', message),
      authorOf: (clientId) => {
        const device = identities.deviceOf(clientId);
        return device && { name: sanitizeDisplayName(device.name), fingerprint: device.fingerprint, key: device.key };
      },
    });
    const mount: Mount = { editor, doc, collab, versions, quarantined: false, sync: null };
    this.mount = mount;
    const presence = new PresenceLink({
      awareness,
      displayName: app.displayName,
      user,
      peers: () => this.state.get().peers,
      onPeers: (peers) => {
        this.setState({ peers });
        // Carets are labelled from the same verdicts (cursorLabel above): redrawn when the list says
        // something else, not on every re-signed proof (a redraw lays out the whole note).
        collab.redrawCursors();
      },
      identities,
    });
    const refresher = new IndexRefresher({
      index: app.index,
      noteId,
      doc,
      now: app.now,
      settle: () => this.commitEdits(mount),
    });
    const fallback = new FallbackTextFeed({
      doc,
      showing: () => showingText && collab.renderFailed && this.state.get().fallbackText !== null,
      publish: (fallbackText) => this.setState({ fallbackText }),
    });
    const eviction = new EvictionWatch({ index: app.index, noteId, doc, alert });
    const sync = new SyncLink({
      noteId,
      doc,
      awareness,
      secret: () => app.index.peek(noteId)?.secret,
      // The binding sees every peer's update before it is applied (DocBinding.beforeRemoteUpdate).
      connect: (...args) => app.connect(...args, { beforeApply: (update) => collab.beforeRemoteUpdate(update) }),
      onStatus: (status, peerCount, relay) => {
        if (relay?.problem && relay.problem !== this.state.get().relay?.problem) alert(relayAlertKey(noteId), relay.problem);
        this.setState({ sync: status, peerCount, relay, shared: app.sharing(noteId).shared() });
      },
      onConnection: (connection) => this.setState({ connection }),
      onPeer: () => app.pendingShares.confirm(noteId),
      onError: (message) => alert('sync', message),
    });
    mount.sync = sync;
    // `app.flush()`: the pending list refresh, queued writes, and version saves under way.
    const flush = async () => {
      refresher.flush();
      await Promise.all([persisted.flush(), versions.flush()]);
    };

    presence.start();
    fallback.start();
    versions.start();
    app.flushers.add(flush);
    const untrackView = app.pendingShares.trackView(noteId);
    const disposers = [
      persisted.onError((e) => alert('storage', storageErrorMessage(e))),
      // "Hide my IP address" changed: every connection is made again under the new policy.
      app.hideIpAddress.subscribe(() => sync.retry({ reconnectAll: true })),
      app.addLiveDoc(noteId, doc, () => this.commitEdits(mount)), // live backup imports
      () => app.flushers.delete(flush),
      () => presence.dispose(),
      () => fallback.dispose(),
      () => versions.dispose(),
      () => eviction.dispose(),
      () => refresher.dispose(),
    ];

    let disposed = false;
    const loaded = (error: StorageError | null) => {
      if (disposed) return;
      // A view-only capability: read-only (Lexical marks the editor aria-readonly); what is
      // typed anyway (a forced editor) stays on this device, since nothing unsigned is sent.
      const capability = app.index.peek(noteId)?.secret;
      const viewOnly = capability !== undefined && !isShareSecret(capability);
      if (viewOnly) editor.setEditable(false);
      this.setState({ viewOnly });
      const check = repairStoredNote(doc, noteId, alert);
      // What the editor could not draw before the repair (2,000 nested quotes
      // overflow Lexical's recursive rendering) it can now.
      if (check.repaired && collab.renderFailed) this.retryDisplay();
      if (check.quarantined) this.quarantine(mount);
      if (error !== null) {
        // The note stays editable in memory; the alert says it is not being saved.
        alert('storage', storageErrorMessage(error));
      } else if (holdsMoreThanSeed(doc)) {
        // The list entry may be behind the content (the page died before its
        // refresh was written): catch up, keeping the last-edit time.
        refresher.refresh(0);
      } else {
        // Seed only although the list remembers text: storage was cleared.
        void eviction.start();
      }
      this.setState({ phase: 'ready' });
      refresher.start();
      if (!mount.quarantined) sync.start();
    };
    // The note's list entry is read while the doc loads (its share secret is needed once sync
    // starts); a failure to read it is the list's problem, reported there, not the note's.
    const entryRead = app.index.get(noteId).catch(() => undefined);
    persisted.whenLoaded.then(
      () => entryRead.then(() => loaded(null)),
      (error: unknown) => entryRead.then(() => loaded(asStorageError(error))),
    );

    return () => {
      // Structs under this mount's own client id = the user edited the note here.
      if (doc.store.clients.has(doc.clientID)) app.pendingShares.confirm(noteId);
      untrackView();
      // Keystrokes Lexical has not committed yet reach the doc (and storage)
      // before it is unbound, and their title reaches the list.
      this.commitEdits(mount);
      refresher.flush();
      disposed = true;
      if (this.mount === mount) this.mount = null;
      if (!mount.quarantined) {
        this.carried = { state: Y.encodeStateAsUpdate(doc), text: noteText(doc) };
        // The error boundary may have reported its failure before this
        // cleanup ran (React unmounts effects after the commit): show the latest.
        if (this.state.get().fallbackText !== null) this.setState({ fallbackText: this.carried.text });
      }
      for (const dispose of disposers.splice(0)) dispose();
      sync.dispose();
      if (!mount.quarantined) collab.dispose();
      awareness.destroy();
      // Let pending writes land before the doc goes away.
      void persisted
        .destroy()
        .catch((e: unknown) => alert('storage', storageErrorMessage(asStorageError(e))))
        .finally(() => doc.destroy());
    };
  };

  private setState(change: Partial<NoteState>): void {
    this.state.set({ ...this.state.get(), ...change });
  }

  /**
   * Writes the editor's edits that are not in the doc yet (keystrokes Lexical
   * has not committed, and those waiting for the frame after them), so they
   * reach the doc (and storage) before the doc is read or unbound. Not for an editor that
   * cannot draw the note or lost its binding; an editor broken enough to
   * throw here has nothing to add.
   */
  private commitEdits(mount: Mount): void {
    if (mount.quarantined || mount.collab.renderFailed) return;
    mount.collab.writeLocalEdits();
  }

  /** Unbinds a note too deep to repair: never edited here, never synced (repairStoredNote said so). */
  private quarantine(mount: Mount): void {
    mount.quarantined = true;
    mount.collab.dispose();
    mount.editor.setEditable(false);
    // The editor may already have failed to draw it (that is how 20,000
    // levels end): the quarantine message says what happened instead.
    this.app.dismissAlert(displayAlertKey(this.noteId));
    if (this.state.get().fallbackText !== null) this.setState({ fallbackText: null });
  }

  /**
   * Runs `read` on the note's doc: the mounted one (with the editor's
   * pending keystrokes committed), else a copy of what the last mount held.
   * Null when the note was never opened in this session.
   */
  private readDoc<T>(read: (doc: Y.Doc) => T): T | null {
    const mount = this.mount;
    if (mount) {
      this.commitEdits(mount);
      return read(mount.doc);
    }
    if (!this.carried) return null;
    const doc = new Y.Doc();
    try {
      Y.applyUpdate(doc, this.carried.state);
      return read(doc);
    } finally {
      doc.destroy();
    }
  }
}

function asStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  return new StorageError('unknown', error instanceof Error ? error.message : String(error), { cause: error });
}
