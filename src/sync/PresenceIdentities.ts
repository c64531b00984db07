/**
 * Presence bound to device keys (deviceIdentity.ts), for one open note.
 *
 * Outbound: the local awareness state carries `device: { key, sig }`, this
 * browser's proof for (note, client id, name), made again whenever the name
 * changes; the new name goes out only together with its proof.
 *
 * Inbound: every remote state's proof is checked (asynchronously: WebCrypto;
 * each distinct proof once, the verdict cached). A state is
 * - *verified*: its proof holds; the peer is shown with its fingerprint, and
 *   its client id is remembered as that device's (for version attribution;
 *   a client id two device keys prove is nobody's);
 * - *forged*: it carries a proof that does not hold (another device's key,
 *   another client id, name or note): dropped, never shown or attributed;
 * - *pending*: it carries a proof not checked yet: not shown as what it
 *   claims until it is (as what it was verified as before, if anything);
 * - *unproven*: it carries no proof (stock y-webrtc, a Weft tab before its key
 *   loaded): shown as before, without a fingerprint, and never attributed.
 *
 * Transport-independent: tabs, peers and the relay all feed the one awareness.
 */
import type { Awareness } from 'y-protocols/awareness';
import { readPresenceProof, verifyPresenceProof, type DeviceIdentity, type PresenceProof } from './deviceIdentity';

/** A device whose presence proof verified (or this browser's own). */
export interface VerifiedDevice {
  /** base64url of the raw public key. */
  readonly key: string;
  readonly fingerprint: string;
  /** The display name its proof covers (raw: sanitize before showing). */
  readonly name: string;
}

export type PresenceVerdict =
  | { readonly status: 'verified'; readonly device: VerifiedDevice }
  /** `previous`: the device this client was last verified as (shown meanwhile: a rename on its way). */
  | { readonly status: 'pending'; readonly previous?: VerifiedDevice }
  | { readonly status: 'forged' | 'unproven' };

/** Verdicts kept (distinct proofs); the oldest go first. Honest rooms have one per peer and name. */
const MAX_CACHED_VERDICTS = 512;
/** Client ids remembered for attribution after their presence left; the oldest go first. */
const MAX_REMEMBERED_CLIENTS = 256;

export interface PresenceIdentitiesOptions {
  awareness: Awareness;
  noteId: string;
  /** This browser's device key; null when it could not be loaded (presence then goes out unproven). */
  identity: Promise<DeviceIdentity | null>;
  /** The local display name now. */
  name: () => string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class PresenceIdentities {
  private readonly verdicts = new Map<string, PresenceVerdict>();
  private readonly clients = new Map<number, VerifiedDevice>();
  /** Client ids two device keys proved: attributed to nobody. */
  private readonly contested = new Map<number, true>();
  private identity: DeviceIdentity | null = null;
  /** The name and proof last published (a newer name waits for its proof). */
  private published: { name: string; proof: PresenceProof } | null = null;
  private signing: string | null = null;
  private disposed = false;
  private readonly disposers: Array<() => void> = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: PresenceIdentitiesOptions) {}

  /** Starts publishing the local proof and checking remote ones (once). */
  start(): void {
    if (this.disposers.length > 0 || this.disposed) return;
    const { awareness, identity } = this.options;
    const onChange = (change: { added: number[]; updated: number[] }) => {
      for (const clientId of [...change.added, ...change.updated]) {
        if (clientId === awareness.clientID) this.publish();
        else this.verdictOf(clientId);
      }
    };
    awareness.on('change', onChange);
    this.disposers.push(() => awareness.off('change', onChange));
    void identity.then(
      (loaded) => {
        if (this.disposed || loaded === null) return;
        this.identity = loaded;
        this.publish();
      },
      () => undefined,
    );
    for (const clientId of awareness.getStates().keys()) if (clientId !== awareness.clientID) this.verdictOf(clientId);
  }

  /** This browser's device, once loaded (with the name it publishes now). */
  own(): VerifiedDevice | null {
    const identity = this.identity;
    return identity === null ? null : { key: identity.publicKey, fingerprint: identity.fingerprint, name: this.options.name() };
  }

  /**
   * The verdict on client `clientId`'s current state (starting its check when
   * new). Unknown clients and states without a proof are `unproven`.
   */
  verdictOf(clientId: number): PresenceVerdict {
    const { awareness, noteId } = this.options;
    const state = awareness.getStates().get(clientId);
    if (!isRecord(state) || state.device === undefined) return { status: 'unproven' };
    const proof = readPresenceProof(state.device);
    if (proof === null || typeof state.name !== 'string') return { status: 'forged' };
    const name = state.name;
    const cacheKey = `${clientId}\u0000${proof.key}\u0000${proof.sig}\u0000${name}`;
    const known = this.verdicts.get(cacheKey);
    if (known !== undefined) return known.status === 'pending' ? this.pendingFor(clientId) : known;
    this.remember(this.verdicts, cacheKey, { status: 'pending' }, MAX_CACHED_VERDICTS);
    void verifyPresenceProof(noteId, clientId, name, proof).then((device) => {
      if (this.disposed) return;
      const verdict: PresenceVerdict = device === null ? { status: 'forged' } : { status: 'verified', device: { ...device, name } };
      this.verdicts.set(cacheKey, verdict);
      if (verdict.status === 'verified') this.bind(clientId, verdict.device);
      for (const listener of this.listeners) listener();
    });
    return this.pendingFor(clientId);
  }

  private pendingFor(clientId: number): PresenceVerdict {
    const previous = this.clients.get(clientId);
    return previous === undefined ? { status: 'pending' } : { status: 'pending', previous };
  }

  /**
   * The device client `clientId` was last verified as, in this session (its
   * presence may have left since); this browser's own for the local client id.
   */
  deviceOf(clientId: number): VerifiedDevice | null {
    if (clientId === this.options.awareness.clientID) return this.own();
    return this.clients.get(clientId) ?? null;
  }

  /** Calls `listener` whenever a verdict arrives (who is listed may change); returns its disposer. */
  onVerdict(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The local display name changed: it goes out once its proof is signed. */
  nameChanged(): void {
    this.publish();
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  /** Makes sure the local state carries a proof for the current name (signing one when the name changed). */
  private publish(): void {
    const identity = this.identity;
    const { awareness, noteId, name } = this.options;
    if (identity === null || this.disposed) return;
    const wanted = name();
    const state = awareness.getLocalState();
    if (state === null) return;
    const current = this.published;
    if (current !== null && current.name === wanted) {
      // The binding replaced the state without our field (or nothing changed): put it back.
      const device = readPresenceProof(state.device);
      if (state.name !== wanted || device?.sig !== current.proof.sig) awareness.setLocalState({ ...state, name: wanted, device: current.proof });
      return;
    }
    if (this.signing === wanted) return;
    this.signing = wanted;
    void identity.proveIdentity(noteId, awareness.clientID, wanted).then(
      (proof) => {
        if (this.signing === wanted) this.signing = null;
        // A newer name was asked for meanwhile: its own signing publishes it.
        if (this.disposed || name() !== wanted) return;
        this.published = { name: wanted, proof };
        const now = awareness.getLocalState();
        // The name goes out with its proof, never before it (a receiver would drop the state).
        if (now !== null) awareness.setLocalState({ ...now, name: wanted, device: proof });
      },
      () => {
        this.signing = null;
      },
    );
  }

  /**
   * Remembers `clientId` as `device`'s. Honest devices never share a client id (Yjs picks them at
   * random per doc), so one claimed by two device keys is attributed to neither from then on.
   */
  private bind(clientId: number, device: VerifiedDevice): void {
    if (this.contested.has(clientId)) return;
    const before = this.clients.get(clientId);
    if (before !== undefined && before.key !== device.key) {
      this.clients.delete(clientId);
      this.remember(this.contested, clientId, true, MAX_REMEMBERED_CLIENTS);
      return;
    }
    this.remember(this.clients, clientId, device, MAX_REMEMBERED_CLIENTS);
  }

  private remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > max) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
  }
}
