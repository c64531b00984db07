import { useState } from 'react';
import type { WeftApp } from '../app/session';
import { NoteEditor } from '../editor/NoteEditor';
import type { NoteSummary } from '../doc/noteEntry';
import { ActionsMenu } from './ActionsMenu';
import { downloadFile } from './downloadFile';
import { HistoryDialog } from './HistoryDialog';
import { Presence } from './Presence';
import { ShareDialog } from './ShareDialog';
import { useSignal } from './useSignal';

type Props = {
  app: WeftApp;
  note: NoteSummary;
  onDelete: (noteId: string) => void;
};

/**
 * One open note. The parent mounts it with `key={noteId}`: every note gets a
 * fresh session, Y.Doc and editor (the binding cannot be repointed).
 */
export function NotePage({ app, note, onDelete }: Props) {
  const [session] = useState(() => app.openNote(note.id));
  const [links, setLinks] = useState<{ readonly edit: string | null; readonly view: string } | null>(null);
  const [historyOpen, setHistoryOpen] = useState(false);
  const { fallbackText, viewOnly } = useSignal(session.state);

  const exportMarkdown = () => {
    const markdown = session.markdown();
    if (markdown === null) return;
    downloadFile(`${session.currentTitle()}.md`, markdown, 'text/markdown;charset=utf-8');
  };

  const exportHtml = () => {
    const title = session.currentTitle();
    const html = session.html(title);
    if (html === null) return;
    downloadFile(`${title}.html`, html, 'text/html;charset=utf-8');
  };

  return (
    <article className="note-page" aria-label={note.title}>
      <div className="note-header">
        <label className="title-field">
          <span className="visually-hidden">Title</span>
          <input
            type="text"
            value={note.explicitTitle ?? ''}
            placeholder={note.derivedTitle || 'Untitled'}
            onChange={(e) => app.index.rename(note.id, e.target.value.trim() === '' ? null : e.target.value)}
            aria-label="Title"
            maxLength={200}
          />
        </label>
        <div className="note-actions">
          <button type="button" className="primary" onClick={() => {
              if (!viewOnly) session.share();
              void session.shareLinks(window.location.origin).then(setLinks, () => setLinks(null));
            }}>
            Share
          </button>
          {/* Folded into "Note actions" on narrow screens. */}
          <ActionsMenu label="Note actions">
            <button type="button" onClick={() => setHistoryOpen(true)}>
              History
            </button>
            <button type="button" onClick={exportMarkdown}>
              Export Markdown
            </button>
            <button type="button" onClick={exportHtml}>
              Export HTML
            </button>
            <button type="button" className="danger" onClick={() => onDelete(note.id)}>
              Delete note
            </button>
          </ActionsMenu>
        </div>
      </div>
      <Presence app={app} session={session} />
      {viewOnly && (
        <p className="view-only small muted" role="note">
          View only: you opened this note with a view-only link. You see every change live, but cannot edit it.
        </p>
      )}
      <NoteEditor
        bind={session.bind}
        fallbackText={fallbackText}
        onRetry={session.retryDisplay}
        onDisplayError={session.displayError}
      />
      {links && (
        <ShareDialog
          link={links.edit}
          viewLink={links.view}
          onClose={() => setLinks(null)}
          {...(links.edit !== null
            ? {
                onStopSharing: () => session.stopSharing(),
                onRevoke: async () => {
                  await session.revokeLinks();
                  setLinks(await session.shareLinks(window.location.origin));
                },
              }
            : {})}
        />
      )}
      {historyOpen && <HistoryDialog session={session} now={app.now} onClose={() => setHistoryOpen(false)} />}
    </article>
  );
}
