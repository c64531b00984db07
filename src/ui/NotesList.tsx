import { useState } from 'react';
import { noteHref } from '../app/route';
import type { NoteSummary } from '../doc/notesIndex';
import { formatRelativeTime } from './formatRelativeTime';

/**
 * List entries drawn at first, and added per "Show more notes". The list is
 * redrawn on every change to the index (typing refreshes it), so drawing all
 * of 10,000 notes would cost in proportion to the notes on every refresh and
 * at start-up; the newest ones are the ones looked for, search finds the rest.
 */
export const NOTES_PAGE_SIZE = 100;

type Props = { notes: NoteSummary[]; activeId: string | null; query: string; now: number };

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The navigation landmark "Notes": one link per note, named by its title only
 * (the last-edit time sits outside the link so it does not change the name),
 * the newest {@link NOTES_PAGE_SIZE} first, more on request.
 */
export function NotesList({ notes, activeId, query, now }: Props) {
  const [shown, setShown] = useState(NOTES_PAGE_SIZE);
  const visible = notes.length > shown ? notes.slice(0, shown) : notes;
  return (
    <nav aria-label="Notes" className="notes-list">
      {notes.length === 0 ? (
        <p className="muted">{query ? 'No notes match your search.' : 'No notes yet.'}</p>
      ) : (
        <ul>
          {visible.map((note) => (
            <li key={note.id} className={note.id === activeId ? 'active' : undefined}>
              <a href={noteHref(note.id)} aria-current={note.id === activeId ? 'page' : undefined}>
                {note.title}
              </a>
              <span className="muted small" aria-hidden="true">
                {formatRelativeTime(note.updatedAt, now)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {visible.length < notes.length && (
        <p className="small muted notes-more">
          Showing {count(visible.length)} of {count(notes.length)} notes.{' '}
          <button type="button" onClick={() => setShown((n) => n + NOTES_PAGE_SIZE)}>
            Show more notes
          </button>
        </p>
      )}
    </nav>
  );
}
