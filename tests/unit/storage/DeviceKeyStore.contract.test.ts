/**
 * The DeviceKeyStore contract, run against every adapter (IndexedDB on
 * fake-indexeddb, memory), and the device identity built on it.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { DeviceKeyStore } from '../../../src/storage/DeviceKeyStore';
import { DEVICE_KEY_DB_VERSION, DEVICE_KEY_RECORD, DEVICE_KEY_STORE, IndexedDbDeviceKeyStore } from '../../../src/storage/IndexedDbDeviceKeyStore';
import { MemoryDeviceKeyStore } from '../../../src/storage/MemoryDeviceKeyStore';
import { loadDeviceIdentity } from '../../../src/sync/deviceIdentity';
import { freshPrefix } from './harness';

interface DeviceKeyHarness {
  name: string;
  make(): DeviceKeyStore;
  /** A second instance over the same data (another tab, or a reload): null when the adapter keeps nothing beyond itself. */
  sibling(store: DeviceKeyStore): DeviceKeyStore | null;
  /** Puts a damaged record where the pair lives; false when the adapter has no such place. */
  damage(store: DeviceKeyStore): Promise<boolean>;
}

const newPair = async (extractable = false) => (await crypto.subtle.generateKey('Ed25519', extractable, ['sign', 'verify'])) as CryptoKeyPair;
const rawPublic = async (pair: CryptoKeyPair) => new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));

const idbNames = new WeakMap<DeviceKeyStore, string>();
const harnesses: DeviceKeyHarness[] = [
  {
    name: 'IndexedDbDeviceKeyStore',
    make() {
      const name = `${freshPrefix()}device`;
      const store = new IndexedDbDeviceKeyStore({ name });
      idbNames.set(store, name);
      return store;
    },
    sibling(store) {
      const name = idbNames.get(store) ?? '';
      const other = new IndexedDbDeviceKeyStore({ name });
      idbNames.set(other, name);
      return other;
    },
    async damage(store) {
      const name = idbNames.get(store) ?? '';
      await store.load(); // creates the database
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name, DEVICE_KEY_DB_VERSION);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction([DEVICE_KEY_STORE], 'readwrite');
        tx.objectStore(DEVICE_KEY_STORE).put({ privateKey: 'not a key', publicKey: 42 }, DEVICE_KEY_RECORD);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      return true;
    },
  },
  { name: 'MemoryDeviceKeyStore', make: () => new MemoryDeviceKeyStore(), sibling: () => null, damage: async () => false },
];

describe.each(harnesses)('DeviceKeyStore contract: $name', (h) => {
  it('holds nothing at first', async () => {
    expect(await h.make().load()).toBeNull();
  });

  it('keeps the first pair it is given and hands back that one to every later keep', async () => {
    const store = h.make();
    const first = await newPair();
    const kept = await store.keep(first);
    expect(await rawPublic(kept)).toEqual(await rawPublic(first));
    const second = await store.keep(await newPair());
    expect(await rawPublic(second)).toEqual(await rawPublic(first));
    const loaded = await store.load();
    expect(loaded).not.toBeNull();
    expect(await rawPublic(loaded as CryptoKeyPair)).toEqual(await rawPublic(first));
  });

  it('keeps a non-extractable private key usable: it signs, and its bytes cannot be exported', async () => {
    const store = h.make();
    const pair = await store.keep(await newPair(false));
    const loaded = (await (h.sibling(store) ?? store).load()) as CryptoKeyPair;
    expect(loaded.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', loaded.privateKey)).rejects.toThrow();
    const data = new Uint8Array([1, 2, 3]);
    const signature = await crypto.subtle.sign('Ed25519', loaded.privateKey, data);
    expect(await crypto.subtle.verify('Ed25519', pair.publicKey, signature, data)).toBe(true);
  });

  it('of two stores creating a key at once (two tabs), both end with the same one', async () => {
    const store = h.make();
    const other = h.sibling(store) ?? store;
    const [a, b] = await Promise.all([loadDeviceIdentity(store), loadDeviceIdentity(other)]);
    expect(a.publicKey).toBe(b.publicKey);
    // And a reload finds it.
    expect((await loadDeviceIdentity(h.sibling(store) ?? store)).publicKey).toBe(a.publicKey);
  });

  it('refuses to keep what is not an Ed25519 key pair, and keeps nothing', async () => {
    const store = h.make();
    const ecdsa = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    await expect(store.keep(ecdsa)).rejects.toThrow(/Ed25519/);
    expect(await store.load()).toBeNull();
  });

  it('a damaged record reads as no key and is replaced by the next keep', async () => {
    const store = h.make();
    if (!(await h.damage(store))) return;
    expect(await store.load()).toBeNull();
    const pair = await newPair();
    expect(await rawPublic(await store.keep(pair))).toEqual(await rawPublic(pair));
  });
});
