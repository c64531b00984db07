import { useEffect, type RefObject } from 'react';

type Options = {
  /** Whether the popup (menu, drawer) is showing; nothing is listened to while it is not. */
  readonly open: boolean;
  readonly close: () => void;
  /** The popup: a press inside it keeps it open. */
  readonly popup: RefObject<HTMLElement | null>;
  /** The button that opens it: a press on it is its own toggle, and Escape gives it the focus back. */
  readonly toggle: RefObject<HTMLElement | null>;
};

/**
 * While a disclosed popup is open, Escape or a press anywhere else closes it;
 * Escape hands the focus back to the button that opened it, so a keyboard
 * user is never left on an element that just disappeared. Both listeners go
 * when it closes or unmounts.
 */
export function useDismiss({ open, close, popup, toggle }: Options): void {
  useEffect(() => {
    if (!open) return;
    const onKeyDown = (event: KeyboardEvent) => {
      // A modal dialog above handles its own Escape.
      if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
      event.preventDefault();
      toggle.current?.focus();
      close();
    };
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node | null;
      if (target && (popup.current?.contains(target) || toggle.current?.contains(target))) return;
      close();
    };
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('pointerdown', onPointerDown);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('pointerdown', onPointerDown);
    };
  }, [open, close, popup, toggle]);
}
