/**
 * Crashing a browser for fault tests: a Chromium on a persistent profile whose *browser process*
 * the test can SIGKILL (no shutdown, no unload handlers, no flushing). Random crashes draw their
 * seeds from tests/prng.ts (printed; WEFT_SEED replays one).
 */
import { readdir, readFile } from 'node:fs/promises';
import { chromium, type BrowserContext, type BrowserContextOptions } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../../scripts/chromium.mjs';

/** A persistent-profile Chromium that can be killed like a crash. */
export interface KillableBrowser {
  readonly context: BrowserContext;
  /** The browser process (the one without `--type=`, holding the profile). */
  readonly pid: number;
  /** SIGKILLs the browser process; resolves once Playwright has seen it go. */
  kill(): Promise<void>;
}

/** The pid of the Chromium browser process that uses `userDataDir` (its renderers carry `--type=`). */
async function browserPidFor(userDataDir: string): Promise<number> {
  const matches: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const args = cmdline.split('\0');
    if (args.includes(`--user-data-dir=${userDataDir}`) && !args.some((arg) => arg.startsWith('--type='))) {
      matches.push(Number(entry));
    }
  }
  if (matches.length !== 1) throw new Error(`expected one browser process for ${userDataDir}, found ${matches.join(', ') || 'none'}`);
  return matches[0]!;
}

/**
 * Launches Chromium on `userDataDir` (same switches as every e2e browser) and finds its browser
 * process. Close or kill it; the caller also closes the context in teardown (a no-op once dead).
 */
export async function launchKillable(userDataDir: string, options: BrowserContextOptions = {}): Promise<KillableBrowser> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    ...LAUNCH_OPTIONS,
    args: [...LAUNCH_OPTIONS.args],
    ...options,
  });
  const pid = await browserPidFor(userDataDir);
  const closed = new Promise<void>((resolve) => context.once('close', () => resolve()));
  return {
    context,
    pid,
    async kill() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await closed;
    },
  };
}
