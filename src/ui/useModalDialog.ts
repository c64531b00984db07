import { useEffect, useRef } from 'react';

/**
 * A `<dialog>` shown modally for as long as the component is mounted: the
 * browser then traps focus and handles Escape. Returns the ref to attach.
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (!el.open) el.showModal();
    return () => el.close();
  }, []);
  return dialog;
}
