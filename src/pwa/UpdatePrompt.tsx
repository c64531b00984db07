import { useState, type CSSProperties } from 'react';
import { serviceWorkerStore, type ServiceWorkerState, type ServiceWorkerStore } from './registerServiceWorker';
import { useServiceWorker } from './useServiceWorker';

/** Props of `UpdatePrompt`. */
export interface UpdatePromptProps {
  /** Defaults to the page's store driven by `registerServiceWorker()`. */
  store?: ServiceWorkerStore;
  className?: string;
}

/** Used when no `className` is given: a small bar pinned to the bottom, out of the editor's way. */
const DEFAULT_STYLE: CSSProperties = {
  position: 'fixed',
  insetInline: '1rem',
  bottom: '1rem',
  zIndex: 1000,
  display: 'flex',
  flexWrap: 'wrap',
  alignItems: 'center',
  gap: '0.75rem',
  padding: '0.75rem 1rem',
  borderRadius: '0.5rem',
  background: '#1f2a5c',
  color: '#fff',
  boxShadow: '0 4px 16px rgb(0 0 0 / 0.25)',
  font: 'inherit',
};

/**
 * A non-modal banner shown while a newer version of Weft waits: "Reload to update" applies it
 * (the only way the page ever reloads into a new version), "Later" hides the banner until the
 * next update is found. It never takes focus, so it cannot swallow a keystroke.
 *
 * The button name "Reload to update" is a contract of the end-to-end tests.
 */
export function UpdatePrompt({ store = serviceWorkerStore, className }: UpdatePromptProps) {
  const state = useServiceWorker(store);
  // Remember which snapshot was dismissed (snapshots are immutable), so "Later" hides this update
  // and a state change (a newer update) shows the banner again.
  const [dismissed, setDismissed] = useState<ServiceWorkerState | null>(null);
  const [applying, setApplying] = useState(false);
  if (!state.updateAvailable || dismissed === state) return null;
  return (
    <div className={className} style={className ? undefined : DEFAULT_STYLE} data-testid="update-prompt">
      <p role="status" style={{ margin: 0, flex: '1 1 auto' }}>
        A new version of Weft is available.
      </p>
      <button
        type="button"
        disabled={applying}
        aria-busy={applying}
        onClick={() => {
          setApplying(true);
          store.applyUpdate();
        }}
      >
        Reload to update
      </button>
      <button type="button" onClick={() => setDismissed(state)}>
        Later
      </button>
    </div>
  );
}
