import { readFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defineConfig, type HtmlTagDescriptor, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/** Brand colours, shared by the manifest, the icons (scripts/icons) and index.html's theme-color. */
const THEME_COLOR = '#3b5bdb';
const BACKGROUND_COLOR = '#f8f9fc';

/**
 * Largest file the service worker precaches. Workbox's default (2 MiB) silently *drops* bigger
 * files from the precache, which would make the app fail offline the day the editor bundle grows.
 */
const MAX_PRECACHE_FILE_BYTES = 6 * 1024 * 1024;

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The build's identity, written into index.html as `<meta name="weft-build">`. It lets a person
 * (and the e2e update test) tell which deployment a page came from. Deterministic by default, so
 * rebuilding the same source does not look like a new version to installed clients; a deploy can
 * set `WEFT_BUILD_ID` (e.g. the commit) to make it precise.
 */
const BUILD_ID = process.env.WEFT_BUILD_ID ?? pkg.version;

/**
 * Head tags that belong to the PWA layer rather than to the page: the build id, the SVG favicon and
 * the iOS home-screen icon (the manifest link itself is added by vite-plugin-pwa). A tag that
 * index.html already carries is not added twice.
 */
function pwaHeadTags(): Plugin {
  return {
    name: 'weft-pwa-head-tags',
    transformIndexHtml(html) {
      const tags: HtmlTagDescriptor[] = [
        { tag: 'meta', attrs: { name: 'weft-build', content: BUILD_ID }, injectTo: 'head' },
      ];
      if (!/rel=["']icon["']/.test(html)) {
        tags.push({ tag: 'link', attrs: { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }, injectTo: 'head' });
      }
      if (!/rel=["']apple-touch-icon["']/.test(html)) {
        tags.push({ tag: 'link', attrs: { rel: 'apple-touch-icon', href: '/apple-touch-icon.png' }, injectTo: 'head' });
      }
      return tags;
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    pwaHeadTags(),
    VitePWA({
      // The user decides when a new version takes over (an open note may have unsaved keystrokes
      // in flight), so the new worker waits until src/pwa/UpdatePrompt's button is clicked.
      registerType: 'prompt',
      // src/pwa/registerServiceWorker.ts registers /sw.js itself with workbox-window.
      injectRegister: false,
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['favicon.svg', 'apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'Weft',
        short_name: 'Weft',
        description: 'Local-first, peer-to-peer collaborative notes that work offline.',
        lang: 'en',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        theme_color: THEME_COLOR,
        background_color: BACKGROUND_COLOR,
        icons: [
          { src: '/pwa-192x192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/pwa-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/pwa-maskable-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell: code, styles, the page. Source maps stay out (large, never needed
        // offline). Icons and the manifest are not globbed: vite-plugin-pwa adds the manifest,
        // its icons and `includeAssets` itself, and globbing them too would list them twice.
        globPatterns: ['**/*.{js,css,html,woff2}'],
        maximumFileSizeToCacheInBytes: MAX_PRECACHE_FILE_BYTES,
        // Any in-app route (e.g. /note/<id>) is the SPA shell, online or offline.
        navigateFallback: '/index.html',
        // Server endpoints are never the shell: the signaling socket and the runtime config.
        navigateFallbackDenylist: [/^\/signal(?:[/?#]|$)/, /^\/config\.json(?:[?#]|$)/],
        cleanupOutdatedCaches: true,
        // Workbox cannot make "hidden" maps: it would end sw.js and its runtime with a
        // `sourceMappingURL` comment naming a file the server does not serve. Generated code
        // of little use to map: none.
        sourcemap: false,
        // Deliberately off: a new worker must wait for the user's "Reload to update" click
        // (it then receives SKIP_WAITING from workbox-window's messageSkipWaiting()).
        skipWaiting: false,
        clientsClaim: false,
      },
      // The dev server never runs a service worker: offline behaviour is tested on `vite build`.
      devOptions: { enabled: false },
    }),
  ],
  // 'hidden': the maps are written (for mapping stack traces and profiles offline) but the
  // bundles carry no `sourceMappingURL` comment, since the server does not serve them
  // unless SERVE_SOURCE_MAPS=1 (then it names each in a `SourceMap` header instead).
  build: { outDir: 'dist', sourcemap: 'hidden' },
});
