import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import type { BackupProgress } from '../app/backupFiles';
import type { WeftApp } from '../app/session';
import { downloadBlob } from './downloadFile';

const ALERT_KEY = 'backup';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError';

const PHASE_TEXT: Record<BackupProgress['phase'], string> = {
  saving: 'Backing up',
  checking: 'Checking the backup:',
  restoring: 'Restoring',
};

/** A running backup or restore: what it is, how far it got, and how to stop it. */
interface Job {
  readonly label: 'Backup progress' | 'Restore progress';
  readonly controller: AbortController;
  readonly progress: BackupProgress | null;
}

/**
 * "Back up all notes" (downloads one file with every note's Yjs state) and
 * "Restore from backup" (merges such a file in; nothing is overwritten).
 * Both go note by note, with a progress bar and a Cancel button.
 */
export function BackupMenu({ app, disabled }: { app: WeftApp; disabled: boolean }) {
  const [status, setStatus] = useState('');
  const [job, setJob] = useState<Job | null>(null);
  const jobRef = useRef<Job | null>(null);
  // Leaving the page (unmount) stops a running job after the note in hand.
  useEffect(() => () => jobRef.current?.controller.abort(), []);

  const start = (label: Job['label']) => {
    const next: Job = { label, controller: new AbortController(), progress: null };
    jobRef.current = next;
    setJob(next);
    setStatus('');
    return {
      signal: next.controller.signal,
      onProgress: (progress: BackupProgress) => setJob((current) => (current === null ? null : { ...current, progress })),
    };
  };
  const finish = () => {
    jobRef.current = null;
    setJob(null);
  };

  const backUp = async () => {
    const run = start('Backup progress');
    try {
      const file = await app.backup(run);
      const day = new Date(app.now()).toISOString().slice(0, 10);
      downloadBlob(`weft-backup-${day}.jsonl`, file);
      app.dismissAlert(ALERT_KEY);
      setStatus('Backup saved.');
    } catch (e) {
      if (isAbort(e)) setStatus('Backup cancelled; no file was saved.');
      else app.alert(ALERT_KEY, `The backup could not be made: ${errorText(e)}`);
    } finally {
      finish();
    }
  };

  const restore = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    // Reset, so choosing the same file again still fires `change`.
    input.value = '';
    if (!file) return;
    const run = start('Restore progress');
    try {
      const result = await app.restoreBackup(file, run);
      if (result.ok) {
        app.dismissAlert(ALERT_KEY);
        setStatus(`Restored ${result.notes.toLocaleString('en-US')} ${result.notes === 1 ? 'note' : 'notes'} from the backup.`);
      } else {
        app.alert(ALERT_KEY, result.error);
      }
    } catch (e) {
      app.alert(ALERT_KEY, `The backup could not be restored: ${errorText(e)}`);
    } finally {
      finish();
    }
  };

  const busy = job !== null;
  const progress = job?.progress;
  const progressText = progress
    ? `${PHASE_TEXT[progress.phase]} ${progress.done.toLocaleString('en-US')} of ${progress.total.toLocaleString('en-US')} notes`
    : 'Starting';
  return (
    <div className="backup-menu">
      <span role="status" className="small muted">
        {status}
      </span>
      {job && (
        <>
          <progress
            aria-label={job.label}
            aria-valuetext={progressText}
            max={progress && progress.total > 0 ? progress.total : 1}
            value={progress ? progress.done : 0}
          />
          <span className="small muted">{progressText}</span>
          <button type="button" onClick={() => job.controller.abort()}>
            Cancel
          </button>
        </>
      )}
      <button type="button" onClick={() => void backUp()} disabled={disabled || busy}>
        Back up all notes
      </button>
      <label className={`file-button${disabled || busy ? ' disabled' : ''}`}>
        Restore from backup
        <input
          type="file"
          accept=".jsonl,.json,application/x-ndjson,application/json"
          className="visually-hidden"
          disabled={disabled || busy}
          onChange={(e) => void restore(e)}
        />
      </label>
    </div>
  );
}
