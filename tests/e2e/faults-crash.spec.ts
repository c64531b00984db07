/**
 * Faults: the browser dies while the user types, or the tab is closed or reloaded right after.
 *
 * **Crash while typing.** Chromium on a persistent profile; type a random text key by key and
 * SIGKILL the browser process at a random moment (no shutdown, no unload, no flush); relaunch on
 * the same profile and open the note. Every character that was on screen (its key event
 * acknowledged by the page) at least {@link CRASH_WINDOW_MS} before the kill must be there, what
 * is there must be exactly a prefix of what was typed (nothing garbled or doubled), and the note
 * must open without an alert.
 *
 * Why a window at all: every keystroke is written to IndexedDB in a transaction opened in the
 * keystroke's own task, with its commit requested at once (src/storage/IndexedDbPersistedDoc.ts,
 * `writeQueued`), but the commit still has to travel from the page to the browser process's
 * storage backend and be written out. The window is the promise we make; the test
 * prints what it measured (the age of the oldest lost character at the kill). On this machine
 * it stays well below the promise — see the report line "crash window".
 *
 * Every run checks the promise: the kill is scheduled from the moment the first keystroke is on
 * screen, at least {@link CRASH_WINDOW_MS} + {@link KILL_MARGIN_MS} later, so at least one
 * character is always old enough to have to survive (an oracle counter fails the test when a run
 * checked nothing).
 *
 * Runs: `CRASH_RUNS` (default 10 in `npm test`) crashes per test run, and `THROTTLED_CRASH_RUNS`
 * (default 3) more with the page's CPU throttled, each with a fresh seed (printed, and named in
 * every failure; tests/prng.ts). For many runs and to replay one:
 *
 *   CRASH_RUNS=100 npx playwright test tests/e2e/faults-crash.spec.ts
 *   WEFT_SEED=123456 npx playwright test tests/e2e/faults-crash.spec.ts
 */
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { alerts, editor, flushed, newNote } from './helpers/app';
import { launchKillable } from './helpers/crash';
import { mulberry32, seedsFor } from '../prng';
import { oracleCounter } from '../oracle';

/** Edits on screen for longer than this before a crash survive it (see the module comment). */
const CRASH_WINDOW_MS = 200;
/** Crashes per run; see the module comment. */
const CRASH_RUNS = Number(process.env.CRASH_RUNS ?? '10');
/** Crashes per run with the page's CPU throttled (DevTools' `Emulation.setCPUThrottlingRate`). */
const THROTTLED_CRASH_RUNS = Number(process.env.THROTTLED_CRASH_RUNS ?? '3');
/** How many times slower the throttled page's main thread runs. */
const CPU_THROTTLING_RATE = 6;
/** Characters typed per crash at most (the kill usually comes first). */
const MAX_TYPED = 250;
/** At least this long (ms) beyond the window passes between the first keystroke on screen and the kill. */
const KILL_MARGIN_MS = 20;
/** The kill comes this long (ms) after the first keystroke is on screen, uniformly at random. */
const KILL_DELAY_MIN_MS = CRASH_WINDOW_MS + KILL_MARGIN_MS;
const KILL_DELAY_MAX_MS = 1500;

/** Everything one crash test checks and reports; see the module comment. */
async function crashWhileTyping(
  tempDir: string,
  baseURL: string | undefined,
  options: { name: string; runs: number; cpuThrottlingRate?: number },
): Promise<void> {
  const seeds = seedsFor(options.name, { pinned: [], fresh: options.runs });
  test.info().annotations.push({ type: 'seeds', description: seeds.join(', ') });
  const hits = oracleCounter(options.name, ['window-checked', 'prefix-checked', 'opens-without-alert']);
  let worstLostAgeMs = -Infinity;
  const contexts: Array<{ close(): Promise<void> }> = [];
  let seed = seeds[0]!;
  try {
    for (const [run, runSeed] of seeds.entries()) {
      seed = runSeed;
      const random = mulberry32(seed);
      const label = `run ${run}, seed ${seed} (replay: WEFT_SEED=${seed})`;
      const profile = join(tempDir, `profile-${run}`);
      const text = Array.from({ length: MAX_TYPED }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)]).join('');
      const killDelayMs = KILL_DELAY_MIN_MS + random() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS);

      const first = await launchKillable(profile, { baseURL });
      contexts.push(first.context);
      let page = first.context.pages()[0] ?? (await first.context.newPage());
      await page.goto('/');
      const hash = await newNote(page);
      await page.keyboard.type(`Crash ${run}`);
      await page.keyboard.press('Enter');
      await flushed(page);
      if (options.cpuThrottlingRate !== undefined) {
        const cdp = await first.context.newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: options.cpuThrottlingRate });
      }

      // Type until the kill; record when each key was acknowledged by the page (on screen). The
      // kill is timed from the first acknowledged key, so that key is always past the window.
      const typedAt: number[] = [];
      let killAt = Infinity;
      let killed: Promise<void> | undefined;
      for (const ch of text) {
        if (killAt !== Infinity) break;
        try {
          await page.keyboard.type(ch);
        } catch {
          break; // the browser died under the keystroke
        }
        typedAt.push(performance.now());
        killed ??= new Promise<void>((resolve) => setTimeout(resolve, killDelayMs)).then(() => {
          killAt = performance.now();
          return first.kill();
        });
      }
      if (killed === undefined) throw new Error(`${label}: the first keystroke failed before any kill`);
      await killed;
      const mustSurvive = typedAt.filter((at) => at <= killAt - CRASH_WINDOW_MS).length;
      expect(mustSurvive, `${label}: no keystroke was ${CRASH_WINDOW_MS} ms old at the kill`).toBeGreaterThan(0);

      const second = await launchKillable(profile, { baseURL });
      contexts.push(second.context);
      page = second.context.pages()[0] ?? (await second.context.newPage());
      await page.goto('/' + hash);
      await expect(editor(page), label).toContainText(`Crash ${run}`);
      const recovered = (await editor(page).locator('p').nth(1).textContent()) ?? '';
      expect(text.startsWith(recovered), `${label}: recovered text is not a prefix of the typed text: ${recovered}`).toBe(true);
      hits.hit('prefix-checked');
      expect(recovered.length, `${label}: ${typedAt.length} typed, kill after ${killDelayMs.toFixed(0)} ms`).toBeGreaterThanOrEqual(
        mustSurvive,
      );
      hits.hit('window-checked');
      const firstLostAt = typedAt[recovered.length];
      if (firstLostAt !== undefined) worstLostAgeMs = Math.max(worstLostAgeMs, killAt - firstLostAt);
      await expect(alerts(page), label).toHaveCount(0);
      hits.hit('opens-without-alert');
      await second.context.close();
    }
  } catch (error) {
    console.log(`${options.name}: failed at seed ${seed} (replay with WEFT_SEED=${seed})`);
    throw error;
  } finally {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
  }
  // Every run checks all three promises; a run that checked nothing would fail here.
  hits.assertAtLeast({ 'window-checked': seeds.length, 'prefix-checked': seeds.length, 'opens-without-alert': seeds.length });
  const measured = worstLostAgeMs === -Infinity ? 'no keystroke was lost' : `${worstLostAgeMs.toFixed(0)} ms`;
  console.log(`${options.name} — crash window: ${seeds.length} crashes, oldest lost keystroke at the kill: ${measured} (promise: ${CRASH_WINDOW_MS} ms)`);
  test.info().annotations.push({ type: 'crash window', description: measured });
}

test.describe('crash while typing', () => {
  test.describe.configure({ timeout: 30_000 + (CRASH_RUNS + THROTTLED_CRASH_RUNS) * 20_000 });

  test(`SIGKILL at a random moment: every edit older than ${CRASH_WINDOW_MS} ms survives`, async ({ tempDir, baseURL }) => {
    await crashWhileTyping(tempDir, baseURL, { name: 'crash while typing', runs: CRASH_RUNS });
  });

  // A loaded machine, as in the CI run that once lost a keystroke 200 ms old: the page's main
  // thread runs slower, so tasks queue up behind each other (a write deferred to a later task, or
  // a commit waiting for the page to see its requests succeed, waits behind them).
  test(`SIGKILL at a random moment, CPU throttled ${CPU_THROTTLING_RATE}x: every edit older than ${CRASH_WINDOW_MS} ms survives`, async ({
    tempDir,
    baseURL,
  }) => {
    await crashWhileTyping(tempDir, baseURL, {
      name: 'crash while typing, CPU throttled',
      runs: THROTTLED_CRASH_RUNS,
      cpuThrottlingRate: CPU_THROTTLING_RATE,
    });
  });
});

test.describe('closing or reloading right after typing', () => {
  test('closing the tab right after typing loses nothing (no flush)', async ({ page, context }) => {
    await page.goto('/');
    const hash = await newNote(page);
    await page.keyboard.type('Closed at once\nthe last words');
    await page.close();

    const again = await context.newPage();
    await again.goto('/' + hash);
    await expect(editor(again)).toHaveText(/Closed at once\s*the last words/);
    await expect(again.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: 'Closed at once' })).toBeVisible();
    await expect(alerts(again)).toHaveCount(0);
  });

  test('reloading right after typing loses nothing (no flush)', async ({ page }) => {
    await page.goto('/');
    await newNote(page);
    await page.keyboard.type('Reloaded at once\nlast words');
    await page.reload();
    await expect(editor(page)).toHaveText(/Reloaded at once\s*last words/);
    await expect(page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: 'Reloaded at once' })).toBeVisible();
    await expect(alerts(page)).toHaveCount(0);
  });

  test('quitting the browser right after typing loses nothing (no flush)', async ({ launchProfile }) => {
    let browser = await launchProfile();
    let page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto('/');
    const hash = await newNote(page);
    await page.keyboard.type('Quit at once\nlast words');
    await browser.close();

    browser = await launchProfile();
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto('/' + hash);
    await expect(editor(page)).toHaveText(/Quit at once\s*last words/);
    await expect(page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: 'Quit at once' })).toBeVisible();
  });
});
