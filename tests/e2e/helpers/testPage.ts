/**
 * Test pages that run project code in a real browser outside the app (interop.spec.ts,
 * transport-contract.spec.ts): bundled with Vite from a TypeScript entry into a copy of `dist/`
 * at test time, so `npm test` (build, then Playwright) always runs the page of the code under test,
 * and served by a Weft server over that copy: same origin as the app and its signaling, which
 * accepts only its own origin (a page Playwright fulfils itself counts as a public one and is
 * refused loopback sockets).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'vite';

/**
 * Bundles `entry` into `dir` as `/<name>.html` and its script `/<name>/page.js` (one classic
 * script: the page sets whatever `window` globals the test drives). Returns the page's path.
 */
export async function bundleTestPage(dir: string, entry: string, name: string): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: join(dir, name),
      emptyOutDir: true,
      minify: false,
      lib: { entry, formats: ['iife'], name: 'weftTestPage', fileName: () => 'page.js' },
    },
  });
  await writeFile(join(dir, `${name}.html`), `<!doctype html><meta charset="utf-8"><title>${name}</title><script src="/${name}/page.js"></script>\n`);
  return `/${name}.html`;
}
