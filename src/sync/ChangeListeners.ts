/** The `onChange` listeners of a transport (`Transport` in ./Transport.ts): add (returns the disposer), notify all, forget all. */
export class ChangeListeners {
  private readonly listeners = new Set<() => void>();

  /** Implements `Transport.onChange`. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener (a snapshot: listeners may unsubscribe while being called). */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  clear(): void {
    this.listeners.clear();
  }
}
