import { useCallback, useEffect, useRef, useState } from 'react';
import { noteHref, parseRoute } from '../app/route';
import type { WeftApp } from '../app/session';
import { OnlineStatus } from '../pwa/OnlineStatus';
import { StorageStatus } from '../pwa/StorageStatus';
import { UpdatePrompt } from '../pwa/UpdatePrompt';
import { parseShareFragment } from '../sync/shareLink';
import { Alerts } from './Alerts';
import { BackupMenu } from './BackupMenu';
import { NotePage } from './NotePage';
import { NotesList } from './NotesList';
import { navigate, useHash } from './useRoute';
import { useNotes } from './useNotes';
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
  const notes = useNotes(app.index, query);
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
  const activeId = route.kind === 'note' ? route.noteId : null;
  const active = activeId && ready ? app.index.get(activeId) : undefined;

  const createNote = useCallback(() => {
    const id = app.index.create();
    navigate(noteHref(id));
  }, [app]);

  const deleteNote = useCallback(
    (noteId: string) => {
      const title = app.index.get(noteId)?.title ?? 'Note';
      app.index.remove(noteId);
      navigate('', { replace: true });
      toastRef.current?.expire();
      setToast({
        key: noteId,
        message: `Deleted “${title}”.`,
        undo: () => {
          app.index.restore(noteId);
          navigate(noteHref(noteId));
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
    if (app.index.addShared(parsed.noteId, parsed.secret, app.now())) app.pendingShares.mark(parsed.noteId);
    navigate(noteHref(parsed.noteId), { replace: true });
  }, [app, shareFragment, ready]);

  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="#/">
          Weft
        </a>
        <div className="header-status">
          <OnlineStatus />
          <StorageStatus />
        </div>
        {/* Backup and restore of all notes (issue 5, "Getting work back"). */}
        <BackupMenu app={app} disabled={!ready} />
        <button type="button" className="primary" onClick={createNote} disabled={!ready}>
          New note
        </button>
      </header>
      <Alerts app={app} />
      <div className="layout">
        <aside className="sidebar">
          <input
            type="search"
            className="search"
            aria-label="Search notes"
            placeholder="Search notes"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <NotesList notes={notes} activeId={activeId} query={query} now={app.now()} />
        </aside>
        <main className="content">
          {!ready ? (
            <p className="muted">Loading your notes…</p>
          ) : active ? (
            <NotePage key={active.id} app={app} note={active} onDelete={deleteNote} />
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
