import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { broadcastIndex, WeftApp, type Preferences } from './app/session';
import { registerServiceWorker } from './pwa/registerServiceWorker';
import { IndexedDbStore } from './storage/IndexedDbStore';
import { MemoryStore } from './storage/memory';
import { IndexedDbVersionStore } from './storage/indexedDbVersions';
import { isShareFragment } from './sync/shareLink';
import { parseRoute } from './app/route';
import { deferredTransport } from './sync/deferredTransport';
import { cachedSyncConfig, loadSyncConfig } from './sync/syncConfig';
import type { TransportFactory } from './sync/Transport';
import type * as WebrtcModule from './sync/webrtc';
import { App } from './ui/App';
import './ui/app.css';

const preferences: Preferences = {
  get: (key) => {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set: (key, value) => localStorage.setItem(key, value),
};

// ICE servers and extra signaling URLs come from the deployment
// (/config.json). The copy cached on this device applies at once — start-up
// never waits for the network — and a fresh one replaces it when it arrives.
let syncConfig = cachedSyncConfig();
void loadSyncConfig().then((config) => (syncConfig = config));

// The WebRTC transport (y-webrtc, simple-peer and their polyfills, ~30 KB gzip)
// is a separate chunk, loaded when the first note starts syncing: the notes
// list never needs it. The service worker precaches it like every chunk, so
// it loads offline too. Once loaded, transports are created synchronously.
let webrtcModule: typeof WebrtcModule | null = null;
let webrtcLoading: Promise<typeof WebrtcModule> | null = null;
const loadWebrtc = () =>
  (webrtcLoading ??= import('./sync/webrtc').then(
    (module) => (webrtcModule = module),
    (error: unknown) => {
      webrtcLoading = null; // try again on the next note
      throw error;
    },
  ));
// Opening a note or a share link online: it will look for peers as soon as it
// opens, so fetch and evaluate the chunk now, while the page starts and storage
// opens, not after. (Offline there is no one to reach: it loads with the note.)
const startRoute = parseRoute(location.hash, isShareFragment).kind;
if (navigator.onLine !== false && (startRoute === 'note' || startRoute === 'share')) {
  void loadWebrtc().catch(() => undefined);
}
const webrtc: TransportFactory = (doc, awareness, room) => {
  if (webrtcModule) return webrtcModule.createWebrtcTransportFactory({ config: syncConfig })(doc, awareness, room);
  const factory = loadWebrtc().then((module) => module.createWebrtcTransportFactory({ config: syncConfig }));
  return deferredTransport(factory, doc, awareness, room, (error) =>
    app.alert('sync', `Live sync could not start for this note: ${error instanceof Error ? error.message : String(error)}`),
  );
};

// One app per page, created outside React so that StrictMode's double effects
// never build or tear down storage twice.
const app = new WeftApp({
  store: new IndexedDbStore(),
  fallbackStore: () => new MemoryStore(),
  transports: (doc, awareness, room) => webrtc(doc, awareness, room),
  crossTabIndex: broadcastIndex,
  preferences,
  versions: new IndexedDbVersionStore(),
});
void app.start();
// Let queued IndexedDB writes land before an update reloads the page.
registerServiceWorker({ beforeReload: () => app.flush() });
// A small, documented handle for debugging and end-to-end tests ("wait until saved").
(window as unknown as { weft: { flush(): Promise<void> } }).weft = { flush: () => app.flush() };

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <App app={app} isShareFragment={isShareFragment} />
  </StrictMode>,
);
