/**
 * One WebSocket to one signaling server, kept open: reconnects with backoff
 * when it drops, pings when the line is quiet and reconnects when the server
 * stops answering (as lib0's WebsocketClient, which y-webrtc uses, does).
 * Every received frame is parsed strictly (signalingMessage.ts) before the
 * owner sees it.
 */

import { PING_FRAME, parseSignalingFrame, type SignalingFrame } from './signalingMessage';

/** First reconnect delay; doubles per failed attempt up to {@link MAX_RECONNECT_DELAY_MS}. */
export const FIRST_RECONNECT_DELAY_MS = 100;
/** Longest wait between reconnect attempts (y-webrtc's client: 2.5 s). */
export const MAX_RECONNECT_DELAY_MS = 2500;
/** Ping after this long without a frame from the server. */
export const PING_AFTER_MS = 15_000;
/** Reconnect after this long without a frame from the server (the ping went unanswered). */
export const SILENCE_LIMIT_MS = 30_000;

/** The WebSocket constructor (the browser's, or a test's). */
export type WebSocketClass = new (url: string) => WebSocket;

/** What a {@link SignalingClient} reports. */
export interface SignalingHandlers {
  /** The socket is open (again): subscribe and announce. */
  onOpen(): void;
  /** A `publish` frame that passed parsing. */
  onPublish(frame: Extract<SignalingFrame, { type: 'publish' }>): void;
  /** The socket closed; a reconnect is scheduled. */
  onClose(): void;
}

export class SignalingClient {
  private socket: WebSocket | null = null;
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;
  private open = false;

  constructor(
    readonly url: string,
    private readonly WebSocketImpl: WebSocketClass,
    private readonly handlers: SignalingHandlers,
  ) {
    this.connect();
  }

  get connected(): boolean {
    return this.open;
  }

  /** Sends a frame if the socket is open (frames sent while closed are not queued: reopening re-subscribes). */
  send(frame: string): void {
    if (!this.open || this.socket === null) return;
    try {
      this.socket.send(frame);
    } catch {
      // Closing: the close handler reconnects.
    }
  }

  /** While down and waiting to reconnect: reconnect now, with the backoff reset. */
  reconnectNow(): void {
    if (this.destroyed || this.socket !== null) return;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failures = 0;
    this.connect();
  }

  /** Closes the socket for good. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.open = false;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // Never opened.
      }
    }
  }

  private connect(): void {
    if (this.destroyed) return;
    let socket: WebSocket;
    try {
      socket = new this.WebSocketImpl(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.open = true;
      this.failures = 0;
      this.heard();
      this.handlers.onOpen();
    };
    socket.onmessage = (event: MessageEvent) => {
      this.heard();
      const frame = parseSignalingFrame(event.data);
      if (frame?.type === 'publish') this.handlers.onPublish(frame);
    };
    socket.onerror = () => {
      // Always followed by close.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      const wasOpen = this.open;
      this.open = false;
      this.socket = null;
      this.clearTimers();
      this.failures++;
      this.scheduleReconnect();
      if (wasOpen) this.handlers.onClose();
    };
  }

  private scheduleReconnect(): void {
    if (this.destroyed) return;
    const delay = Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** Math.max(0, this.failures - 1), MAX_RECONNECT_DELAY_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  /** Something arrived: the server is alive; ping if it goes quiet, give up on it if it stays quiet. */
  private heard(): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      this.send(PING_FRAME);
      this.pingTimer = setTimeout(() => this.socket?.close(), SILENCE_LIMIT_MS - PING_AFTER_MS);
    }, PING_AFTER_MS);
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.reconnectTimer = this.pingTimer = null;
  }
}
