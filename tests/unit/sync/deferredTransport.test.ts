/**
 * The WebRTC transport is a lazily loaded chunk (src/main.tsx): until it
 * arrives, a deferred transport stands in, then creates the real one and
 * forwards its state; destroyed before that, it never creates one.
 */
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { deferredTransport } from '../../../src/sync/deferredTransport';
import type { SyncStatus, Transport, TransportFactory } from '../../../src/sync/Transport';

function fakeTransport(awareness: Awareness): Transport & { set(status: SyncStatus, peers: number): void; destroyed: boolean } {
  const listeners = new Set<() => void>();
  const t = {
    status: 'connecting' as SyncStatus,
    peerCount: 0,
    awareness,
    destroyed: false,
    onChange: (l: () => void) => (listeners.add(l), () => listeners.delete(l)),
    destroy: () => void (t.destroyed = true),
    set(status: SyncStatus, peers: number) {
      t.status = status;
      t.peerCount = peers;
      for (const l of [...listeners]) l();
    },
  };
  return t;
}

const room = { noteId: 'n', secret: 's' };

describe('deferredTransport', () => {
  it('is offline until the factory arrives, then forwards the real transport', async () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const real = fakeTransport(awareness);
    let resolve!: (f: TransportFactory) => void;
    const t = deferredTransport(new Promise((r) => (resolve = r)), doc, awareness, room, () => undefined);
    expect([t.status, t.peerCount, t.awareness]).toEqual(['offline', 0, awareness]);
    const onChange = vi.fn();
    t.onChange(onChange);
    resolve(() => real);
    await Promise.resolve();
    await Promise.resolve();
    expect(onChange).toHaveBeenCalled();
    expect(t.status).toBe('connecting');
    real.set('connected', 1);
    expect([t.status, t.peerCount]).toEqual(['connected', 1]);
    t.destroy();
    expect(real.destroyed).toBe(true);
  });

  it('never creates the real transport when destroyed first, and reports a failed load', async () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const create = vi.fn();
    const t = deferredTransport(Promise.resolve(create as unknown as TransportFactory), doc, awareness, room, () => undefined);
    t.destroy();
    await new Promise((r) => setTimeout(r, 0));
    expect(create).not.toHaveBeenCalled();

    const onError = vi.fn();
    const failed = deferredTransport(Promise.reject(new Error('chunk failed')), doc, awareness, room, onError);
    await new Promise((r) => setTimeout(r, 0));
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'chunk failed' }));
    expect(failed.status).toBe('offline');
  });
});
