/**
 * Presence bound to device keys (PresenceIdentities.ts): Alice's and Bob's
 * browsers exchange awareness updates as every transport does (y-protocols'
 * encoding), Mallory is a hostile peer writing states by hand. Bob must show
 * Alice verified, with her fingerprint, and drop every state that claims a
 * device key it cannot prove.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { MemoryDeviceKeyStore } from '../../../src/storage/MemoryDeviceKeyStore';
import { loadDeviceIdentity, type DeviceIdentity } from '../../../src/sync/deviceIdentity';
import { PresenceIdentities } from '../../../src/sync/PresenceIdentities';
import { readPeers } from '../../../src/sync/presence';
import { waitFor } from '../waitFor';

const NOTE = 'AAAAAAAAAAAAAAAAAAAAAA';
const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

interface Browser {
  awareness: awarenessProtocol.Awareness;
  identities: PresenceIdentities;
  identity: DeviceIdentity;
  name: { value: string };
}

async function browser(name: string): Promise<Browser> {
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  const identity = await loadDeviceIdentity(new MemoryDeviceKeyStore());
  const current = { value: name };
  // As the editor binding does: a state with the name before any proof.
  awareness.setLocalState({ name, color: '#2e86ab', anchorPos: null, focusPos: null });
  const identities = new PresenceIdentities({ awareness, noteId: NOTE, identity: Promise.resolve(identity), name: () => current.value });
  identities.start();
  disposers.push(() => {
    identities.dispose();
    awareness.destroy();
    doc.destroy();
  });
  return { awareness, identities, identity, name: current };
}

/** Every awareness change of `from` reaches `to`, encoded and applied as by a transport. */
function link(from: awarenessProtocol.Awareness, to: awarenessProtocol.Awareness): void {
  const forward = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    const update = awarenessProtocol.encodeAwarenessUpdate(from, [...added, ...updated, ...removed]);
    awarenessProtocol.applyAwarenessUpdate(to, update, 'peer');
  };
  from.on('update', forward);
  disposers.push(() => from.off('update', forward));
  forward({ added: [...from.getStates().keys()], updated: [], removed: [] });
}

/** A state for `clientId` written straight into `to`, as a hostile peer's awareness update. */
function inject(to: awarenessProtocol.Awareness, clientId: number, state: Record<string, unknown>, clock = 1): void {
  const stranger = new awarenessProtocol.Awareness(new Y.Doc());
  stranger.clientID = clientId;
  stranger.states.set(clientId, state);
  stranger.meta.set(clientId, { clock, lastUpdated: Date.now() });
  awarenessProtocol.applyAwarenessUpdate(to, awarenessProtocol.encodeAwarenessUpdate(stranger, [clientId]), 'mallory');
  stranger.destroy();
}

const peersOf = (b: Browser) => readPeers(b.awareness, (id) => b.identities.verdictOf(id));

describe('PresenceIdentities', () => {
  it('publishes a proof with the name, and the receiver shows the sender verified with its fingerprint', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified on Bob', () => peersOf(bob).some((p) => p.fingerprint !== undefined));
    expect(peersOf(bob)).toEqual([{ clientId: alice.awareness.clientID, name: 'Alice', color: '#2e86ab', fingerprint: alice.identity.fingerprint }]);
    expect(alice.identity.fingerprint).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
    expect(bob.identities.deviceOf(alice.awareness.clientID)).toEqual({ key: alice.identity.publicKey, fingerprint: alice.identity.fingerprint, name: 'Alice' });
    // Its own client id is this browser's own device.
    expect(bob.identities.deviceOf(bob.awareness.clientID)?.key).toBe(bob.identity.publicKey);
  });

  it('a rename goes out with its new proof: the receiver never sees the new name unproven or forged', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const seen: string[] = [];
    const watch = () => seen.push(peersOf(bob).map((p) => `${p.name}:${p.fingerprint ?? '-'}`).join(','));
    bob.awareness.on('change', watch);
    const unwatch = bob.identities.onVerdict(watch);
    disposers.push(unwatch, () => bob.awareness.off('change', watch));
    alice.name.value = 'Alicia';
    alice.identities.nameChanged();
    await waitFor('the new name verified', () => peersOf(bob)[0]?.name === 'Alicia' && peersOf(bob)[0]?.fingerprint !== undefined);
    // Alice was listed, with her fingerprint, at every moment.
    expect(seen.length).toBeGreaterThan(0);
    for (const list of seen) expect(list).toMatch(new RegExp(`^(Alice|Alicia):${alice.identity.fingerprint}$`));
    expect(bob.identities.deviceOf(alice.awareness.clientID)?.name).toBe('Alicia');
  });

  it('drops a hostile peer that claims another device’s key (copied proof, own signature, other name) and never attributes it', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    const mallory = await browser('Mallory');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const aliceState = bob.awareness.getStates().get(alice.awareness.clientID) as Record<string, unknown>;
    const mallorySelf = 0x0ea1;

    // 1. Alice's proof, copied as it is, under Mallory's own client id.
    inject(bob.awareness, mallorySelf, { ...aliceState });
    // 2. Alice's key with a signature Mallory made with her own device key.
    const ownSig = await mallory.identity.proveIdentity(NOTE, mallorySelf + 1, 'Alice');
    inject(bob.awareness, mallorySelf + 1, { name: 'Alice', color: '#d1495b', device: { key: alice.identity.publicKey, sig: ownSig.sig } });
    // 3. Alice's client id and proof, with another name (as a stale relay could hold it).
    const stolen = await alice.identity.proveIdentity(NOTE, mallorySelf + 2, 'Alice');
    inject(bob.awareness, mallorySelf + 2, { name: 'Alice (really)', color: '#d1495b', device: stolen });
    // 4. Alice's proof for this client id, but for another note.
    const otherNote = await alice.identity.proveIdentity('BBBBBBBBBBBBBBBBBBBBBB', mallorySelf + 3, 'Alice');
    inject(bob.awareness, mallorySelf + 3, { name: 'Alice', color: '#d1495b', device: otherNote });
    // 5. Garbage where the proof goes.
    inject(bob.awareness, mallorySelf + 4, { name: 'Alice', color: '#d1495b', device: { key: 42, sig: 'x' } });
    // 6. Mallory's own, honest proof: listed, as herself.
    inject(bob.awareness, mallorySelf + 5, {
      name: 'Mallory',
      color: '#d1495b',
      device: await mallory.identity.proveIdentity(NOTE, mallorySelf + 5, 'Mallory'),
    });

    await waitFor('every verdict in', () =>
      [0, 1, 2, 3, 4, 5].every((i) => bob.identities.verdictOf(mallorySelf + i).status !== 'pending'),
    );
    expect([0, 1, 2, 3, 4].map((i) => bob.identities.verdictOf(mallorySelf + i).status)).toEqual(['forged', 'forged', 'forged', 'forged', 'forged']);
    expect(peersOf(bob).map((p) => [p.name, p.fingerprint]).sort()).toEqual([
      ['Alice', alice.identity.fingerprint],
      ['Mallory', mallory.identity.fingerprint],
    ]);
    for (const i of [0, 1, 2, 3, 4]) expect(bob.identities.deviceOf(mallorySelf + i)).toBeNull();
    expect(bob.identities.deviceOf(mallorySelf + 5)?.key).toBe(mallory.identity.publicKey);
  });

  it('a client id proved by a second device key (an editor posing under Alice’s client id) is attributed to nobody from then on', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    const mallory = await browser('Mallory');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const aliceId = alice.awareness.clientID;
    expect(bob.identities.deviceOf(aliceId)?.key).toBe(alice.identity.publicKey);
    // Mallory proves Alice's client id with her own key (a newer clock, as if Alice's connection closed).
    const proof = await mallory.identity.proveIdentity(NOTE, aliceId, 'Mallory');
    const clock = (bob.awareness.meta.get(aliceId)?.clock ?? 0) + 1;
    inject(bob.awareness, aliceId, { name: 'Mallory', color: '#d1495b', device: proof }, clock);
    await waitFor('the second proof checked', () => bob.identities.verdictOf(aliceId).status === 'verified');
    expect(bob.identities.deviceOf(aliceId)).toBeNull();
    // Alice's own proof again does not give it back.
    inject(bob.awareness, aliceId, { name: 'Alice', color: '#2e86ab', device: await alice.identity.proveIdentity(NOTE, aliceId, 'Alice') }, clock + 1);
    await waitFor('checked', () => bob.identities.verdictOf(aliceId).status === 'verified');
    expect(bob.identities.deviceOf(aliceId)).toBeNull();
  });

  it('a state with no proof (stock y-webrtc) is listed unverified and attributed to nobody', async () => {
    const bob = await browser('Bob');
    inject(bob.awareness, 777, { name: 'Stock', color: '#d1495b' });
    expect(bob.identities.verdictOf(777).status).toBe('unproven');
    expect(peersOf(bob)).toEqual([{ clientId: 777, name: 'Stock', color: '#d1495b' }]);
    expect(bob.identities.deviceOf(777)).toBeNull();
  });

  it('remembers a verified device after its presence left (a version recorded later still names it)', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    awarenessProtocol.removeAwarenessStates(bob.awareness, [alice.awareness.clientID], 'timeout');
    expect(peersOf(bob)).toEqual([]);
    expect(bob.identities.deviceOf(alice.awareness.clientID)?.fingerprint).toBe(alice.identity.fingerprint);
  });
});
