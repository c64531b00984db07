/**
 * How every Chromium of the project is launched — e2e tests, benchmarks, the
 * icon generator: Debian's Chromium (never a downloaded one), headless, with
 * the background chatter that could make runs slow or flaky switched off.
 * Plain JavaScript so that the Node scripts (bench/, scripts/) and the
 * TypeScript tests (playwright.config.ts, tests/e2e) share one list.
 */

/** The Chromium binary: `CHROME_PATH`, else Debian's package. */
export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Command-line switches for every Chromium we launch. */
export const CHROMIUM_ARGS = Object.freeze([
  // The CI container runs as root, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-gpu',
  // No update pings, component downloads, sync or first-run UI: the machine has no network to
  // spare, and their timing would vary between runs.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // WebRTC and the signaling socket run over plain TCP/UDP on loopback; QUIC attempts only add noise.
  '--disable-quic',
]);

/** Launch options for `chromium.launch` / `launchPersistentContext`. */
export const LAUNCH_OPTIONS = Object.freeze({
  executablePath: CHROME_PATH,
  args: [...CHROMIUM_ARGS],
  headless: true,
});
