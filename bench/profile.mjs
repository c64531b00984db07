#!/usr/bin/env node
/* global window, document, DataTransfer, ClipboardEvent */
/**
 * `node bench/profile.mjs [keys|open|both|merge|paste] [--at=<chars>|full] [--keys=N] [--lines=N] [--top=N] [--variant=plain]` — where
 * the time of scenario 1 (typing), 2 (opening the note), 4 (merge on reconnect, whole call) or a large
 * paste (`paste`: --lines lines as in scenario 5, into the plain editor and the app's, alternating, 3 each;
 * the app's pastes profiled) goes, from Chromium's sampling
 * CPU profiler (CDP `Profiler.start/stop`, 100 µs interval) on the bench harness, unminified.
 * Replays automerge-paper into the real app editor up to `--at` (default: all but the last N
 * edits), then profiles N typed keystrokes and/or 3 opens of the note. Prints self and total
 * time per function (top N), and writes the raw .cpuprofile files to /tmp for DevTools.
 * The harness is built into its own directory, so a bench run can go on meanwhile.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../scripts/chromium.mjs';
import { buildHarness, serveHarness } from './lib/harness.mjs';
import { indexAtSize, sequentialOps, splitConcurrent } from './lib/traces.mjs';
import { pasteText } from './scenarios/peers.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'node_modules/.cache/weft-bench-profile');
const args = process.argv.slice(2);
const what = args.find((a) => !a.startsWith('--')) ?? 'both';
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const KEYS = Number(opt('keys', 200));
const TOP = Number(opt('top', 30));
const AT = opt('at', 'full');
const LINES = Number(opt('lines', 14_000));
/** `keys`: which editor types — the app's (default) or plain Lexical's (the same NoteEditor, no binding), to compare. */
const VARIANT = opt('variant', 'app');

buildHarness(OUT);
const paper = sequentialOps('sequential_traces/automerge-paper.json.gz');
const server = await serveHarness(OUT, new Map([['/data/paper.json', () => JSON.stringify(paper.ops)]]));

/** Self and total (inclusive) ms per function name + line, from a .cpuprofile. */
function summarize(profile, label) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  const key = (n) => `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.lineNumber >= 0 ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const self = new Map();
  const total = new Map();
  let all = 0;
  for (const [id, ms] of dt) {
    const n = byId.get(id);
    all += ms;
    self.set(key(n), (self.get(key(n)) ?? 0) + ms);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
  }
  const idle = (self.get('(idle)') ?? 0) + (self.get('(program)') ?? 0);
  console.log(`\n=== ${label}: ${all.toFixed(0)} ms sampled, ${(all - idle).toFixed(0)} ms busy ===`);
  const top = (m) => [...m].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, TOP);
  console.log('-- self --');
  for (const [k, v] of top(self)) console.log(`${v.toFixed(1).padStart(9)} ms  ${k}`);
  console.log('-- total (inclusive) --');
  for (const [k, v] of top(total)) console.log(`${v.toFixed(1).padStart(9)} ms  ${k}`);
}

const browser = await chromium.launch(LAUNCH_OPTIONS);
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  page.on('crash', () => console.error('[page crashed]'));
  page.on('close', () => console.error('[page closed]'));
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  await page.waitForFunction(() => document.title === 'ready');
  if (what !== 'paste') await page.evaluate((u) => window.weftBench.fetchOps(u), '/data/paper.json');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  // Windows the harness marks with console.profile() (the merge's heal → painted).
  cdp.on('Profiler.consoleProfileFinished', ({ title, profile: p }) => {
    const file = join(tmpdir(), `weft-${title.replace(/\W+/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(p));
    console.log(`\n(console.profile "${title}": profile in ${file})`);
    summarize(p, title);
  });
  const profile = async (label, fn) => {
    await cdp.send('Profiler.start');
    const t0 = Date.now();
    await fn();
    const wall = Date.now() - t0;
    const { profile: p } = await cdp.send('Profiler.stop');
    const file = join(tmpdir(), `weft-${label.replace(/\W+/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(p));
    console.log(`\n(${label}: ${wall} ms wall; profile in ${file})`);
    summarize(p, label);
  };
  if (what === 'merge') {
    const split = splitConcurrent('friendsforever', Math.floor(30_000 / 2));
    let res = null;
    await profile('merge scenario (build-up, raw and headless baselines, heal)', async () => {
      res = await page.evaluate(([p, a, b]) => window.weftBench.mergeScenario(p, a, b, 50, 3), [split.prefix, split.a, split.b]);
    });
    console.log(`heal → painted ${res.ms.toFixed(1)} ms, → states equal ${res.convergedMs.toFixed(1)} ms; raw ${res.rawMs.map((x) => x.toFixed(1))}; headless ${res.headlessMs.map((x) => x.toFixed(1))}`);
  }
  if (what === 'paste') {
    const text = pasteText(0, LINES, paper.endContent.replace(/\s+/g, ' '));
    const pasteInto = (variant) =>
      page.evaluate(
        async ({ v, t, count }) => {
          if (v === 'app') await window.weftBench.freshNote();
          await window.weftBench.mount(v);
          const el = document.querySelector('[contenteditable="true"]');
          el.focus();
          const last = `${String(count - 1).padStart(6, '0')} `;
          const data = new DataTransfer();
          data.setData('text/plain', t);
          const t0 = performance.now();
          el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
          return new Promise((resolve) => {
            const poll = () => {
              if (el.childElementCount >= count && el.lastElementChild.textContent.startsWith(last)) resolve(performance.now() - t0);
              else window.requestAnimationFrame(poll);
            };
            window.requestAnimationFrame(poll);
          });
        },
        { v: variant, t: text, count: LINES },
      );
    const times = { plain: [], app: [] };
    for (let round = 0; round < 3; round++) {
      times.plain.push(await pasteInto('plain'));
      await page.evaluate(() => window.weftBench.unmountActive());
      await profile(`paste ${LINES} lines into the app's editor, round ${round + 1}`, async () => times.app.push(await pasteInto('app')));
      await page.evaluate(() => window.weftBench.unmountActive());
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[1];
    console.log(`paste → last line shown, ms: plain ${times.plain.map((x) => x.toFixed(0))}, app ${times.app.map((x) => x.toFixed(0))}; medians ${med(times.plain).toFixed(0)} / ${med(times.app).toFixed(0)} = ${(med(times.app) / med(times.plain)).toFixed(2)}x`);
  }
  const from = AT === 'full' ? paper.ops.length - KEYS : indexAtSize(paper.ops, Number(AT));
  if (what !== 'merge' && what !== 'paste') {
    await page.evaluate((v) => window.weftBench.mount(v), what === 'keys' ? VARIANT : 'app');
    const t0 = Date.now();
    await page.evaluate(([a, b]) => window.weftBench.applyOps(a, b, 200), [0, from]);
    console.log(`replayed ${from} edits in ${Date.now() - t0} ms`);
  }
  if (what === 'keys' || what === 'both') {
    await page.evaluate(() => window.weftBench.beginWindow());
    await profile(`typing ${KEYS} keys at ${AT}${VARIANT === 'app' ? '' : ` (${VARIANT})`}`, async () => {
      for (let i = from; i < from + KEYS; i++) {
        const k = await page.evaluate((j) => window.weftBench.prepareKey(j), i);
        if (k.text !== undefined) await page.keyboard.type(k.text);
        else await page.keyboard.press(k.key);
      }
    });
    const w = await page.evaluate(() => window.weftBench.endWindow());
    const sorted = [...w.handler].sort((a, b) => a - b);
    console.log(`handler median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} p99 ${sorted[Math.floor(sorted.length * 0.99)]?.toFixed(2)}; long tasks ${w.longTasks.map((x) => x.toFixed(0)).join(', ')}`);
  }
  if (what === 'open' || what === 'both') {
    await page.evaluate(() => window.weftBench.unmountActive());
    await page.evaluate(() => window.weftBench.compactNote());
    const times = [];
    await profile('open x3 (compacted)', async () => {
      for (let i = 0; i < 3; i++) times.push((await page.evaluate(() => window.weftBench.openNote())).ms.toFixed(0));
    });
    console.log(`open ms: ${times.join(', ')}`);
  }
} finally {
  await browser.close();
  server.close();
}
