import { describe, expect, it, vi } from 'vitest';
import { PendingShares } from '../../../src/app/PendingShares';
import type { Preferences } from '../../../src/app/Preferences';
import { memoryTabLocks, type TabLocks } from '../../../src/app/TabLocks';

function memoryPreferences(): Preferences & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: (key) => data.get(key) ?? null, set: (key, value) => void data.set(key, value) };
}

function setup(preferences: Preferences = memoryPreferences(), existing = new Set(['a', 'b']), locks: TabLocks | null = null) {
  const purged: string[] = [];
  const shares = new PendingShares({
    preferences,
    exists: async (id) => existing.has(id),
    purge: async (id) => void purged.push(id),
    locks,
  });
  return { shares, purged, preferences };
}

/** Lets the view disposer's deferred check run (it waits one task for StrictMode remounts). */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PendingShares', () => {
  it('purges a pending note when its last view closes', async () => {
    const { shares, purged } = setup();
    shares.mark('a');
    const close = shares.trackView('a');
    close();
    await nextTask();
    expect(purged).toEqual(['a']);
    expect(shares.has('a')).toBe(false);
  });

  it('keeps a note that was confirmed (a peer connected or the user wrote)', async () => {
    const { shares, purged } = setup();
    shares.mark('a');
    const close = shares.trackView('a');
    shares.confirm('a');
    close();
    await nextTask();
    expect(purged).toEqual([]);
  });

  it('survives a StrictMode-style remount: close and reopen in the same task', async () => {
    const { shares, purged } = setup();
    shares.mark('a');
    shares.trackView('a')();
    const close = shares.trackView('a');
    await nextTask();
    expect(purged).toEqual([]);
    close();
    await nextTask();
    expect(purged).toEqual(['a']);
  });

  it('purges at start-up what an earlier page load left pending, for notes still in the index', async () => {
    const preferences = memoryPreferences();
    // An earlier page load marked these and was closed before they proved themselves.
    preferences.set('weft:pending-shares', JSON.stringify(['a', 'gone', 42]));
    const { shares, purged } = setup(preferences);
    await shares.purgeLeftovers();
    expect(purged).toEqual(['a']);
    expect(preferences.get('weft:pending-shares')).toBe('[]');
  });

  it('works when preferences cannot be written', async () => {
    const preferences: Preferences = { get: () => '{not json', set: vi.fn(() => { throw new Error('blocked'); }) };
    const { shares, purged } = setup(preferences);
    await expect(shares.purgeLeftovers()).resolves.toBeUndefined();
    shares.mark('b');
    shares.trackView('b')();
    await nextTask();
    expect(purged).toEqual(['b']);
  });

  it('leaves a note another tab shows alone at start-up, and drops it once that tab is gone', async () => {
    const preferences = memoryPreferences();
    const browser = memoryTabLocks(); // the tabs of one browser see the same locks
    const first = setup(preferences, new Set(['a']), browser);
    first.shares.mark('a');
    first.shares.trackView('a');
    await Promise.resolve(); // the view's lock is granted
    const second = setup(preferences, new Set(['a']), browser);
    await second.shares.purgeLeftovers();
    expect(second.purged).toEqual([]);
    expect(JSON.parse(preferences.get('weft:pending-shares') ?? '')).toEqual(['a']);
    // The first tab was killed with the note still pending; its locks went with it.
    const third = setup(preferences, new Set(['a']), memoryTabLocks());
    await third.shares.purgeLeftovers();
    expect(third.purged).toEqual(['a']);
    expect(preferences.get('weft:pending-shares')).toBe('[]');
  });

  it('keeps every tab\'s pending notes in preferences, each tab changing only its own', () => {
    const preferences = memoryPreferences();
    const first = setup(preferences);
    const second = setup(preferences);
    first.shares.mark('a');
    second.shares.mark('b');
    expect(JSON.parse(preferences.get('weft:pending-shares') ?? '')).toEqual(['a', 'b']);
    first.shares.confirm('a');
    expect(JSON.parse(preferences.get('weft:pending-shares') ?? '')).toEqual(['b']);
  });
});
