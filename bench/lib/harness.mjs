/**
 * The bench harness page (bench/pages): building it, and serving it on 127.0.0.1 with COOP/COEP
 * (cross-origin isolation gives `performance.now()` its fine resolution). Used by run.mjs and
 * profile.mjs.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run bench` builds the harness (bench/vite.config.ts's outDir). */
export const HARNESS_DIST = join(ROOT, 'node_modules/.cache/weft-bench-harness');

/** Builds the harness into `outDir` (another directory lets a profile build while a bench run serves its own). */
export function buildHarness(outDir = HARNESS_DIST) {
  const r = spawnSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'bench/vite.config.ts', '--outDir', outDir, '--emptyOutDir'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the bench harness failed');
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

/** Serves `dir` on a free loopback port; `extra` maps paths to functions returning JSON text. Resolves with the listening server. */
export function serveHarness(dir, extra = new Map()) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (extra.has(path)) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
      res.end(extra.get(path)());
      return;
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
