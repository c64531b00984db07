/** Small key-value settings that belong to this browser (display name, pending shares). */
export interface Preferences {
  get(key: string): string | null;
  /** May throw (storage blocked or full); callers treat a failed write as "this tab only". */
  set(key: string, value: string): void;
}
