import { useEffect } from 'react';

export type Toast = {
  key: string;
  message: string;
  /** Called when the user clicks Undo. */
  undo: () => void;
  /** Called when the undo window closes without Undo. */
  expire: () => void;
};

/**
 * A status message with an Undo button, e.g. after deleting a note. The
 * timer only calls `onTimeout`; the owner decides what expiry means, so a
 * remount (StrictMode, HMR) never makes an action final by accident.
 */
export function UndoToast({ toast, timeoutMs, onUndo, onTimeout }: {
  toast: Toast;
  timeoutMs: number;
  onUndo: () => void;
  onTimeout: () => void;
}) {
  useEffect(() => {
    const timer = setTimeout(onTimeout, timeoutMs);
    return () => clearTimeout(timer);
  }, [toast, timeoutMs, onTimeout]);

  return (
    <div role="status" className="toast">
      <span>{toast.message}</span>
      <button type="button" onClick={onUndo}>
        Undo
      </button>
    </div>
  );
}
