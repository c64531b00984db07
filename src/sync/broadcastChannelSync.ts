import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type * as Y from 'yjs';

/**
 * Keeps one Y.Doc in step across the tabs of this browser over a
 * BroadcastChannel — nothing leaves the device. Used for the notes index,
 * which is private to this browser profile and must never reach a signaling
 * server (note documents use the y-webrtc transport, which has its own
 * BroadcastChannel path).
 *
 * Speaks y-protocols' sync messages: on start it announces its state vector,
 * every tab answers with what the newcomer lacks, and from then on every
 * local update is broadcast.
 */
export class BroadcastChannelSync {
  private readonly channel: BroadcastChannel | null;
  private destroyed = false;

  constructor(
    private readonly doc: Y.Doc,
    channelName: string,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName) : null;
    if (!this.channel) return;
    this.channel.addEventListener('message', this.onMessage);
    doc.on('update', this.onUpdate);
    const encoder = encoding.createEncoder();
    syncProtocol.writeSyncStep1(encoder, doc);
    this.post(encoding.toUint8Array(encoder));
  }

  private post(message: Uint8Array): void {
    if (!this.destroyed) this.channel?.postMessage(message);
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return;
    const encoder = encoding.createEncoder();
    syncProtocol.writeUpdate(encoder, update);
    this.post(encoding.toUint8Array(encoder));
  };

  private readonly onMessage = (event: MessageEvent): void => {
    if (!(event.data instanceof Uint8Array)) return;
    try {
      const decoder = decoding.createDecoder(event.data);
      const reply = encoding.createEncoder();
      syncProtocol.readSyncMessage(decoder, reply, this.doc, this);
      if (encoding.length(reply) > 0) this.post(encoding.toUint8Array(reply));
    } catch (error) {
      // Another tab of ours sent something unreadable (e.g. an older build): ignore it, keep the doc.
      console.warn('Ignored an unreadable message from another tab', error);
    }
  };

  /** Stops syncing; undoes the constructor. */
  destroy(): void {
    if (this.destroyed || !this.channel) return;
    this.destroyed = true;
    this.doc.off('update', this.onUpdate);
    this.channel.removeEventListener('message', this.onMessage);
    this.channel.close();
  }
}
