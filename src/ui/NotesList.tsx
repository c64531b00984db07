import { noteHref } from '../app/route';
import type { NoteSummary } from '../doc/noteEntry';
import { formatRelativeTime } from './formatRelativeTime';

/**
 * List entries read and drawn at first, and added per "Show more notes". The
 * list is read again on every stored change (typing refreshes it), so reading
 * and drawing all of 10,000 notes would cost in proportion to the notes on
 * every refresh and at start-up; the newest ones are the ones looked for,
 * search finds the rest.
 */
export const NOTES_PAGE_SIZE = 100;

type Props = {
  /** The first page(s) of the list, as read (at most what is to be drawn). */
  notes: readonly NoteSummary[];
  /** How many notes the list (or the search) holds in all. */
  total: number;
  activeId: string | null;
  query: string;
  now: number;
  /** Asks for one more page. */
  onShowMore: () => void;
};

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The navigation landmark "Notes": one link per note, named by its title only
 * (the last-edit time sits outside the link so it does not change the name),
 * the newest first, a page of {@link NOTES_PAGE_SIZE} at a time (the caller reads them).
 */
export function NotesList({ notes: visible, total, activeId, query, now, onShowMore }: Props) {
  return (
    <nav aria-label="Notes" className="notes-list">
      {visible.length === 0 ? (
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
      {visible.length < total && (
        <p className="small muted notes-more">
          Showing {count(visible.length)} of {count(total)} notes.{' '}
          <button type="button" onClick={onShowMore}>
            Show more notes
          </button>
        </p>
      )}
    </nav>
  );
}
