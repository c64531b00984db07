/**
 * SignalingClient.reconnectNow (issue 18's "Try again" and coming back online): while the socket is
 * down and waiting out its backoff it connects at once, with the backoff reset; it never opens a
 * second socket beside a live or connecting one, and does nothing once destroyed. Over a fake
 * WebSocket whose opens and closes the test drives, with fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FIRST_RECONNECT_DELAY_MS, MAX_RECONNECT_DELAY_MS, SignalingClient } from '../../../src/sync/SignalingClient';

class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(): void {}
  close(): void {
    this.closed = true;
  }
  /** Test control: the server accepted / the connection went away. */
  accept(): void {
    this.onopen?.();
  }
  drop(): void {
    this.closed = true;
    this.onclose?.();
  }
}

const latest = (): FakeSocket => FakeSocket.made.at(-1)!;

describe('SignalingClient.reconnectNow', () => {
  let opens: number;
  let client: SignalingClient;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.made = [];
    opens = 0;
    client = new SignalingClient('wss://signal.example/signal', FakeSocket as unknown as new (url: string) => WebSocket, {
      onOpen: () => opens++,
      onPublish: () => undefined,
      onClose: () => undefined,
    });
  });
  afterEach(() => {
    client.destroy();
    vi.useRealTimers();
  });

  /** Fails `times` connection attempts in a row, each retried after its backoff. */
  async function failRepeatedly(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const socket = latest();
      socket.drop();
      await vi.advanceTimersByTimeAsync(MAX_RECONNECT_DELAY_MS);
      expect(FakeSocket.made.at(-1)).not.toBe(socket);
    }
  }

  it('while waiting out the backoff: connects at once, and the next failure waits the first delay again', async () => {
    await failRepeatedly(6); // the backoff is at its longest now
    latest().drop();
    const before = FakeSocket.made.length;
    client.reconnectNow();
    expect(FakeSocket.made).toHaveLength(before + 1);
    latest().accept();
    expect(client.connected).toBe(true);
    expect(opens).toBe(1);
    // The scheduled attempt was cancelled: no second socket when its time comes.
    await vi.advanceTimersByTimeAsync(MAX_RECONNECT_DELAY_MS);
    expect(FakeSocket.made).toHaveLength(before + 1);
    // Backoff reset: a drop now retries after the first delay, not the longest.
    latest().drop();
    await vi.advanceTimersByTimeAsync(FIRST_RECONNECT_DELAY_MS - 1);
    expect(FakeSocket.made).toHaveLength(before + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.made).toHaveLength(before + 2);
  });

  it('leaves a live or connecting socket alone', () => {
    expect(FakeSocket.made).toHaveLength(1);
    client.reconnectNow(); // still connecting
    expect(FakeSocket.made).toHaveLength(1);
    latest().accept();
    client.reconnectNow(); // open
    expect(FakeSocket.made).toHaveLength(1);
    expect(latest().closed).toBe(false);
    expect(opens).toBe(1);
  });

  it('does nothing once destroyed', async () => {
    latest().drop();
    client.destroy();
    client.reconnectNow();
    await vi.advanceTimersByTimeAsync(MAX_RECONNECT_DELAY_MS * 2);
    expect(FakeSocket.made).toHaveLength(1);
  });
});
