/** Props of {@link PlainTextNote}. */
type Props = {
  /** The note's plain text (one line per block). */
  readonly text: string;
  /** Tries to show the note in the editor again. */
  readonly onRetry: () => void;
};

/**
 * A note's text, read-only, shown in place of the editor when the editor
 * cannot draw the note (see EditorErrorBoundary and the binding's
 * `onRenderFailure`). Same accessible name as the editor ("Note"), marked
 * read-only, so the user still sees, selects and copies every word.
 */
export function PlainTextNote({ text, onRetry }: Props) {
  return (
    <div className="weft-editor__plain">
      <div
        className="weft-editor__content weft-editor__plain-text"
        role="textbox"
        aria-label="Note"
        aria-multiline="true"
        aria-readonly="true"
        tabIndex={0}
      >
        {text}
      </div>
      <p className="weft-editor__plain-actions">
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      </p>
    </div>
  );
}
