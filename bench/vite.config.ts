import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Builds the in-browser benchmark harness (bench/pages/) into node_modules/.cache/weft-bench-harness/. The harness imports the
 * app's real modules from src/ (editor, binding, storage, sync), so what is measured is what ships;
 * no PWA plugin: the harness needs no service worker.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./pages/', import.meta.url)),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    // Under node_modules/.cache: ignored by git and by eslint (which would lint the bundle).
    outDir: fileURLToPath(new URL('../node_modules/.cache/weft-bench-harness/', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // Readable profiles: the point of the harness is to find out where time goes.
    minify: false,
    chunkSizeWarningLimit: 10_000,
  },
});
