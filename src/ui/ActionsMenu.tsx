import { useCallback, useEffect, useId, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { useDismiss } from './useDismiss';

type Props = {
  /** The accessible name of the button that shows the actions on narrow screens ("More actions"). */
  readonly label: string;
  readonly className?: string;
  /** The actions: buttons (and file pickers) with their own names. */
  readonly children: ReactNode;
  /**
   * Picking an action leaves the menu open: for actions that report their
   * progress and outcome inside it (a status line would be hidden, and not
   * announced, in a closed menu).
   */
  readonly keepOpenOnPick?: boolean;
};

/** Something an action is: picking one closes the menu. */
const ACTION = 'button, a[href], input';

/**
 * A row of actions that folds into a "⋯" button on narrow screens (app.css:
 * the button is hidden and the row always shown on wide ones). It is a
 * disclosure: the button says whether the actions are shown (aria-expanded),
 * opening moves the focus to the first action, Escape or a press elsewhere
 * closes it, and so does picking an action (unless `keepOpenOnPick`) — the
 * focus then goes back to the button, so a dialog the action opens returns the
 * focus there when it closes.
 * The actions keep their roles and names on every screen size.
 */
export function ActionsMenu({ label, className, children, keepOpenOnPick = false }: Props) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const popup = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss({ open, close, popup, toggle });

  useEffect(() => {
    if (open) popup.current?.querySelector<HTMLElement>(`${ACTION}:not(:disabled)`)?.focus();
  }, [open]);

  const picked = (event: MouseEvent) => {
    if (!open || keepOpenOnPick || !(event.target instanceof Element) || event.target.closest(ACTION) === null) return;
    toggle.current?.focus();
    setOpen(false);
  };

  return (
    <div className={className === undefined ? 'actions-menu' : `actions-menu ${className}`}>
      <button
        ref={toggle}
        type="button"
        className="actions-menu__toggle"
        aria-label={label}
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((shown) => !shown)}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor" aria-hidden="true">
          <circle cx="5" cy="12" r="2" />
          <circle cx="12" cy="12" r="2" />
          <circle cx="19" cy="12" r="2" />
        </svg>
      </button>
      {/* Clicks bubble here after the action's own handler ran (Enter and Space on a button click it too). */}
      <div ref={popup} id={id} className="actions-menu__items" data-open={open} onClick={picked}>
        {children}
      </div>
    </div>
  );
}
