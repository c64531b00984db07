import * as encoding from 'lib0/encoding';
import { MESSAGE_AWARENESS } from '../../../src/sync/peerMessage';

/** One awareness entry as y-protocols encodes it: client id, clock, and the state's JSON (text or raw bytes). */
export type AwarenessEntry = readonly [clientId: number, clock: number, json: string | Uint8Array];

/**
 * A y-webrtc awareness message (MESSAGE_AWARENESS, then a y-protocols awareness update) built
 * by hand, so tests can send what y-protocols would never encode: raw or oversized JSON, states
 * claiming other clients, and `trailing` bytes after the entries inside the update.
 */
export function awarenessMessage(entries: readonly AwarenessEntry[], trailing: readonly number[] = []): Uint8Array {
  return encoding.encode((outer) => {
    encoding.writeVarUint(outer, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(
      outer,
      encoding.encode((inner) => {
        encoding.writeVarUint(inner, entries.length);
        for (const [clientId, clock, json] of entries) {
          encoding.writeVarUint(inner, clientId);
          encoding.writeVarUint(inner, clock);
          // writeVarString is exactly the UTF-8 bytes with their length in front.
          encoding.writeVarUint8Array(inner, typeof json === 'string' ? new TextEncoder().encode(json) : json);
        }
        for (const byte of trailing) encoding.writeUint8(inner, byte);
      }),
    );
  });
}
