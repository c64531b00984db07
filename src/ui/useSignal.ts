import { useSyncExternalStore } from 'react';
import type { Signal } from '../app/Signal';

/** Reads a Signal and re-renders when it changes. */
export function useSignal<T>(signal: Signal<T>): T {
  return useSyncExternalStore(
    (onChange) => signal.subscribe(onChange),
    () => signal.get(),
  );
}
