import { vi } from 'vitest';

/**
 * How long a test waits on state by default. Only an upper bound (a passing wait returns as
 * soon as the state holds), so generous: CI runs the suite's workers on two shared cores, where
 * Vitest's own 1 s default for `vi.waitFor` is not enough for a session to open.
 */
export const STATE_WAIT_MS = 20_000;

/** Retries `assertion` until it passes (every 10 ms, up to {@link STATE_WAIT_MS}): `vi.waitFor` with our bound. */
export const eventually = <T>(assertion: () => T | Promise<T>): Promise<T> =>
  vi.waitFor(assertion, { timeout: STATE_WAIT_MS, interval: 10 });

/**
 * Waits until `condition` holds, polling state every 10 ms through Vitest's own `vi.waitFor`
 * (never a fixed sleep; bounded by `timeoutMs`). A timeout fails with `what` in the message.
 * The one poller of the unit tests: use it wherever a test waits on real tasks (fake-indexeddb,
 * y-webrtc over loopback sockets) rather than on a promise it holds.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = STATE_WAIT_MS): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}
