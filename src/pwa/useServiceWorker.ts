import { useSyncExternalStore } from 'react';
import { serviceWorkerStore, type ServiceWorkerState, type ServiceWorkerStore } from './registerServiceWorker';

/** The service worker's state, re-rendering on change. Defaults to the page's one store. */
export function useServiceWorker(store: ServiceWorkerStore = serviceWorkerStore): ServiceWorkerState {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
