import { useState, type ChangeEvent } from 'react';
import type { WeftApp } from '../app/session';
import { MAX_BACKUP_FILE_BYTES } from '../doc/backup';
import { downloadFile } from './downloadFile';

const ALERT_KEY = 'backup';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * "Back up all notes" (downloads one JSON file with every note's Yjs state)
 * and "Restore from backup" (merges such a file in; nothing is overwritten).
 */
export function BackupMenu({ app, disabled }: { app: WeftApp; disabled: boolean }) {
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  const backUp = async () => {
    setBusy(true);
    try {
      const text = await app.backup();
      const day = new Date(app.now()).toISOString().slice(0, 10);
      downloadFile(`weft-backup-${day}.json`, text, 'application/json');
      app.dismissAlert(ALERT_KEY);
      setStatus('Backup saved.');
    } catch (e) {
      app.alert(ALERT_KEY, `The backup could not be made: ${errorText(e)}`);
      setStatus('');
    } finally {
      setBusy(false);
    }
  };

  const restore = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    // Reset, so choosing the same file again still fires `change`.
    input.value = '';
    if (!file) return;
    setStatus('');
    if (file.size > MAX_BACKUP_FILE_BYTES) {
      app.alert(ALERT_KEY, 'This file is too large to be a Weft backup; nothing was restored.');
      return;
    }
    setBusy(true);
    try {
      const result = await app.restoreBackup(await file.text());
      if (result.ok) {
        app.dismissAlert(ALERT_KEY);
        setStatus(`Restored ${result.notes} ${result.notes === 1 ? 'note' : 'notes'} from the backup.`);
      } else {
        app.alert(ALERT_KEY, result.error);
      }
    } catch (e) {
      app.alert(ALERT_KEY, `The backup could not be restored: ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="backup-menu">
      <span role="status" className="small muted">
        {status}
      </span>
      <button type="button" onClick={() => void backUp()} disabled={disabled || busy}>
        Back up all notes
      </button>
      <label className={`file-button${disabled || busy ? ' disabled' : ''}`}>
        Restore from backup
        <input
          type="file"
          accept="application/json,.json"
          className="visually-hidden"
          disabled={disabled || busy}
          onChange={(e) => void restore(e)}
        />
      </label>
    </div>
  );
}
