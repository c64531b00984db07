/**
 * In-memory DeviceKeyStore: the IndexedDB adapter's semantics in a field.
 * Used in unit tests and as the app's fallback when IndexedDB is unusable
 * (the device key then lasts as long as the tab).
 */
import { isDeviceKeyPair, type DeviceKeyStore } from './DeviceKeyStore';

export class MemoryDeviceKeyStore implements DeviceKeyStore {
  private pair: CryptoKeyPair | null = null;

  async load(): Promise<CryptoKeyPair | null> {
    await Promise.resolve();
    return this.pair;
  }

  async keep(pair: CryptoKeyPair): Promise<CryptoKeyPair> {
    if (!isDeviceKeyPair(pair)) throw new TypeError('MemoryDeviceKeyStore.keep: not an Ed25519 key pair');
    await Promise.resolve();
    this.pair ??= pair;
    return this.pair;
  }
}
