/**
 * PresenceLink (src/app/PresenceLink.ts) on its own: the people list is published when someone
 * comes, goes or renames (not on every caret move), a new display name reaches the awareness
 * state and the binding's user, and dispose stops both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { PresenceLink } from '../../../src/app/PresenceLink';
import { Signal } from '../../../src/app/Signal';
import type { PresencePeer } from '../../../src/sync/presence';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function awarenessOf(name: string): Awareness {
  const awareness = new Awareness(new Y.Doc());
  awareness.setLocalState({ name, color: '#336699' });
  cleanups.push(() => awareness.destroy());
  return awareness;
}

/** Copies `from`'s local state into `to`, as a transport would. */
const relay = (from: Awareness, to: Awareness) => applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'test');

function setup() {
  const awareness = awarenessOf('Alice');
  const displayName = new Signal('Alice');
  const user = { name: 'Alice' };
  let peers: readonly PresencePeer[] = [];
  const published: Array<readonly PresencePeer[]> = [];
  const link = new PresenceLink({
    awareness,
    displayName,
    user,
    peers: () => peers,
    onPeers: (now) => {
      peers = now;
      published.push(now);
    },
  });
  cleanups.push(() => link.dispose());
  return { awareness, displayName, user, link, published };
}

describe('PresenceLink', () => {
  it('publishes the people list when someone comes or renames, not when a caret moves', () => {
    const { awareness, link, published } = setup();
    link.start();
    const bob = awarenessOf('Bob');
    relay(bob, awareness);
    expect(published.at(-1)?.map((p) => p.name)).toEqual(['Bob']);
    const count = published.length;
    bob.setLocalStateField('cursor', { anchor: 1 });
    relay(bob, awareness);
    expect(published).toHaveLength(count);
    bob.setLocalStateField('name', 'Robert');
    relay(bob, awareness);
    expect(published.at(-1)?.map((p) => p.name)).toEqual(['Robert']);
  });

  it('puts a new display name into the awareness state and the binding’s user', () => {
    const { awareness, displayName, user, link } = setup();
    link.start();
    displayName.set('Alicia');
    expect(user.name).toBe('Alicia');
    expect(awareness.getLocalState()?.name).toBe('Alicia');
  });

  it('dispose stops both', () => {
    const { awareness, displayName, user, link, published } = setup();
    link.start();
    link.dispose();
    displayName.set('Alicia');
    relay(awarenessOf('Bob'), awareness);
    expect(user.name).toBe('Alice');
    expect(published).toEqual([]);
  });
});
