/**
 * Where this browser keeps its device key (src/sync/deviceIdentity.ts): one
 * Ed25519 key pair per browser profile, shared by its tabs. The pair is
 * stored as CryptoKey objects (IndexedDB's structured clone keeps a
 * non-extractable private key usable without ever exposing its bytes).
 *
 * Two tabs that find no key at the same moment each generate one; `keep`
 * makes exactly one of them the device's, and both go on with that one.
 */
export interface DeviceKeyStore {
  /** The stored pair, or null when this browser has none yet. Rejects on storage failure. */
  load(): Promise<CryptoKeyPair | null>;
  /**
   * Stores `pair` unless a pair is stored already; resolves with the pair
   * that is stored afterwards (`pair`, or the one another tab stored first).
   * Rejects on storage failure.
   */
  keep(pair: CryptoKeyPair): Promise<CryptoKeyPair>;
}

/** True for a stored value that is a usable Ed25519 key pair (anything else is ignored and replaced). */
export const isDeviceKeyPair = (value: unknown): value is CryptoKeyPair => {
  if (typeof value !== 'object' || value === null) return false;
  const { privateKey, publicKey } = value as Partial<CryptoKeyPair>;
  return (
    privateKey instanceof CryptoKey &&
    publicKey instanceof CryptoKey &&
    privateKey.algorithm.name === 'Ed25519' &&
    publicKey.algorithm.name === 'Ed25519' &&
    privateKey.type === 'private' &&
    publicKey.type === 'public' &&
    privateKey.usages.includes('sign')
  );
};
