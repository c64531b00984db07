/**
 * Stock y-webrtc in Node, as "another browser": each call loads a separate module instance
 * (its own rooms and signaling sockets), whose rooms ignore lib0's process-wide BroadcastChannel
 * so that peers meet over (fake) WebRTC as separate browsers would.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as YWebrtc from 'y-webrtc';

export type YWebrtcModule = typeof YWebrtc;

const require = createRequire(import.meta.url);
const Y_WEBRTC_SRC = pathToFileURL(require.resolve('y-webrtc').replace(/dist[\\/]y-webrtc\.cjs$/, 'src/y-webrtc.js')).href;

/** A separate module instance of y-webrtc named `instance` (unique per "browser"). */
export const loadYWebrtc = async (instance: string): Promise<YWebrtcModule> => {
  const mod = (await import(/* @vite-ignore */ `${Y_WEBRTC_SRC}?instance=${instance}`)) as YWebrtcModule;
  // All instances share one lib0, whose BroadcastChannel delivers to every
  // subscriber in the process: make rooms ignore it, so peers use WebRTC as
  // separate browsers would. (Room assigns `_bcSubscriber` in its constructor.)
  Object.defineProperty(mod.Room.prototype, '_bcSubscriber', { configurable: true, get: () => () => {}, set: () => {} });
  return mod;
};
