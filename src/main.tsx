import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { broadcastIndex, WeftApp, type Preferences } from './app/session';
import { registerServiceWorker } from './pwa/registerServiceWorker';
import { IndexedDbStore } from './storage/indexeddb';
import { MemoryStore } from './storage/memory';
import { IndexedDbVersionStore } from './storage/indexedDbVersions';
import { isShareFragment } from './sync/shareLink';
import { cachedSyncConfig, loadSyncConfig } from './sync/syncConfig';
import { createWebrtcTransportFactory } from './sync/webrtc';
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
let webrtc = createWebrtcTransportFactory({ config: cachedSyncConfig() });
void loadSyncConfig().then((config) => (webrtc = createWebrtcTransportFactory({ config })));

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
