/**
 * Keeps one peer from being sent back what it has just sent us.
 *
 * y-webrtc re-broadcasts every document and awareness update it applies to
 * all of its connections, the one the update came from included (so that
 * updates travel across a partial mesh). To the sender that echo is pure
 * waste: the same bytes again — the update a Yjs doc emits when it applies a
 * peer's update or sync step 2 is byte-for-byte that update, and the
 * re-encoded awareness update is the one received — which it decodes and
 * applies as a no-op. After a 1 MB paste that is a 1.6 MB upload from the
 * receiver, queued ahead of that user's own keystrokes on the ordered
 * channel, and well over 100 ms of decoding on the sender's main thread; on
 * every keystroke, two extra messages each way.
 *
 * The rule: an outgoing document update or awareness update whose payload is
 * byte-for-byte one this channel delivered recently is not sent. Whatever a
 * peer sent us it has, so this never withholds anything from it; when the
 * bytes differ in any way (the update also resolved structs that were
 * pending, states were merged) the message goes out as before. Relays to the
 * other peers are untouched, and so are sync step 1/2 (y-webrtc's "synced"
 * depends on step 2 arriving).
 *
 * One instance per data channel. Pure: no I/O, never throws.
 */

import * as decoding from 'lib0/decoding';
import { equalFlat } from 'lib0/array';
import { MESSAGE_AWARENESS, MESSAGE_SYNC, SYNC_STEP_2, SYNC_UPDATE } from './peerMessage';

/** Received payloads remembered per channel (an echo follows its message within a task or two). */
export const MAX_REMEMBERED_PAYLOADS = 16;
/** Bytes of received payloads remembered per channel; a larger payload is not remembered at all. */
export const MAX_REMEMBERED_BYTES = 8 * 1024 * 1024;

type Kind = 'update' | 'awareness';

interface Payload {
  readonly kind: Kind;
  readonly bytes: Uint8Array;
}

/**
 * The comparable part of a y-webrtc message: the Yjs update of a sync step 2
 * or update message (`outgoing`: of an update message only), or the
 * awareness update. Null for anything else or anything that does not decode.
 */
const payloadOf = (message: Uint8Array, outgoing: boolean): Payload | null => {
  try {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_AWARENESS) return { kind: 'awareness', bytes: decoding.readVarUint8Array(decoder) };
    if (type !== MESSAGE_SYNC) return null;
    const syncType = decoding.readVarUint(decoder);
    if (syncType === SYNC_UPDATE || (!outgoing && syncType === SYNC_STEP_2)) {
      return { kind: 'update', bytes: decoding.readVarUint8Array(decoder) };
    }
    return null;
  } catch {
    return null;
  }
};

export class EchoFilter {
  private readonly recent: Payload[] = [];
  private rememberedBytes = 0;

  /** Records a message this channel delivered (after it passed the message check). */
  noteReceived(message: Uint8Array): void {
    const payload = payloadOf(message, false);
    if (payload === null || payload.bytes.byteLength > MAX_REMEMBERED_BYTES) return;
    this.recent.push(payload);
    this.rememberedBytes += payload.bytes.byteLength;
    while (this.recent.length > MAX_REMEMBERED_PAYLOADS || this.rememberedBytes > MAX_REMEMBERED_BYTES) {
      this.rememberedBytes -= (this.recent.shift() as Payload).bytes.byteLength;
    }
  }

  /**
   * True when `message`, about to be sent on this channel, only repeats a
   * payload the channel delivered: drop it. Each remembered payload excuses
   * one message.
   */
  isEcho(message: Uint8Array): boolean {
    const payload = payloadOf(message, true);
    if (payload === null) return false;
    // equalFlat compares lengths first, so different sizes cost nothing.
    const index = this.recent.findIndex((seen) => seen.kind === payload.kind && equalFlat(seen.bytes, payload.bytes));
    if (index < 0) return false;
    this.rememberedBytes -= this.recent[index]!.bytes.byteLength;
    this.recent.splice(index, 1);
    return true;
  }
}
