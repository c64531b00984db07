import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { noteHref, parseRoute } from '../app/route';
import { storageErrorMessage } from '../app/messages';
import type { WeftApp } from '../app/session';
import { StorageError } from '../storage/DocStore';
import { OnlineStatus } from '../pwa/OnlineStatus';
import { StorageStatus } from '../pwa/StorageStatus';
import { UpdatePrompt } from '../pwa/UpdatePrompt';
import { parseShareFragment } from '../sync/shareLink';
import { ActionsMenu } from './ActionsMenu';
import { Alerts } from './Alerts';
import { BackupMenu } from './BackupMenu';
import { ImportMarkdownButton } from './ImportMarkdownButton';
import { NotePage } from './NotePage';
import { NOTES_PAGE_SIZE, NotesList, SEARCH_PAGE_SIZE } from './NotesList';
import { navigate, useHash } from './useRoute';
import { useNote } from './useNote';
import { useNotes } from './useNotes';
import { useDismiss } from './useDismiss';
import { useSignal } from './useSignal';
import { UndoToast, type Toast } from './UndoToast';

/** How long a deleted note can be brought back before its data is removed. */
const UNDO_DELETE_MS = 10_000;

/** The whole screen: header, notes list, the open note, alerts and toasts. */
export function App({ app, isShareFragment }: { app: WeftApp; isShareFragment: (hash: string) => boolean }) {
  const ready = useSignal(app.ready);
  const hash = useHash();
  const route = parseRoute(hash, isShareFragment);
  const [query, setQuery] = useState('');
  const [limit, setLimit] = useState(NOTES_PAGE_SIZE);
  const showStorageError = useCallback(
    (error: unknown) =>
      app.alert('storage', storageErrorMessage(error instanceof StorageError ? error : new StorageError('unknown', String(error)))),
    [app],
  );
  // Search results come a smaller first page at a time (see SEARCH_PAGE_SIZE).
  const page = useNotes(app.index, query, query.trim() === '' ? limit : limit - NOTES_PAGE_SIZE + SEARCH_PAGE_SIZE, ready, showStorageError);
  const showMore = useCallback(() => setLimit((n) => n + NOTES_PAGE_SIZE), []);
  const [toast, setToastState] = useState<Toast | null>(null);
  const toastRef = useRef<Toast | null>(null);
  // Showing a new toast (or letting one time out) makes the previous action final.
  const setToast = useCallback((next: Toast | null) => {
    toastRef.current = next;
    setToastState(next);
  }, []);
  const expireToast = useCallback(() => {
    toastRef.current?.expire();
    setToast(null);
  }, [setToast]);
  const undoToast = useCallback(() => {
    toastRef.current?.undo();
    setToast(null);
  }, [setToast]);
  // The notes list is a drawer on narrow screens (app.css); on wide ones this state changes nothing.
  const [drawerOpen, setDrawerOpen] = useState(false);
  const drawerToggle = useRef<HTMLButtonElement>(null);
  const drawer = useRef<HTMLElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const closeDrawer = useCallback(() => setDrawerOpen(false), []);
  useDismiss({ open: drawerOpen, close: closeDrawer, popup: drawer, toggle: drawerToggle });
  useEffect(() => {
    if (drawerOpen) search.current?.focus();
  }, [drawerOpen]);
  // Picking a note closes the drawer; the focus goes back to its button instead of vanishing with it.
  const pickedInDrawer = (event: MouseEvent) => {
    if (!drawerOpen || !(event.target instanceof Element) || event.target.closest('a[href]') === null) return;
    drawerToggle.current?.focus();
    setDrawerOpen(false);
  };

  const activeId = route.kind === 'note' ? route.noteId : null;
  const lookup = useNote(app.index, activeId, ready);
  const active = lookup.status === 'found' ? lookup.note : undefined;

  const createNote = useCallback(() => {
    app.index.create().then((id) => navigate(noteHref(id)), showStorageError);
  }, [app, showStorageError]);

  const deleteNote = useCallback(
    (noteId: string) => {
      const title = app.index.peek(noteId)?.title ?? 'Note';
      void app.index.remove(noteId);
      navigate('', { replace: true });
      toastRef.current?.expire();
      setToast({
        key: noteId,
        message: `Deleted “${title}”.`,
        undo: () => {
          void app.index.restore(noteId).then(() => navigate(noteHref(noteId)));
        },
        expire: () => void app.purgeNote(noteId),
      });
    },
    [app, setToast],
  );

  const routeMessage = route.kind === 'invalid' ? route.message : '';
  useEffect(() => {
    if (route.kind === 'invalid') app.alert('link', routeMessage);
    else if (route.kind !== 'share') app.dismissAlert('link');
  }, [app, route.kind, routeMessage]);

  // Opening a share link: validate it strictly before touching storage or the
  // network, add the note to this device's list, then replace the URL so the
  // secret does not linger in the address bar or the session history.
  const shareFragment = route.kind === 'share' ? route.fragment : null;
  useEffect(() => {
    if (shareFragment === null || !ready) return;
    const parsed = parseShareFragment(shareFragment);
    if (!parsed.ok) {
      // Stay on the link (nothing opened, nothing stored) and say what is wrong with it.
      app.alert('link', parsed.error);
      return;
    }
    app.dismissAlert('link');
    // A new entry stays pending until a peer connects or the user writes (src/app/PendingShares.ts).
    app.index.addShared(parsed.noteId, parsed.secret, app.now()).then((added) => {
      if (added) app.pendingShares.mark(parsed.noteId);
      navigate(noteHref(parsed.noteId), { replace: true });
    }, showStorageError);
  }, [app, shareFragment, ready, showStorageError]);

  return (
    <div className="app">
      <header className="app-header">
        <button
          ref={drawerToggle}
          type="button"
          className="drawer-toggle"
          aria-expanded={drawerOpen}
          aria-controls="notes-drawer"
          onClick={() => setDrawerOpen((open) => !open)}
        >
          Notes
        </button>
        <h1 className="brand">
          <a href="#/">Weft</a>
        </h1>
        <OnlineStatus className="online-status" />
        {/* Folded into "More actions" on narrow screens; it stays open while they run, as they report there. */}
        <ActionsMenu label="More actions" className="header-actions" keepOpenOnPick>
          <StorageStatus className="storage-status" />
          {/* Backup and restore of all notes (issue 5, "Getting work back"). */}
          <BackupMenu app={app} disabled={!ready} />
          <ImportMarkdownButton app={app} disabled={!ready} />
        </ActionsMenu>
        <button type="button" className="primary" onClick={createNote} disabled={!ready}>
          New note
        </button>
      </header>
      <Alerts app={app} />
      <div className="layout">
        {/* Clicks bubble here after the link's own navigation. */}
        <aside ref={drawer} id="notes-drawer" className="sidebar" data-open={drawerOpen} onClick={pickedInDrawer}>
          <input
            ref={search}
            type="search"
            className="search"
            aria-label="Search notes"
            placeholder="Search notes"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            // Loads the full-text index before the first word is typed.
            onFocus={() => void app.index.warmSearch()}
          />
          {page ? (
            <NotesList notes={page.notes} total={page.total} activeId={activeId} query={query} now={app.now()} onShowMore={showMore} />
          ) : (
            <p className="muted">Loading the list…</p>
          )}
        </aside>
        <main className="content">
          {!ready ? (
            <p className="muted">Loading your notes…</p>
          ) : active ? (
            <NotePage key={active.id} app={app} note={active} onDelete={deleteNote} />
          ) : lookup.status === 'loading' && route.kind === 'note' ? (
            <p className="muted">Opening the note…</p>
          ) : route.kind === 'note' ? (
            <div role="alert" className="empty">
              This note is not on this device. It may have been deleted, or the link was opened in another browser.
            </div>
          ) : (
            <div className="empty">
              <p>Notes are saved on this device as you type, and work offline.</p>
              <button type="button" onClick={createNote}>
                Write a note
              </button>
            </div>
          )}
        </main>
      </div>
      <UpdatePrompt />
      {toast && <UndoToast toast={toast} timeoutMs={UNDO_DELETE_MS} onUndo={undoToast} onTimeout={expireToast} />}
    </div>
  );
}
