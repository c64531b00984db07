/**
 * How every e2e browser is launched: Debian's Chromium (never a downloaded one), headless, with
 * the background chatter that could make tests slow or flaky switched off. Shared by
 * playwright.config.ts (the default `browser`) and `launchProfile` (persistent contexts).
 */

/** The Chromium binary: `CHROME_PATH`, else Debian's package. */
export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Command-line switches for every e2e Chromium. */
export const CHROMIUM_ARGS: readonly string[] = [
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
];

/** Launch options for `chromium.launch` / `launchPersistentContext`. */
export const LAUNCH_OPTIONS = {
  executablePath: CHROME_PATH,
  args: [...CHROMIUM_ARGS],
  headless: true,
} as const;
