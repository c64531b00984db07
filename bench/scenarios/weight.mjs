/**
 * Scenario 7 (weight part): JavaScript the built app (dist/) ships for its first screen, gzipped:
 * the entry scripts and module preloads named by dist/index.html, plus every static import they
 * pull in (Vite may hoist shared chunks). Lazily imported chunks are listed separately. Also what
 * the server really sends a browser: the build's Brotli copy (server/precompress.ts) where there is one.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const STATIC_IMPORT = /(?:^|[;\n\s])import\s*(?:[\w*{}\s,]+from\s*)?["']([^"']+\.js)["']/g;

export function weightScenario(distDir) {
  if (!existsSync(join(distDir, 'index.html'))) throw new Error(`${distDir}/index.html is missing: run npm run build`);
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1]);
  const firstScreen = new Set();
  const queue = entries.map((e) => e.replace(/^\//, ''));
  while (queue.length) {
    const rel = queue.shift();
    if (firstScreen.has(rel)) continue;
    firstScreen.add(rel);
    const src = readFileSync(join(distDir, rel), 'utf8');
    for (const m of src.matchAll(STATIC_IMPORT)) {
      const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
      const target = m[1].startsWith('./') ? dir + m[1].slice(2) : m[1].replace(/^\//, '');
      if (existsSync(join(distDir, target))) queue.push(target);
    }
  }
  const size = (rel) => {
    const buf = readFileSync(join(distDir, rel));
    const brotli = join(distDir, `${rel}.br`);
    const gzip = gzipSync(buf, { level: 9 }).byteLength;
    return { file: rel, bytes: buf.byteLength, gzip, served: existsSync(brotli) ? readFileSync(brotli).byteLength : buf.byteLength };
  };
  const first = [...firstScreen].map(size);
  const allJs = readdirSync(join(distDir, 'assets'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => size(`assets/${f}`));
  const lazy = allJs.filter((f) => !firstScreen.has(f.file));
  const sum = (list, k) => list.reduce((s, f) => s + f[k], 0);
  return {
    firstScreen: first,
    firstScreenGzipKb: sum(first, 'gzip') / 1024,
    firstScreenRawKb: sum(first, 'bytes') / 1024,
    firstScreenServedKb: sum(first, 'served') / 1024,
    lazyGzipKb: sum(lazy, 'gzip') / 1024,
    lazyFiles: lazy.length,
  };
}
