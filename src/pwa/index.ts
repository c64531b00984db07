// The PWA layer's public surface: register the service worker once from the entry point, and
// place the components wherever the app's layout wants them.
export {
  registerServiceWorker,
  serviceWorkerStore,
  createServiceWorkerStore,
  UPDATE_CHECK_INTERVAL_MS,
  type RegisterServiceWorkerOptions,
  type ServiceWorkerState,
  type ServiceWorkerStore,
} from './registerServiceWorker';
export { useServiceWorker } from './useServiceWorker';
export { UpdatePrompt, type UpdatePromptProps } from './UpdatePrompt';
export { requestPersistentStorage, type StoragePersistence, type PersistentStorageManager } from './storagePersistence';
export { StorageStatus, type StorageStatusProps } from './StorageStatus';
export { OnlineStatus, type OnlineStatusProps } from './OnlineStatus';
export { useOnline } from './useOnline';
