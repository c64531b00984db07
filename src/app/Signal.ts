/**
 * A value that can be read now and watched for changes. The composition root
 * publishes session state (load status, errors, peers) through these, and
 * React reads them with `useSignal` — no module-level state, no context soup.
 */
export class Signal<T> {
  private listeners = new Set<() => void>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) listener();
  }

  update(change: (current: T) => T): void {
    this.set(change(this.value));
  }

  /** Returns its disposer. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
