import { useSyncExternalStore } from 'react';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('online', onChange);
  window.addEventListener('offline', onChange);
  return () => {
    window.removeEventListener('online', onChange);
    window.removeEventListener('offline', onChange);
  };
}

const getSnapshot = () => navigator.onLine;
// Server rendering has no network state; assume online rather than alarm the user.
const getServerSnapshot = () => true;

/**
 * Whether the browser believes it has a network (`navigator.onLine`, updated by the `online` and
 * `offline` events). `false` is reliable; `true` only means "some network", not "the server is
 * reachable" — sync reports peer reachability separately.
 */
export function useOnline(): boolean {
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}
