import { useSyncExternalStore } from 'react';

const subscribeToHash = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const readHash = () => window.location.hash;

/** The current `location.hash`, re-rendering on navigation. */
export function useHash(): string {
  return useSyncExternalStore(subscribeToHash, readHash);
}

/** Navigates within the app (fragment routes), optionally without a history entry. */
export function navigate(hash: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    window.history.replaceState(null, '', hash === '' ? window.location.pathname : hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = hash;
  }
}
