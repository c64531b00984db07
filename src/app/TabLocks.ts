/**
 * Named locks that live as long as the tab holding them: the Web Locks API
 * in the browser (a lock goes when its tab closes, reloads or crashes), an
 * in-process set in tests. Lets start-up tell work another tab is doing now
 * from work a tab that died left half-done.
 */
export interface TabLocks {
  /** Runs `fn` holding the lock `name` (waiting while another holder has it); releases it when `fn` settles. */
  hold<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Whether some live tab (this one included) holds `name` right now. */
  isHeld(name: string): Promise<boolean>;
}

/** The browser's Web Locks; null where the API is missing (then nothing can be told dead). */
export function webTabLocks(locks: LockManager | undefined = globalThis.navigator?.locks): TabLocks | null {
  if (!locks) return null;
  return {
    hold: <T>(name: string, fn: () => Promise<T>) => locks.request(name, fn) as Promise<T>,
    isHeld: async (name) => ((await locks.query()).held ?? []).some((lock) => lock.name === name),
  };
}

/** Locks of one process (unit tests): held while their `fn` runs. */
export function memoryTabLocks(): TabLocks {
  const held = new Map<string, Promise<unknown>>();
  return {
    async hold(name, fn) {
      while (held.has(name)) await held.get(name)!.catch(() => undefined);
      const running = fn();
      held.set(name, running);
      try {
        return await running;
      } finally {
        held.delete(name);
      }
    },
    isHeld: async (name) => held.has(name),
  };
}
