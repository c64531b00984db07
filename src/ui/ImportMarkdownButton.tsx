import { useRef, useState, type ChangeEvent } from 'react';
import { noteHref } from '../app/route';
import type { WeftApp } from '../app/session';
import { navigate } from './useRoute';

const ALERT_KEY = 'import';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * "Import Markdown": a button that opens the file picker (one or more `.md`
 * files); each file becomes a note, and the first one opens. A bad file
 * imports nothing and the alert names it (src/app/importMarkdown.ts).
 */
export function ImportMarkdownButton({ app, disabled }: { app: WeftApp; disabled: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  const importFiles = async (event: ChangeEvent<HTMLInputElement>) => {
    const target = event.currentTarget;
    const files = [...(target.files ?? [])];
    // Reset, so choosing the same files again still fires `change`.
    target.value = '';
    if (files.length === 0) return;
    setBusy(true);
    setStatus('Importing…');
    try {
      const result = await app.importMarkdown(files);
      if (result.ok) {
        app.dismissAlert(ALERT_KEY);
        const n = result.noteIds.length;
        setStatus(`Imported ${n} ${n === 1 ? 'note' : 'notes'}.`);
        const [first] = result.noteIds;
        if (first !== undefined) navigate(noteHref(first));
      } else {
        setStatus('');
        app.alert(ALERT_KEY, result.error);
      }
    } catch (error) {
      setStatus('');
      app.alert(ALERT_KEY, `The Markdown files could not be imported: ${errorText(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <span role="status" className="small muted">
        {status}
      </span>
      <button type="button" onClick={() => input.current?.click()} disabled={disabled || busy}>
        Import Markdown
      </button>
      {/* Opened by the button: one control, with the button's name, for everyone. */}
      <input
        ref={input}
        type="file"
        multiple
        accept=".md,.markdown,text/markdown"
        hidden
        aria-hidden="true"
        tabIndex={-1}
        onChange={(e) => void importFiles(e)}
      />
    </>
  );
}
