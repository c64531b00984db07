import type { ListedNote } from '../app/NotesIndex';
import { noteHref } from '../app/route';
import type { SnippetPart } from '../doc/searchSnippet';
import { formatRelativeTime } from './formatRelativeTime';

/**
 * List entries read and drawn at first, and added per "Show more notes". The
 * list is read again on every stored change (typing refreshes it), so reading
 * and drawing all of 10,000 notes would cost in proportion to the notes on
 * every refresh and at start-up; the newest ones are the ones looked for,
 * search finds the rest.
 */
export const NOTES_PAGE_SIZE = 100;

/**
 * Search results read and drawn at first (each "Show more notes" adds {@link NOTES_PAGE_SIZE}):
 * they are ranked, so the first ones are the ones looked for, and a sidebar shows about 20 at a
 * time. Drawing 100 results was most of a query's time at 10,000 notes (bench scenario 16).
 */
export const SEARCH_PAGE_SIZE = 25;

type Props = {
  /** The first page(s) of the list, as read (at most what is to be drawn). */
  notes: readonly ListedNote[];
  /** How many notes the list (or the search) holds in all. */
  total: number;
  activeId: string | null;
  query: string;
  now: number;
  /** Asks for one more page. */
  onShowMore: () => void;
};

const count = (n: number) => n.toLocaleString('en-US');

/** A search result's snippet, the matched words in `<mark>` (React elements: the text is never parsed as HTML). */
function Snippet({ parts }: { parts: readonly SnippetPart[] }) {
  return (
    <p className="snippet small">
      {parts.map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : part.text))}
    </p>
  );
}

/**
 * The navigation landmark "Notes": one link per note, named by its title only
 * (the last-edit time and a search result's snippet sit outside the link so
 * they do not change its name), the newest first or, when searching, the best
 * match first, a page of {@link NOTES_PAGE_SIZE} at a time (the caller reads them).
 * Paging bounds what is drawn: a page is 100 items, whatever the list holds.
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
              {note.snippet && note.snippet.length > 0 && <Snippet parts={note.snippet} />}
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
