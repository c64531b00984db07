/**
 * Proof that the other end of a data channel holds a note's secret, for the
 * channels a note gets on a connection another note opened (multiplexing:
 * one connection per remote browser tab, PeerNetwork.ts).
 *
 * Why: a connection opened through a note's signaling is already bound to
 * that note (its offer and answer are encrypted with the note's key). But
 * which *tab* a connection leads to is only a claim (the `tab` field of an
 * announce): someone who has note A's link could announce in A with another
 * user's tab id, and a second note B shared with that user would then be sent
 * over the impostor's connection. So no note message flows on a multiplexed
 * channel until both sides proved, over that very channel, that they hold the
 * note's secret:
 *
 *   both:   HELLO  = [AUTH_HELLO_MARKER, version, 32-byte random nonce]
 *   both:   PROOF  = [AUTH_PROOF_MARKER, version,
 *                     HMAC-SHA-256(K, domain ‖ label ‖ binding ‖ opener nonce ‖ acceptor nonce ‖ sender role)]
 *   K = HKDF-SHA-256(secret, salt = room name, info = {@link AUTH_DOMAIN})
 *
 * The label names the channel (note topic and opener's peer id), the nonces
 * make every proof fresh, the role keeps a side from reflecting the other's
 * proof. The binding is the connection's two DTLS certificate fingerprints
 * (opener's, then acceptor's, from the SDP): without it, an impostor between
 * two real holders of the note could relay their hellos and proofs over her
 * two connections, pass, and then read the note as it goes through her. With
 * it, each real side computes over a different pair, and a relay fails.
 * The markers are ≥ 0x80: they can never start a y-webrtc message.
 */

/** Label prefix of a note's channel on a shared connection: `weft-mux-1 <topic> <opener peer id>`. */
export const MUX_LABEL_PREFIX = 'weft-mux-1';
/** The label of a note's channel on a shared connection. */
export const muxLabel = (topic: string, openerPeerId: string): string => `${MUX_LABEL_PREFIX} ${topic} ${openerPeerId}`;

/** First byte of the hello. */
export const AUTH_HELLO_MARKER = 0xf4;
/** First byte of the proof. */
export const AUTH_PROOF_MARKER = 0xf5;
export const AUTH_VERSION = 1;
/** HKDF info and HMAC domain separation. */
export const AUTH_DOMAIN = 'weft/mux-channel-auth/v1';
export const NONCE_BYTES = 32;
const MAC_BYTES = 32;

/** Which end of the channel a side is. */
export type ChannelRole = 'opener' | 'acceptor';

const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);

/** The HMAC key of a note's channel proofs. */
export async function deriveChannelAuthKey(secret: string, roomName: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', utf8(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: utf8(roomName), info: utf8(AUTH_DOMAIN) },
    material,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

const transcript = (
  label: string,
  binding: string,
  openerNonce: Uint8Array,
  acceptorNonce: Uint8Array,
  role: ChannelRole,
): Uint8Array<ArrayBuffer> => {
  const head = utf8(`${AUTH_DOMAIN}\u0000${label}\u0000${binding}\u0000`);
  const tail = utf8(`\u0000${role}`);
  const out = new Uint8Array(head.length + 2 * NONCE_BYTES + tail.length);
  out.set(head, 0);
  out.set(openerNonce, head.length);
  out.set(acceptorNonce, head.length + NONCE_BYTES);
  out.set(tail, head.length + 2 * NONCE_BYTES);
  return out;
};

/** Outcome of feeding one message to a {@link ChannelAuth}. */
export type AuthStep =
  | { readonly kind: 'send'; readonly message: Uint8Array }
  | { readonly kind: 'wait' }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * One side of the handshake on one channel. `hello()` first; then every
 * message the channel receives until it says `done` (or `failed`: close the
 * channel, send the note nothing).
 */
export class ChannelAuth {
  private readonly nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  private peerNonce: Uint8Array | null = null;
  private sentProof = false;
  private verified = false;

  /**
   * `binding`: the connection's DTLS fingerprints, opener's then acceptor's
   * (see {@link channelBinding}): the same string on both honest ends.
   */
  constructor(
    private readonly key: CryptoKey,
    private readonly label: string,
    private readonly binding: string,
    private readonly role: ChannelRole,
  ) {}

  /** True once the peer proved it holds the secret. */
  get done(): boolean {
    return this.verified;
  }

  hello(): Uint8Array {
    return Uint8Array.of(AUTH_HELLO_MARKER, AUTH_VERSION, ...this.nonce);
  }

  /** Handles one received message. */
  async receive(message: Uint8Array): Promise<AuthStep> {
    if (message.byteLength < 2 || message[1] !== AUTH_VERSION) return { kind: 'failed', reason: 'not an auth message' };
    if (message[0] === AUTH_HELLO_MARKER) {
      if (this.peerNonce !== null || message.byteLength !== 2 + NONCE_BYTES) return { kind: 'failed', reason: 'bad hello' };
      this.peerNonce = message.slice(2);
      const mac = await crypto.subtle.sign('HMAC', this.key, this.transcriptFor(this.role));
      this.sentProof = true;
      return { kind: 'send', message: Uint8Array.of(AUTH_PROOF_MARKER, AUTH_VERSION, ...new Uint8Array(mac)) };
    }
    if (message[0] === AUTH_PROOF_MARKER) {
      if (this.peerNonce === null || !this.sentProof || this.verified || message.byteLength !== 2 + MAC_BYTES) {
        return { kind: 'failed', reason: 'proof out of turn' };
      }
      const peerRole: ChannelRole = this.role === 'opener' ? 'acceptor' : 'opener';
      const ok = await crypto.subtle.verify('HMAC', this.key, message.slice(2), this.transcriptFor(peerRole));
      if (!ok) return { kind: 'failed', reason: 'wrong proof' };
      this.verified = true;
      return { kind: 'done' };
    }
    return { kind: 'failed', reason: 'note message before the proof' };
  }

  private transcriptFor(role: ChannelRole): Uint8Array<ArrayBuffer> {
    const peer = this.peerNonce!;
    const [opener, acceptor] = this.role === 'opener' ? [this.nonce, peer] : [peer, this.nonce];
    return transcript(this.label, this.binding, opener, acceptor, role);
  }
}

/**
 * The binding string of a connection for `role`: the DTLS fingerprint lines
 * of both SDPs, the opener's first. (An SDP without one — test doubles — is
 * taken whole.)
 */
export const channelBinding = (localSdp: string, remoteSdp: string, role: ChannelRole): string => {
  const fingerprint = (sdp: string): string => /^a=fingerprint:(.+)$/m.exec(sdp)?.[1]?.trim() ?? sdp;
  const [local, remote] = [fingerprint(localSdp), fingerprint(remoteSdp)];
  return role === 'opener' ? `${local}|${remote}` : `${remote}|${local}`;
};

/** True when a message belongs to the handshake. */
export const isAuthMessage = (message: Uint8Array): boolean => message[0] === AUTH_HELLO_MARKER || message[0] === AUTH_PROOF_MARKER;
