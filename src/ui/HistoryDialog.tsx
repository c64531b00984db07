import { useEffect, useState } from 'react';
import type { NoteSession } from '../app/session';
import type { VersionMeta, VersionReason } from '../storage/VersionStore';
import { formatRelativeTime } from './formatRelativeTime';
import { useModalDialog } from './useModalDialog';

type Props = { session: NoteSession; now: () => number; onClose: () => void };

/** How each reason reads in the list. */
const REASON_LABELS: Readonly<Record<VersionReason, string>> = {
  open: 'Opened',
  periodic: 'While editing',
  'before-restore': 'Before a restore',
  'before-remote-removal': 'Before a large deletion from elsewhere',
};

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The note's version history: the stored versions (newest first), each with
 * who made it (display name and device key fingerprint, verified), a
 * read-only preview of the selected one, "Pin this version" / "Unpin this
 * version" (pinned versions are never pruned), and "Restore this version",
 * which puts it back as a new edit (synced to peers, undoable) and closes.
 */
export function HistoryDialog({ session, now, onClose }: Props) {
  const dialog = useModalDialog();
  const [versions, setVersions] = useState<VersionMeta[] | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [preview, setPreview] = useState<{ id: number; text: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    session.historyNow().then(
      (list) => live && setVersions(list),
      (e: unknown) => live && setError(`The version history could not be read: ${errorText(e)}`),
    );
    return () => {
      live = false;
    };
  }, [session]);

  useEffect(() => {
    if (selected === null) return;
    let live = true;
    session.readVersion(selected).then(
      (content) => live && setPreview({ id: selected, text: content?.text ?? null }),
      (e: unknown) => live && setError(`This version could not be read: ${errorText(e)}`),
    );
    return () => {
      live = false;
    };
  }, [session, selected]);

  const togglePin = async (version: VersionMeta) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await session.pinVersion(version.id, !version.pinned);
      setVersions((list) => list?.map((v) => (v.id === updated.id ? updated : v)) ?? list);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const restore = async () => {
    if (selected === null) return;
    setBusy(true);
    try {
      await session.restoreVersion(selected);
      onClose();
    } catch (e) {
      setError(`The version could not be restored: ${errorText(e)}`);
      setBusy(false);
    }
  };

  const at = now();
  const shown = preview !== null && preview.id === selected ? preview : null;
  const selectedVersion = versions?.find((v) => v.id === selected) ?? null;
  return (
    <dialog ref={dialog} className="share-dialog history-dialog" aria-labelledby="history-title" onClose={onClose}>
      <h2 id="history-title">Version history</h2>
      <p className="muted small">
        Versions are kept on this device. Restoring one replaces the note’s content as a new edit: everyone sharing the
        note gets it, and Undo takes it back. Pinned versions are never removed to make room.
      </p>
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
      {versions === null ? (
        <p className="muted">Loading versions…</p>
      ) : versions.length === 0 ? (
        <p className="muted">No versions yet. A version is kept when you open a note and every few minutes while you edit.</p>
      ) : (
        <fieldset className="history-list">
          <legend className="visually-hidden">Versions</legend>
          {versions.map((v) => (
            <label key={v.id} className={`history-item${v.id === selected ? ' selected' : ''}`}>
              <input type="radio" name="version" checked={v.id === selected} onChange={() => setSelected(v.id)} />
              <span className="history-meta">
                <time dateTime={new Date(v.at).toISOString()} title={new Date(v.at).toLocaleString()}>
                  {formatRelativeTime(v.at, at)}
                </time>
                {' · '}
                {REASON_LABELS[v.reason]}
                {v.pinned && (
                  <>
                    {' · '}
                    <strong className="history-pinned">Pinned</strong>
                  </>
                )}
              </span>
              {v.authors.length > 0 && (
                <span className="history-authors">
                  {'by '}
                  {v.authors.map((author, i) => (
                    <span key={author.key} className="history-author" title="Verified: the device key's signature checked out">
                      {i > 0 && ', '}
                      {author.name} ({author.fingerprint}, verified)
                    </span>
                  ))}
                </span>
              )}
              <span className="history-preview">{v.preview || '(empty)'}</span>
            </label>
          ))}
        </fieldset>
      )}
      {selected !== null && (
        // Focusable: a long version scrolls, and a keyboard must be able to scroll it.
        <section className="history-text" aria-label="Version preview" tabIndex={0}>
          {shown === null ? (
            <p className="muted">Loading…</p>
          ) : shown.text === null ? (
            <p className="muted">This version is no longer stored.</p>
          ) : (
            <pre>{shown.text}</pre>
          )}
        </section>
      )}
      <div className="dialog-actions history-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
        {selectedVersion && (
          <button type="button" disabled={busy} onClick={() => void togglePin(selectedVersion)}>
            {selectedVersion.pinned ? 'Unpin this version' : 'Pin this version'}
          </button>
        )}
        <button
          type="button"
          className="primary"
          disabled={busy || shown === null || shown.text === null}
          onClick={() => void restore()}
        >
          Restore this version
        </button>
      </div>
    </dialog>
  );
}
