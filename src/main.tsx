import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WeftApp, type Preferences } from './app/session';
import { registerServiceWorker } from './pwa/registerServiceWorker';
import { IndexedDbNotesIndexStore } from './storage/IndexedDbNotesIndexStore';
import { PaintScheduler } from './storage/PaintScheduler';
import { IndexedDbStore } from './storage/IndexedDbStore';
import { MemoryStore } from './storage/memory';
import { MemoryNotesIndexStore } from './storage/MemoryNotesIndexStore';
import { IndexedDbVersionStore } from './storage/indexedDbVersions';
import { IndexedDbDeviceKeyStore } from './storage/IndexedDbDeviceKeyStore';
import { isShareFragment, parseShareFragment } from './sync/shareLink';
import { parseRoute } from './app/route';
import { deferredTransport } from './sync/deferredTransport';
import { BroadcastIndexChannel } from './sync/IndexChannel';
import { cachedSyncConfig, fetchSyncConfig, hasTurn, resolveSignalingUrls } from './sync/syncConfig';
import { SyncConfigSource } from './sync/SyncConfigSource';
import type { TransportFactory } from './sync/Transport';
import { httpRelayClient, prefetchingRelayClient } from './sync/relayClient';
import { deriveRelayKeys } from './sync/relayCrypto';
import { storageRelayCursors } from './sync/relayCursors';
import { RelayTransport } from './sync/RelayTransport';
import { withRelay } from './sync/withRelay';
import type * as PeerNetworkModule from './sync/PeerNetwork';
import { webTabLocks } from './app/TabLocks';
import { App } from './ui/App';
import { SEARCH_PAGE_SIZE } from './ui/NotesList';
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

// "The network is back" (the browser's online event), for what should try again then.
const onOnline = (listener: () => void) => {
  window.addEventListener('online', listener);
  return () => window.removeEventListener('online', listener);
};

// ICE servers, extra signaling URLs and the per-note connection cap come from the deployment
// (/config.json). The copy cached on this device applies at once — start-up
// never waits for the network — and a fresh one replaces it when it arrives, and
// again before the TURN credentials in it expire (SyncConfigSource.ts).
const syncConfig = new SyncConfigSource({
  initial: cachedSyncConfig(),
  fetch: () => fetchSyncConfig(),
  onOnline,
});
syncConfig.start();

// The peer network (WebRTC, signaling, other tabs; a few tens of KB) is a
// separate chunk, loaded when the first note starts syncing: the notes list
// never needs it. The service worker precaches it like every chunk, so it
// loads offline too. One network per tab, created once the chunk is here;
// from then on transports are created synchronously.
let network: PeerNetworkModule.PeerNetwork | null = null;
let networkLoading: Promise<PeerNetworkModule.PeerNetwork> | null = null;
const loadNetwork = () =>
  (networkLoading ??= import('./sync/PeerNetwork').then(
    ({ PeerNetwork }) =>
      (network = new PeerNetwork({
        signaling: () => resolveSignalingUrls(location, syncConfig.current()),
        iceServers: () => syncConfig.current().iceServers,
        maxConnections: () => syncConfig.current().maxPeerConnections,
        // "Hide my IP address from peers": relay candidates only (with no TURN configured, no connection at all).
        iceTransportPolicy: () => (app.hideIpAddress.get() ? 'relay' : 'all'),
      })),
    (error: unknown) => {
      networkLoading = null; // try again on the next note
      throw error;
    },
  ));
// Opening a note or a share link online: it will look for peers as soon as it
// opens, so fetch and evaluate the chunk now, while the page starts and storage
// opens, not after. (Offline there is no one to reach: it loads with the note.)
const startRoute = parseRoute(location.hash, isShareFragment).kind;
if (navigator.onLine !== false && (startRoute === 'note' || startRoute === 'share')) {
  void loadNetwork().catch(() => undefined);
}
const webrtc: TransportFactory = (doc, awareness, room, hooks) => {
  if (network) return network.factory(doc, awareness, room, hooks);
  const factory = loadNetwork().then((loaded) => loaded.factory);
  return deferredTransport(
    factory,
    doc,
    awareness,
    room,
    (error) => app.alert('sync', `Live sync could not start for this note: ${error instanceof Error ? error.message : String(error)}`),
    hooks,
  );
};

// The store-and-forward relay on this app's own server: shared notes reach devices
// that are never online at the same moment (RelayTransport.ts).
const relayClient = prefetchingRelayClient(httpRelayClient(location.origin));
// A share link opened on a device that may not have the note: read the relay now, while
// storage and the editor start, not once the note has loaded.
const startShare = parseShareFragment(location.hash);
if (startShare.ok && navigator.onLine !== false) {
  void deriveRelayKeys(startShare.secret).then(
    (keys) => relayClient.prefetch(keys.roomId),
    () => undefined,
  );
}
const relayCursors = storageRelayCursors(() => localStorage);
const transports: TransportFactory = (doc, awareness, room, hooks) => {
  const peers = webrtc(doc, awareness, room, hooks);
  const sharing = room.sharing;
  if (!sharing) return peers;
  const relay = new RelayTransport({
    doc,
    awareness,
    room,
    client: relayClient,
    cursors: relayCursors,
    shared: () => sharing.shared(),
    setShared: (shared) => sharing.set(shared),
    ...(hooks ? { hooks } : {}),
    onOnline,
  });
  return withRelay(peers, relay);
};

// One app per page, created outside React so that StrictMode's double effects
// never build or tear down storage twice.
// The frame after an edit: the editor writes it to its doc there, and storage writes it to IndexedDB.
const paintScheduler = new PaintScheduler();
const app = new WeftApp({
  store: new IndexedDbStore({ paintScheduler }),
  afterPaint: (run) => paintScheduler.schedule(run),
  fallbackStore: () => new MemoryStore(),
  transports,
  indexStore: new IndexedDbNotesIndexStore(),
  fallbackIndexStore: () => new MemoryNotesIndexStore(),
  indexChannel: new BroadcastIndexChannel(),
  preferences,
  versions: new IndexedDbVersionStore(),
  deviceKeys: new IndexedDbDeviceKeyStore(),
  tabLocks: webTabLocks(),
});
void app.start();
// The privacy option is offered when the deployment has a TURN relay to hide behind.
app.relayAvailable.set(hasTurn(syncConfig.current()));
syncConfig.subscribe(() => app.relayAvailable.set(hasTurn(syncConfig.current())));
// Let queued IndexedDB writes land before an update reloads the page.
registerServiceWorker({ beforeReload: () => app.flush() });
// A small, documented handle for debugging, end-to-end tests ("wait until saved") and the bench
// (the full-text index's state, and writing its snapshot now rather than in the next idle time).
(window as unknown as { weft: unknown }).weft = {
  flush: () => app.flush(),
  search: {
    state: () => ({ state: app.index.fullText.state, origin: app.index.fullText.origin }),
    saveSnapshot: () => app.index.fullText.saveSnapshot(),
    list: (query: string) => app.index.list({ query, limit: SEARCH_PAGE_SIZE }),
  },
};

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <App app={app} isShareFragment={isShareFragment} />
  </StrictMode>,
);
