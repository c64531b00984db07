/**
 * Presence bound to device keys (PresenceIdentities.ts): Alice's and Bob's
 * browsers exchange awareness updates as every transport does (y-protocols'
 * encoding), Mallory is a hostile peer writing states by hand. Bob must show
 * Alice verified, with her fingerprint, and drop every state that claims a
 * device key it cannot prove; a copy of Alice's state replayed later (past
 * the window, or older than one Bob accepted) must never pass for her.
 * Clocks are injected where time matters.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { MemoryDeviceKeyStore } from '../../../src/storage/MemoryDeviceKeyStore';
import { loadDeviceIdentity, PROOF_REFRESH_MS, PROOF_WINDOW_MS, type DeviceIdentity } from '../../../src/sync/deviceIdentity';
import { PROOF_FIELD, PresenceIdentities } from '../../../src/sync/PresenceIdentities';
import { peerLabel, readPeers, verdictText } from '../../../src/sync/presence';
import { waitFor } from '../waitFor';

const NOTE = 'AAAAAAAAAAAAAAAAAAAAAA';
const disposers: Array<() => void> = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
  vi.useRealTimers();
});

/** A wall clock tests move by hand (ms since 1970). */
const clockAt = (t = Date.now()) => {
  const clock = { t, now: () => clock.t };
  return clock;
};

interface Browser {
  awareness: awarenessProtocol.Awareness;
  identities: PresenceIdentities;
  identity: DeviceIdentity;
  name: { value: string };
}

async function browser(name: string, now?: () => number): Promise<Browser> {
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  const identity = await loadDeviceIdentity(new MemoryDeviceKeyStore());
  const current = { value: name };
  // As the editor binding does: a state with the name before any proof.
  awareness.setLocalState({ name, color: '#2e86ab', anchorPos: null, focusPos: null });
  const identities = new PresenceIdentities({ awareness, noteId: NOTE, identity: Promise.resolve(identity), name: () => current.value, ...(now ? { now } : {}) });
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
    const ownSig = await mallory.identity.proveIdentity(NOTE, mallorySelf + 1, 'Alice', Date.now());
    inject(bob.awareness, mallorySelf + 1, { name: 'Alice', color: '#d1495b', [PROOF_FIELD]: { ...ownSig, key: alice.identity.publicKey } });
    // 3. Alice's client id and proof, with another name (as a stale relay could hold it).
    const stolen = await alice.identity.proveIdentity(NOTE, mallorySelf + 2, 'Alice', Date.now());
    inject(bob.awareness, mallorySelf + 2, { name: 'Alice (really)', color: '#d1495b', [PROOF_FIELD]: stolen });
    // 4. Alice's proof for this client id, but for another note.
    const otherNote = await alice.identity.proveIdentity('BBBBBBBBBBBBBBBBBBBBBB', mallorySelf + 3, 'Alice', Date.now());
    inject(bob.awareness, mallorySelf + 3, { name: 'Alice', color: '#d1495b', [PROOF_FIELD]: otherNote });
    // 5. Garbage where the proof goes.
    inject(bob.awareness, mallorySelf + 4, { name: 'Alice', color: '#d1495b', [PROOF_FIELD]: { key: 42, sig: 'x' } });
    // 6. Mallory's own, honest proof: listed, as herself.
    inject(bob.awareness, mallorySelf + 5, {
      name: 'Mallory',
      color: '#d1495b',
      [PROOF_FIELD]: await mallory.identity.proveIdentity(NOTE, mallorySelf + 5, 'Mallory', Date.now()),
    });
    // 7. Alice's proof with its time moved (a copy made to look fresh).
    const aliceProof = (aliceState[PROOF_FIELD] as { time: number }).time;
    inject(bob.awareness, mallorySelf + 6, { ...aliceState, [PROOF_FIELD]: { ...(aliceState[PROOF_FIELD] as object), time: aliceProof + 1 } });

    await waitFor('every verdict in', () =>
      [0, 1, 2, 3, 4, 5, 6].every((i) => bob.identities.verdictOf(mallorySelf + i).status !== 'pending'),
    );
    expect([0, 1, 2, 3, 4, 6].map((i) => bob.identities.verdictOf(mallorySelf + i).status)).toEqual(['forged', 'forged', 'forged', 'forged', 'forged', 'forged']);
    expect(peersOf(bob).map((p) => [p.name, p.fingerprint]).sort()).toEqual([
      ['Alice', alice.identity.fingerprint],
      ['Mallory', mallory.identity.fingerprint],
    ]);
    for (const i of [0, 1, 2, 3, 4, 6]) expect(bob.identities.deviceOf(mallorySelf + i)).toBeNull();
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
    const proof = await mallory.identity.proveIdentity(NOTE, aliceId, 'Mallory', Date.now());
    const clock = (bob.awareness.meta.get(aliceId)?.clock ?? 0) + 1;
    inject(bob.awareness, aliceId, { name: 'Mallory', color: '#d1495b', [PROOF_FIELD]: proof }, clock);
    await waitFor('the second proof checked', () => bob.identities.verdictOf(aliceId).status === 'verified');
    expect(bob.identities.deviceOf(aliceId)).toBeNull();
    // Alice's own proof again does not give it back.
    inject(bob.awareness, aliceId, { name: 'Alice', color: '#2e86ab', [PROOF_FIELD]: await alice.identity.proveIdentity(NOTE, aliceId, 'Alice', Date.now() + 1) }, clock + 1);
    await waitFor('checked', () => bob.identities.verdictOf(aliceId).status === 'verified');
    expect(bob.identities.deviceOf(aliceId)).toBeNull();
  });

  it('a state with no proof (stock y-webrtc) is listed unverified and attributed to nobody', async () => {
    const bob = await browser('Bob');
    inject(bob.awareness, 777, { name: 'Stock', color: '#d1495b' });
    expect(bob.identities.verdictOf(777)).toEqual({ status: 'unproven', reason: { kind: 'no-proof' } });
    expect(peersOf(bob)).toEqual([{ clientId: 777, name: 'Stock', color: '#d1495b', unproven: { kind: 'no-proof' } }]);
    expect(peerLabel(peersOf(bob)[0]!)).toEqual({ name: 'Stock (unverified)', title: expect.stringMatching(/^Device not verified: no device proof/) as unknown });
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

  it('publishes a time with the proof, and signs again every PROOF_REFRESH_MS (the receiver keeps it verified)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clock = clockAt();
    const alice = await browser('Alice', clock.now);
    const bob = await browser('Bob', clock.now);
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const first = (alice.awareness.getLocalState()?.[PROOF_FIELD] as { time: number }).time;
    expect(first).toBe(clock.t);
    for (let round = 1; round <= 8; round++) {
      clock.t += PROOF_REFRESH_MS;
      await vi.advanceTimersByTimeAsync(PROOF_REFRESH_MS);
      await waitFor(`proof ${round} re-signed`, () => (alice.awareness.getLocalState()?.[PROOF_FIELD] as { time: number }).time >= first + round * PROOF_REFRESH_MS);
      await waitFor(`proof ${round} verified`, () => bob.identities.verdictOf(alice.awareness.clientID).status === 'verified');
    }
    // 80 s later, past the window of the first proof: still verified, on the newest proof.
    expect(clock.t - first).toBeGreaterThan(PROOF_WINDOW_MS);
    expect(peersOf(bob)).toEqual([expect.objectContaining({ name: 'Alice', fingerprint: alice.identity.fingerprint })]);
  });

  it('a copy of a device’s state replayed after it left passes only within the window, and a newcomer never credits it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clock = clockAt();
    const alice = await browser('Alice', clock.now);
    const bob = await browser('Bob', clock.now);
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const aliceId = alice.awareness.clientID;
    const captured = { ...(bob.awareness.getStates().get(aliceId) as Record<string, unknown>) };
    // Alice leaves (her tab closed: her state is removed, her proofs stop).
    alice.identities.dispose();
    awarenessProtocol.removeAwarenessStates(bob.awareness, [aliceId], 'timeout');
    let notified = 0;
    disposers.push(bob.identities.onVerdict(() => notified++));

    // Within the window: the copy still passes (the limit the README states).
    clock.t += PROOF_WINDOW_MS / 2;
    inject(bob.awareness, aliceId, captured, 100);
    expect(bob.identities.verdictOf(aliceId).status).toBe('verified');
    // Past it: not proven, with the reason; the listeners hear of it when it runs out.
    clock.t += PROOF_WINDOW_MS / 2 + 1;
    await vi.advanceTimersByTimeAsync(PROOF_WINDOW_MS);
    expect(notified).toBeGreaterThan(0);
    const verdict = bob.identities.verdictOf(aliceId);
    expect(verdict).toEqual({ status: 'unproven', reason: { kind: 'clock', offsetMs: -(PROOF_WINDOW_MS + 1) } });
    expect(peersOf(bob)).toEqual([{ clientId: aliceId, name: 'Alice', color: '#2e86ab', unproven: { kind: 'clock', offsetMs: -60_000 } }]);
    expect(peerLabel(peersOf(bob)[0]!).name).toBe('Alice (unverified)');
    expect(verdictText(peersOf(bob)[0]!)).toMatch(/dated about 1 min behind this device's clock/);

    // An hour later, Carol (who never saw Alice) is shown the same copy: not Alice's, not credited.
    clock.t += 3_600_000;
    const carol = await browser('Carol', clock.now);
    inject(carol.awareness, aliceId, captured, 100);
    await waitFor('checked', () => carol.identities.verdictOf(aliceId).status !== 'pending');
    expect(carol.identities.verdictOf(aliceId)).toMatchObject({ status: 'unproven', reason: { kind: 'clock' } });
    expect(readPeers(carol.awareness, (id) => carol.identities.verdictOf(id))[0]?.fingerprint).toBeUndefined();
    expect(carol.identities.deviceOf(aliceId)).toBeNull();
  });

  it('an older proof of a device than one already accepted (replayed with a newer awareness clock) is dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clock = clockAt();
    const alice = await browser('Alice', clock.now);
    const bob = await browser('Bob', clock.now);
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const aliceId = alice.awareness.clientID;
    const old = { ...(bob.awareness.getStates().get(aliceId) as Record<string, unknown>) };
    const oldTime = (old[PROOF_FIELD] as { time: number }).time;
    clock.t += PROOF_REFRESH_MS;
    await vi.advanceTimersByTimeAsync(PROOF_REFRESH_MS);
    await waitFor('the newer proof verified on Bob', () => {
      const proof = bob.awareness.getStates().get(aliceId)?.[PROOF_FIELD] as { time: number } | undefined;
      return proof !== undefined && proof.time > oldTime && bob.identities.verdictOf(aliceId).status === 'verified';
    });
    // Mallory replays the older state over it, well within the window.
    inject(bob.awareness, aliceId, old, (bob.awareness.meta.get(aliceId)?.clock ?? 0) + 1);
    expect(bob.identities.verdictOf(aliceId)).toEqual({ status: 'forged' });
    expect(peersOf(bob)).toEqual([]);
  });

  it('a replayed proof under another client id is forged, also within the window', async () => {
    const alice = await browser('Alice');
    const bob = await browser('Bob');
    link(alice.awareness, bob.awareness);
    await waitFor('Alice verified', () => peersOf(bob)[0]?.fingerprint !== undefined);
    const captured = bob.awareness.getStates().get(alice.awareness.clientID) as Record<string, unknown>;
    inject(bob.awareness, 4242, { ...captured });
    await waitFor('checked', () => bob.identities.verdictOf(4242).status !== 'pending');
    expect(bob.identities.verdictOf(4242)).toEqual({ status: 'forged' });
    expect(bob.identities.deviceOf(4242)).toBeNull();
  });

  it('a peer whose clock is off by more than the window is listed not proven, with the offset, and never attributed', async () => {
    const bobClock = clockAt();
    const ahead = clockAt(bobClock.t + 5 * 60_000);
    const behind = clockAt(bobClock.t - 3 * 60_000);
    const slight = clockAt(bobClock.t - 40_000);
    const alice = await browser('Alice', ahead.now);
    const dave = await browser('Dave', behind.now);
    const erin = await browser('Erin', slight.now);
    const bob = await browser('Bob', bobClock.now);
    for (const peer of [alice, dave, erin]) link(peer.awareness, bob.awareness);
    await waitFor('every proof published and checked', () =>
      [alice, dave, erin].every((p) => p.awareness.getLocalState()?.[PROOF_FIELD] !== undefined && bob.identities.verdictOf(p.awareness.clientID).status !== 'pending'),
    );
    const byName = new Map(peersOf(bob).map((p) => [p.name, p]));
    expect(byName.get('Alice')).toMatchObject({ unproven: { kind: 'clock', offsetMs: 5 * 60_000 } });
    expect(byName.get('Dave')).toMatchObject({ unproven: { kind: 'clock', offsetMs: -3 * 60_000 } });
    expect([byName.get('Alice')?.fingerprint, byName.get('Dave')?.fingerprint]).toEqual([undefined, undefined]);
    // 40 s off is within the window: verified.
    expect(byName.get('Erin')?.fingerprint).toBe(erin.identity.fingerprint);
    expect(verdictText(byName.get('Alice')!)).toMatch(/dated about 5 min ahead of this device's clock/);
    expect(verdictText(byName.get('Dave')!)).toMatch(/dated about 3 min behind this device's clock/);
    expect(bob.identities.deviceOf(alice.awareness.clientID)).toBeNull();
    expect(bob.identities.deviceOf(dave.awareness.clientID)).toBeNull();
  });

  it('a version 1 proof (an older Weft, good signature) is listed not proven and never attributed', async () => {
    const bob = await browser('Bob');
    const pair = (await crypto.subtle.generateKey('Ed25519', false, ['sign', 'verify'])) as CryptoKeyPair;
    const key = Buffer.from(await crypto.subtle.exportKey('raw', pair.publicKey)).toString('base64url');
    const v1 = new TextEncoder().encode(`weft/presence/v1\u0000${NOTE}\u0000555\u0000Old Weft`);
    const sig = Buffer.from(await crypto.subtle.sign('Ed25519', pair.privateKey, v1)).toString('base64url');
    inject(bob.awareness, 555, { name: 'Old Weft', color: '#d1495b', device: { key, sig } });
    expect(bob.identities.verdictOf(555)).toEqual({ status: 'unproven', reason: { kind: 'v1-proof' } });
    expect(peersOf(bob)).toEqual([{ clientId: 555, name: 'Old Weft', color: '#d1495b', unproven: { kind: 'v1-proof' } }]);
    expect(verdictText(peersOf(bob)[0]!)).toMatch(/older Weft version/);
    expect(bob.identities.deviceOf(555)).toBeNull();
  });
});
