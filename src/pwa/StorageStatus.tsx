import { useEffect, useState } from 'react';
import { requestPersistentStorage, type PersistentStorageManager, type StoragePersistence } from './storagePersistence';

/** Text and tooltip for each outcome; the text is short enough for an app header. */
const MESSAGES: Record<StoragePersistence | 'checking', { text: string; title: string }> = {
  checking: { text: 'Storage: checking…', title: 'Asking the browser to keep your notes.' },
  persistent: {
    text: 'Storage: persistent',
    title: 'The browser has agreed to keep your notes until you delete them yourself.',
  },
  'best-effort': {
    text: 'Storage: may be cleared by the browser',
    title:
      'The browser did not grant persistent storage, so it may delete your notes if the disk runs low. ' +
      'Installing Weft or bookmarking it usually lets the browser grant it; share or export notes you cannot lose.',
  },
  unsupported: {
    text: 'Storage: may be cleared by the browser',
    title: 'This browser cannot promise to keep stored data, so it may delete your notes if the disk runs low.',
  },
};

/** Props of `StorageStatus`. */
export interface StorageStatusProps {
  /** Replaces `navigator.storage` (tests). */
  storage?: PersistentStorageManager;
  className?: string;
}

/**
 * Requests persistent storage on mount (`navigator.storage.persist()` unless already persisted)
 * and states the outcome plainly, with a tooltip that explains what it means for the notes.
 * Meant for the app header.
 */
export function StorageStatus({ storage, className }: StorageStatusProps) {
  const [outcome, setOutcome] = useState<StoragePersistence | 'checking'>('checking');
  useEffect(() => {
    let live = true;
    void requestPersistentStorage(storage).then((result) => {
      if (live) setOutcome(result);
    });
    return () => {
      live = false;
    };
  }, [storage]);
  const message = MESSAGES[outcome];
  return (
    <span className={className} title={message.title} data-storage={outcome} data-testid="storage-status">
      {message.text}
    </span>
  );
}
