import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { toLinkUrl } from './safeUrl';

type LinkFormProps = {
  /** The URL of the link being edited, or '' for a new link. */
  readonly initialUrl: string;
  /** Whether the selection is in a link (offers "Remove link"). */
  readonly canRemove: boolean;
  /** Called with a safe, normalized URL. */
  readonly onSubmit: (url: string) => void;
  readonly onRemove: () => void;
  readonly onCancel: () => void;
};

/**
 * Small inline form for adding, changing or removing a link. Accepts what
 * people type (`example.com`, `me@example.com`) and refuses anything that would
 * not render as a clickable link, saying why, instead of storing a dead link.
 */
export function LinkForm({ initialUrl, canRemove, onSubmit, onRemove, onCancel }: LinkFormProps) {
  const [value, setValue] = useState(initialUrl);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const errorId = useId();

  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const url = toLinkUrl(value);
    if (url === null) {
      setError('Use a web address (http or https) or an email address.');
      return;
    }
    onSubmit(url);
  };

  return (
    <form
      className="weft-editor__link-form"
      aria-label="Link"
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <input
        ref={inputRef}
        type="text"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        aria-label="Link URL"
        placeholder="https://…"
        value={value}
        aria-invalid={error !== null}
        aria-describedby={error === null ? undefined : errorId}
        onChange={(event) => {
          setValue(event.target.value);
          setError(null);
        }}
      />
      <button type="submit">Apply</button>
      {canRemove && (
        <button type="button" onClick={onRemove}>
          Remove link
        </button>
      )}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {error !== null && (
        <p id={errorId} className="weft-editor__link-error" role="status">
          {error}
        </p>
      )}
    </form>
  );
}
