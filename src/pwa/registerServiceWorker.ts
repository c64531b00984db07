import { Workbox } from 'workbox-window';

/** What the page knows about its service worker, as an immutable snapshot. */
export interface ServiceWorkerState {
  /** A newer version is installed and waiting; the user may apply it with `applyUpdate()`. */
  readonly updateAvailable: boolean;
  /** The app shell is precached: from now on the app starts with no network. */
  readonly offlineReady: boolean;
}

/**
 * A tiny subscribable store for the service worker's state, shaped for React's
 * `useSyncExternalStore` (see `useServiceWorker`). It does nothing until `registerServiceWorker`
 * drives it, so importing it has no side effect and it is inert in the dev server and in tests.
 */
export interface ServiceWorkerStore {
  getSnapshot(): ServiceWorkerState;
  /** Calls `listener` after every state change; returns the disposer. */
  subscribe(listener: () => void): () => void;
  /**
   * Activates the waiting version and reloads the page once it controls it. The only path that
   * reloads: call it from a user's click, never on your own.
   */
  applyUpdate(): void;
  /** Asks the browser to look for a newer version now (resolves when the check is done). */
  checkForUpdate(): Promise<void>;
}

/** The part of a store that the registration drives; not for UI code. */
interface ServiceWorkerStoreDriver {
  set(patch: Partial<ServiceWorkerState>): void;
  /** Installs the implementation of `applyUpdate`/`checkForUpdate` while registered. */
  attach(actions: { applyUpdate(): void; checkForUpdate(): Promise<void> } | null): void;
}

const INITIAL_STATE: ServiceWorkerState = { updateAvailable: false, offlineReady: false };

/** Creates an inert store; `registerServiceWorker({ store })` brings it to life. */
export function createServiceWorkerStore(): ServiceWorkerStore & ServiceWorkerStoreDriver {
  let state = INITIAL_STATE;
  let actions: { applyUpdate(): void; checkForUpdate(): Promise<void> } | null = null;
  const listeners = new Set<() => void>();
  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    applyUpdate: () => actions?.applyUpdate(),
    checkForUpdate: () => actions?.checkForUpdate() ?? Promise.resolve(),
    set(patch) {
      const next = { ...state, ...patch };
      if (next.updateAvailable === state.updateAvailable && next.offlineReady === state.offlineReady) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    attach(next) {
      actions = next;
    },
  };
}

/**
 * The page's one service worker store. A page has exactly one service worker registration for
 * its scope, so one store per page is the truth rather than a shortcut; UI components read it by
 * default and accept another one as a prop (for tests and stories).
 */
export const serviceWorkerStore = createServiceWorkerStore();

/** How often an open app asks for a newer version: long-lived tabs are the norm for a notes app. */
export const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

/** Options for `registerServiceWorker`; every field has a production default. */
export interface RegisterServiceWorkerOptions {
  /** Script to register; vite-plugin-pwa emits `/sw.js`. */
  scriptUrl?: string;
  /** The store to drive; defaults to `serviceWorkerStore`. */
  store?: ServiceWorkerStore & ServiceWorkerStoreDriver;
  /** Period of background update checks. */
  updateCheckIntervalMs?: number;
  /**
   * Runs after the user clicked "Reload to update" and before the page reloads: the place to flush
   * pending writes (e.g. wait for IndexedDB transactions) so that no keystroke is lost.
   */
  beforeReload?: () => void | Promise<void>;
  /** Registration is skipped unless this is true; defaults to production builds only. */
  enabled?: boolean;
}

/**
 * Registers `/sw.js` with workbox-window and keeps `store` up to date: `offlineReady` once the
 * shell is precached, `updateAvailable` when a newer version waits. Checks for updates every
 * `updateCheckIntervalMs` and whenever the page becomes visible again. Never reloads by itself:
 * only `store.applyUpdate()` does, after the new worker has taken control.
 *
 * Does nothing (and returns a no-op disposer) in the dev server or where service workers are
 * unsupported. Returns a disposer that removes every timer and listener it added (the
 * registration itself stays: it belongs to the browser, not to this page).
 */
export function registerServiceWorker(options: RegisterServiceWorkerOptions = {}): () => void {
  const {
    scriptUrl = '/sw.js',
    store = serviceWorkerStore,
    updateCheckIntervalMs = UPDATE_CHECK_INTERVAL_MS,
    beforeReload,
    enabled = import.meta.env.PROD,
  } = options;
  if (!enabled || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return () => {};

  const wb = new Workbox(scriptUrl, { scope: '/' });
  let disposed = false;
  let reloadRequested = false;
  let reloading = false;

  const reload = () => {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  };

  // 'waiting' fires for our own update and for one found by another tab or a periodic check
  // (workbox-window calls those "external"): either way a newer version is ready to apply.
  const onWaiting = () => store.set({ updateAvailable: true });
  const onInstalled = (event: { isUpdate?: boolean }) => {
    if (!event.isUpdate) store.set({ offlineReady: true });
  };
  // A new worker took control. Reload only if this page asked for it; when another tab applied
  // the update, this page keeps running (the user may be typing) and keeps offering the reload.
  const onControlling = () => {
    if (reloadRequested) reload();
  };
  wb.addEventListener('waiting', onWaiting);
  wb.addEventListener('installed', onInstalled);
  wb.addEventListener('controlling', onControlling);

  const checkForUpdate = async () => {
    if (disposed) return;
    try {
      await wb.update();
    } catch {
      // Offline, or the server is down: the next check will try again.
    }
  };

  store.attach({
    checkForUpdate,
    applyUpdate() {
      if (reloadRequested || !store.getSnapshot().updateAvailable) return;
      reloadRequested = true;
      void (async () => {
        try {
          await beforeReload?.();
        } finally {
          const registration = await navigator.serviceWorker.getRegistration('/');
          if (registration?.waiting) {
            // The new worker calls skipWaiting(), takes control, and 'controlling' reloads us.
            wb.messageSkipWaiting();
          } else {
            // Another tab already activated it: the new version only needs a reload here.
            reload();
          }
        }
      })();
    },
  });

  const onVisibilityChange = () => {
    if (document.visibilityState === 'visible') void checkForUpdate();
  };
  document.addEventListener('visibilitychange', onVisibilityChange);
  const interval = window.setInterval(() => void checkForUpdate(), updateCheckIntervalMs);

  wb.register()
    .then((registration) => {
      // A worker that already controls the page was installed on an earlier visit: the shell is cached.
      if (!disposed && registration?.active && navigator.serviceWorker.controller) store.set({ offlineReady: true });
    })
    .catch((error: unknown) => {
      // The app works without a service worker (just not offline); say why in the console.
      console.warn('Weft: service worker registration failed', error);
    });

  return () => {
    disposed = true;
    window.clearInterval(interval);
    document.removeEventListener('visibilitychange', onVisibilityChange);
    wb.removeEventListener('waiting', onWaiting);
    wb.removeEventListener('installed', onInstalled);
    wb.removeEventListener('controlling', onControlling);
    store.attach(null);
  };
}
