import { useCallback, useSyncExternalStore } from 'react';
import type { Signal } from '../app/Signal';

/** Reads a Signal and re-renders when it changes. */
export function useSignal<T>(signal: Signal<T>): T {
  // A stable subscribe: React re-subscribes whenever this function changes.
  const subscribe = useCallback((onChange: () => void) => signal.subscribe(onChange), [signal]);
  return useSyncExternalStore(subscribe, () => signal.get());
}
