#!/usr/bin/env node
// Draws Weft's mark (three warp and three weft threads, woven over-under) as SVG and renders the
// PNG icons the web manifest and iOS need, with the system's headless Chromium: this machine has
// no network and no ImageMagick, and a browser renders SVG exactly as users' browsers will.
//
// Run once when the mark changes, then commit public/*.png and public/favicon.svg:
//   node scripts/icons/generate.mjs            (CHROME_PATH overrides /usr/bin/chromium)
// It is not part of the build.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../chromium.mjs';

const root = new URL('../..', import.meta.url).pathname;
const publicDir = join(root, 'public');

// Keep in step with THEME_COLOR in vite.config.ts.
const THEME = '#3b5bdb';
const WARP = '#c5d0fa'; // vertical threads: a pale tint of the theme
const WEFT = '#ffffff'; // horizontal threads: white, the weft that names the app

const VIEW = 512;
const THREADS = [168, 256, 344]; // thread centre lines, on both axes
const THREAD_WIDTH = 56;
const THREAD_START = 92;
const THREAD_END = 420;
// Background-coloured margin cut either side of the thread that passes *over* a crossing, so the
// one underneath visibly disappears beneath it.
const GAP = 9;

/** The woven mark alone, centred on the 512 view box. */
function mark() {
  const h = THREAD_WIDTH / 2;
  const len = THREAD_END - THREAD_START;
  const parts = [];
  for (const x of THREADS) {
    parts.push(`<rect x="${x - h}" y="${THREAD_START}" width="${THREAD_WIDTH}" height="${len}" rx="${h}" fill="${WARP}"/>`);
  }
  for (const y of THREADS) {
    parts.push(`<rect x="${THREAD_START}" y="${y - h}" width="${len}" height="${THREAD_WIDTH}" rx="${h}" fill="${WEFT}"/>`);
  }
  // Plain weave: at each crossing the weft goes over when (row + column) is even, under otherwise.
  THREADS.forEach((y, row) => {
    THREADS.forEach((x, col) => {
      const weftOver = (row + col) % 2 === 0;
      if (weftOver) {
        parts.push(`<rect x="${x - h}" y="${y - h - GAP}" width="${THREAD_WIDTH}" height="${THREAD_WIDTH + 2 * GAP}" fill="${THEME}"/>`);
        parts.push(`<rect x="${x - h - 1}" y="${y - h}" width="${THREAD_WIDTH + 2}" height="${THREAD_WIDTH}" fill="${WEFT}"/>`);
      } else {
        parts.push(`<rect x="${x - h - GAP}" y="${y - h}" width="${THREAD_WIDTH + 2 * GAP}" height="${THREAD_WIDTH}" fill="${THEME}"/>`);
        parts.push(`<rect x="${x - h}" y="${y - h - 1}" width="${THREAD_WIDTH}" height="${THREAD_WIDTH + 2}" fill="${WARP}"/>`);
      }
    });
  });
  return parts.join('');
}

/**
 * @param {{ fullBleed: boolean, scale: number }} options fullBleed: square background to the edges
 *   (maskable and iOS icons, which the platform crops itself); otherwise a rounded tile on a
 *   transparent canvas. scale: shrinks the mark about the centre to respect a safe zone.
 */
function svg({ fullBleed, scale }) {
  const bg = fullBleed
    ? `<rect width="${VIEW}" height="${VIEW}" fill="${THEME}"/>`
    : `<rect x="16" y="16" width="${VIEW - 32}" height="${VIEW - 32}" rx="112" fill="${THEME}"/>`;
  const c = VIEW / 2;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${VIEW} ${VIEW}" role="img" aria-label="Weft">` +
    `${bg}<g transform="translate(${c} ${c}) scale(${scale}) translate(${-c} ${-c})">${mark()}</g></svg>`
  );
}

// Maskable icons are cropped to as little as a circle of 40% of the size (the safe zone); the
// threads' far corners sit at about 164·√2 ≈ 232 px from the centre, so 0.82 keeps them at ~190 < 204.8.
const ICONS = [
  { file: 'pwa-192x192.png', size: 192, fullBleed: false, scale: 1 },
  { file: 'pwa-512x512.png', size: 512, fullBleed: false, scale: 1 },
  { file: 'pwa-maskable-512x512.png', size: 512, fullBleed: true, scale: 0.82 },
  { file: 'apple-touch-icon.png', size: 180, fullBleed: true, scale: 0.9 },
];

mkdirSync(publicDir, { recursive: true });
writeFileSync(join(publicDir, 'favicon.svg'), svg({ fullBleed: false, scale: 1 }) + '\n');

const browser = await chromium.launch({ ...LAUNCH_OPTIONS, args: [...LAUNCH_OPTIONS.args, '--force-color-profile=srgb'] });
try {
  const page = await browser.newPage();
  for (const icon of ICONS) {
    await page.setViewportSize({ width: icon.size, height: icon.size });
    await page.setContent(
      `<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block;width:${icon.size}px;height:${icon.size}px}</style>` +
        svg(icon),
    );
    // Rounded tiles keep transparent corners; full-bleed ones are opaque by construction.
    const png = await page.screenshot({ omitBackground: !icon.fullBleed, type: 'png' });
    writeFileSync(join(publicDir, icon.file), png);
    console.log(`public/${icon.file} (${icon.size}×${icon.size})`);
  }
} finally {
  await browser.close();
}
console.log('public/favicon.svg');
