import type { Preferences } from '../../../src/app/Preferences';

/** Preferences in a Map (localStorage stand-in); shared between app instances of one device. */
export class MapPreferences implements Preferences {
  readonly values = new Map<string, string>();
  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  set(key: string, value: string): void {
    this.values.set(key, value);
  }
}
