/**
 * The backup fixture of the tests (tests/backupFixture.ts) for the benchmarks, which run as plain
 * Node: bundled once with Vite's SSR build into node_modules/.cache (its imports of yjs and lib0
 * stay external and resolve from node_modules), then imported.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';

/** Builds and imports tests/backupFixture.ts; resolves with its exports. */
export async function loadBackupFixture(root) {
  const outDir = join(root, 'node_modules/.cache/weft-bench-fixture');
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: join(root, 'tests/backupFixture.ts'),
      outDir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { output: { entryFileNames: 'backupFixture.mjs' } },
    },
  });
  return import(pathToFileURL(join(outDir, 'backupFixture.mjs')).href);
}
