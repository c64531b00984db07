import { noteHref } from '../app/route';
import type { NoteSummary } from '../doc/notesIndex';
import { formatRelativeTime } from './formatRelativeTime';

type Props = { notes: NoteSummary[]; activeId: string | null; query: string; now: number };

/**
 * The navigation landmark "Notes": one link per note, named by its title only
 * (the last-edit time sits outside the link so it does not change the name).
 */
export function NotesList({ notes, activeId, query, now }: Props) {
  return (
    <nav aria-label="Notes" className="notes-list">
      {notes.length === 0 ? (
        <p className="muted">{query ? 'No notes match your search.' : 'No notes yet.'}</p>
      ) : (
        <ul>
          {notes.map((note) => (
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
    </nav>
  );
}
