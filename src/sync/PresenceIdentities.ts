/**
 * Presence bound to device keys (deviceIdentity.ts), for one open note.
 *
 * Outbound: the local awareness state carries `deviceProof: { key, time, sig }`,
 * this browser's proof for (note, client id, time, name), signed again every
 * PROOF_REFRESH_MS and whenever the name changes; the new name goes out only
 * together with its proof.
 *
 * Inbound: every remote state's proof is checked (asynchronously: WebCrypto;
 * each distinct proof once, the signature's verdict cached), and its time
 * against this browser's clock on every read (judgeProofTime). A state is
 * - *verified*: its signature holds and its time is within the window and not
 *   older than a proof already accepted from that device and client id; the
 *   peer is shown with its fingerprint, and its client id is remembered as that
 *   device's (for version attribution; a client id two device keys prove is
 *   nobody's). It stops being verified when its proof leaves the window (a
 *   timer says so to the listeners): a copied state outlives its device by at
 *   most the window;
 * - *forged*: its proof does not hold (another device's key, another client
 *   id, name, time or note, garbage) or is older than one accepted before (a
 *   replay): dropped, never shown or attributed;
 * - *pending*: it carries a proof not checked yet: not shown as what it
 *   claims until it is (as the device it was verified as, while that proof is
 *   in the window);
 * - *unproven*: no proof (stock y-webrtc, a Weft tab before its key loaded),
 *   only a version 1 proof (an older Weft: it covers no time, so a copy would
 *   pass forever), or a good signature dated outside the window (a clock set
 *   wrong, or a replay of a device that stopped signing): shown with the
 *   reason, without a fingerprint, and never attributed.
 *
 * Transport-independent: tabs and peers (directly or forwarded) all feed the one awareness.
 */
import type { Awareness } from 'y-protocols/awareness';
import {
  judgeProofTime,
  PROOF_REFRESH_MS,
  PROOF_WINDOW_MS,
  readPresenceProof,
  verifyPresenceProof,
  type DeviceIdentity,
  type PresenceProof,
} from './deviceIdentity';

/** The awareness state field that carries a presence proof (version 2). */
export const PROOF_FIELD = 'deviceProof';
/** Where Weft before presence v2 put its proof (version 1, which covers no time). */
export const V1_PROOF_FIELD = 'device';

/** A device whose presence proof verified (or this browser's own). */
export interface VerifiedDevice {
  /** base64url of the raw public key. */
  readonly key: string;
  readonly fingerprint: string;
  /** The display name its proof covers (raw: sanitize before showing). */
  readonly name: string;
}

/** Why a listed peer is not proven. */
export type UnprovenReason =
  /** No proof at all (stock y-webrtc, a Weft tab before its device key loaded). */
  | { readonly kind: 'no-proof' }
  /** A version 1 proof (an older Weft): it covers no time, so it is not believed. */
  | { readonly kind: 'v1-proof' }
  /** A good signature dated more than the window away from this browser's clock; `offsetMs` = its time − now. */
  | { readonly kind: 'clock'; readonly offsetMs: number };

export type PresenceVerdict =
  | { readonly status: 'verified'; readonly device: VerifiedDevice }
  /** `previous`: the device this client was verified as, while that proof is in the window (shown meanwhile: a rename or re-signing on its way). */
  | { readonly status: 'pending'; readonly previous?: VerifiedDevice }
  | { readonly status: 'forged' }
  | { readonly status: 'unproven'; readonly reason: UnprovenReason };

/** Signature checks kept (distinct proofs); the oldest go first. Honest peers make one per 10 s. */
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
  /** The wall clock, ms since 1970: proofs are dated and judged by it. Default Date.now. */
  now?: () => number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a signature check found: the device, null (it does not verify), or 'checking'. */
type SignatureCheck = { readonly key: string; readonly fingerprint: string } | null | 'checking';

/** A client id's device and the time of the newest proof that showed it. */
interface Bound {
  readonly device: VerifiedDevice;
  readonly time: number;
}

export class PresenceIdentities {
  private readonly signatures = new Map<string, SignatureCheck>();
  /** Newest proof time accepted per device key and client id: an older one is a replay. */
  private readonly newest = new Map<string, number>();
  private readonly clients = new Map<number, Bound>();
  /** Client ids two device keys proved: attributed to nobody. */
  private readonly contested = new Map<number, true>();
  private identity: DeviceIdentity | null = null;
  /** The name and proof last published (a newer name waits for its proof). */
  private published: { name: string; proof: PresenceProof; signedAt: number } | null = null;
  private signing: string | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** When a verified proof leaves the window next (a verdict changes then), and its timer. */
  private expiry: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;
  private disposed = false;
  private readonly disposers: Array<() => void> = [];
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly options: PresenceIdentitiesOptions) {
    this.now = options.now ?? Date.now;
  }

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
   * The verdict on client `clientId`'s current state, now (starting its
   * signature check when new). Unknown clients and states without a proof are
   * `unproven`.
   */
  verdictOf(clientId: number): PresenceVerdict {
    const { awareness, noteId } = this.options;
    const state = awareness.getStates().get(clientId);
    if (!isRecord(state) || state[PROOF_FIELD] === undefined) {
      return { status: 'unproven', reason: isRecord(state) && state[V1_PROOF_FIELD] !== undefined ? { kind: 'v1-proof' } : { kind: 'no-proof' } };
    }
    const proof = readPresenceProof(state[PROOF_FIELD]);
    if (proof === null || typeof state.name !== 'string') return { status: 'forged' };
    const name = state.name;
    const cacheKey = `${clientId}\u0000${proof.key}\u0000${proof.time}\u0000${proof.sig}\u0000${name}`;
    const known = this.signatures.get(cacheKey);
    if (known === null) return { status: 'forged' };
    if (known === 'checking') return this.pendingFor(clientId);
    if (known !== undefined) return this.judge(clientId, proof, { ...known, name });
    this.remember(this.signatures, cacheKey, 'checking', MAX_CACHED_VERDICTS);
    void verifyPresenceProof(noteId, clientId, name, proof).then((device) => {
      if (this.disposed) return;
      this.signatures.set(cacheKey, device);
      // Judged at once (binding the client id for attribution), whoever reads next.
      this.verdictOf(clientId);
      for (const listener of this.listeners) listener();
    });
    return this.pendingFor(clientId);
  }

  /**
   * The device client `clientId` was last verified as, in this session (its
   * presence may have left since); this browser's own for the local client id.
   */
  deviceOf(clientId: number): VerifiedDevice | null {
    if (clientId === this.options.awareness.clientID) return this.own();
    return this.clients.get(clientId)?.device ?? null;
  }

  /** Calls `listener` whenever a verdict changes (a check finished, a proof left the window); returns its disposer. */
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
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.expiry !== null) clearTimeout(this.expiry.timer);
    this.refreshTimer = null;
    this.expiry = null;
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  /** A proof whose signature holds, judged by its time: verified (and bound), a replay, or outside the window. */
  private judge(clientId: number, proof: PresenceProof, device: VerifiedDevice): PresenceVerdict {
    const now = this.now();
    const deviceClient = `${proof.key}\u0000${clientId}`;
    const time = judgeProofTime(proof.time, now, this.newest.get(deviceClient));
    if (!time.fresh) return time.why === 'superseded' ? { status: 'forged' } : { status: 'unproven', reason: { kind: 'clock', offsetMs: time.offsetMs } };
    if (this.newest.get(deviceClient) !== proof.time) {
      this.remember(this.newest, deviceClient, proof.time, MAX_REMEMBERED_CLIENTS);
      this.bind(clientId, device, proof.time);
    }
    this.expireAt(proof.time + PROOF_WINDOW_MS + 1, now);
    return { status: 'verified', device };
  }

  private pendingFor(clientId: number): PresenceVerdict {
    const previous = this.clients.get(clientId);
    // Only while the proof that showed it is believed: a stale binding is no one to show.
    return previous !== undefined && judgeProofTime(previous.time, this.now()).fresh ? { status: 'pending', previous: previous.device } : { status: 'pending' };
  }

  /** Tells the listeners when the earliest verified proof leaves the window (they read the verdicts again). */
  private expireAt(at: number, now: number): void {
    if (this.disposed || (this.expiry !== null && this.expiry.at <= at)) return;
    if (this.expiry !== null) clearTimeout(this.expiry.timer);
    const timer = setTimeout(() => {
      this.expiry = null;
      for (const listener of this.listeners) listener();
    }, Math.max(0, at - now));
    this.expiry = { at, timer };
  }

  /**
   * Makes sure the local state carries a proof for the current name, signing
   * one when the name changed or the last one is PROOF_REFRESH_MS old.
   */
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
      const carried = readPresenceProof(state[PROOF_FIELD]);
      if (state.name !== wanted || carried?.sig !== current.proof.sig) awareness.setLocalState({ ...state, name: wanted, [PROOF_FIELD]: current.proof });
      const age = this.now() - current.signedAt;
      // Not due yet (a clock stepped back since counts as due: the next proof is dated after this one anyway).
      if (age >= 0 && age < PROOF_REFRESH_MS) {
        if (this.refreshTimer === null) this.refreshAfter(PROOF_REFRESH_MS - age);
        return;
      }
    }
    if (this.signing === wanted) return;
    this.signing = wanted;
    // Never dated before the last proof (a clock stepped back): receivers take an older one for a replay.
    const time = Math.max(Math.floor(this.now()), (current?.proof.time ?? -1) + 1);
    void identity.proveIdentity(noteId, awareness.clientID, wanted, time).then(
      (proof) => {
        if (this.signing === wanted) this.signing = null;
        // A newer name was asked for meanwhile: its own signing publishes it.
        if (this.disposed || name() !== wanted || (this.published !== null && this.published.proof.time >= proof.time)) return;
        this.published = { name: wanted, proof, signedAt: this.now() };
        this.refreshAfter(PROOF_REFRESH_MS);
        const now = awareness.getLocalState();
        // The name goes out with its proof, never before it (a receiver would drop the state).
        if (now !== null) awareness.setLocalState({ ...now, name: wanted, [PROOF_FIELD]: proof });
      },
      () => {
        this.signing = null;
      },
    );
  }

  /** Signs again in `ms` (the re-signed state doubles as awareness' periodic renewal). */
  private refreshAfter(ms: number): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.publish();
    }, ms);
  }

  /**
   * Remembers `clientId` as `device`'s. Honest devices never share a client id (Yjs picks them at
   * random per doc), so one claimed by two device keys is attributed to neither from then on.
   */
  private bind(clientId: number, device: VerifiedDevice, time: number): void {
    if (this.contested.has(clientId)) return;
    const before = this.clients.get(clientId);
    if (before !== undefined && before.device.key !== device.key) {
      this.clients.delete(clientId);
      this.remember(this.contested, clientId, true, MAX_REMEMBERED_CLIENTS);
      return;
    }
    this.remember(this.clients, clientId, { device, time }, MAX_REMEMBERED_CLIENTS);
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
