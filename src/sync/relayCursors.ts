/**
 * Where relay transports keep their {@link RelayCursor}s: the browser's localStorage
 * (written synchronously, so a change counted as waiting is never forgotten by a crash)
 * or memory (tests). What is read back is checked: a damaged entry reads as none, which
 * costs one full pull and one diff push, never a lost change.
 */
import type { RelayCursor, RelayCursorStore } from './RelayTransport';

const KEY_PREFIX = 'weft:relay:';

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isCountMap = (m: unknown): m is Record<string, number> =>
  typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every(isCount);

/** Parses a stored cursor; null when it is not one. */
export function parseRelayCursor(text: string | null): RelayCursor | null {
  if (text === null) return null;
  try {
    const c = JSON.parse(text) as Partial<RelayCursor>;
    if (!isCount(c.cursor) || !isCount(c.pending) || !isCountMap(c.held) || !isCountMap(c.seen)) return null;
    return { cursor: c.cursor, pending: c.pending, held: { ...c.held }, seen: { ...c.seen } };
  } catch {
    return null;
  }
}

/** Cursors in a Web Storage area (localStorage). Storage errors (quota, blocked) are swallowed: the cost is a re-push. */
export function storageRelayCursors(storage: () => Storage): RelayCursorStore {
  return {
    load: (roomId) => {
      try {
        return parseRelayCursor(storage().getItem(KEY_PREFIX + roomId));
      } catch {
        return null;
      }
    },
    save: (roomId, cursor) => {
      try {
        storage().setItem(KEY_PREFIX + roomId, JSON.stringify(cursor));
      } catch {
        // see above
      }
    },
    remove: (roomId) => {
      try {
        storage().removeItem(KEY_PREFIX + roomId);
      } catch {
        // see above
      }
    },
  };
}

/** Cursors in memory (tests); `entries` is visible to check what was saved. */
export function memoryRelayCursors(entries = new Map<string, string>()): RelayCursorStore & { entries: Map<string, string> } {
  return {
    entries,
    load: (roomId) => parseRelayCursor(entries.get(roomId) ?? null),
    save: (roomId, cursor) => void entries.set(roomId, JSON.stringify(cursor)),
    remove: (roomId) => void entries.delete(roomId),
  };
}
