import { vi } from 'vitest';

/**
 * Waits until `condition` holds, polling state every 10 ms through Vitest's own `vi.waitFor`
 * (never a fixed sleep; bounded by `timeoutMs`). A timeout fails with `what` in the message.
 * The one poller of the unit tests: use it wherever a test waits on real tasks (fake-indexeddb,
 * y-webrtc over loopback sockets) rather than on a promise it holds.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}
