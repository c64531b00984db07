/**
 * The Transport contract: what every Transport adapter must do, written once
 * and run by two runners against every adapter.
 *
 * Shape. A scenario is plain async code against two small interfaces: a
 * {@link ContractNetwork} (join a new peer; cut one off the network and heal)
 * and the {@link ContractPeer}s it returns (insert / read text, set / read
 * presence, status, peer count, change notifications, leave). Nothing in a
 * scenario knows where the transports live. The peers are
 * {@link TransportMember}s — a Y.Doc, its awareness and the transport under
 * test — either in the test process (every call is a direct call) or one per
 * Chromium process (every call is a page.evaluate into the harness page,
 * contractPage.ts). Scenarios check with node:assert and wait on state with
 * {@link until} (bounded), so they run unchanged under Vitest and Playwright;
 * each runner only turns {@link contractCases} into its own tests:
 *
 * - tests/unit/sync/Transport.contract.test.ts (Vitest): loopback, the peer
 *   network over BroadcastChannel (tabs), the peer network over fake WebRTC
 *   through a real signaling server;
 * - tests/e2e/transport-contract.spec.ts (Playwright): the peer network over
 *   real WebRTC between separate Chromium processes through our server.
 *
 * Adding an adapter (e.g. the relay transport): write a
 * {@link TransportAdapter} — for an in-process transport,
 * `{ name, open: async () => inProcessNetwork(() => ({ factory })) }`, where
 * each call of the device function is one device (start a server in `open`,
 * stop it in the second argument of inProcessNetwork) — and add it to the
 * `adapters` list of Transport.contract.test.ts: one line. A transport that
 * must run in a browser gets its page driver like the WebRTC one in
 * transport-contract.spec.ts.
 *
 * Partitions: an adapter that can cut a device off the network for real
 * gives its devices `cut` / `heal` (NetworkCut.ts for the peer network); one
 * that cannot honestly (tabs of one browser share it: there is no network
 * between them to lose) says why in `cannotPartition`, and the runners list
 * the partition scenario as skipped with that reason.
 *
 * "Nothing arrives" is always checked against a positive marker: a third
 * peer that does get a message sent at the same time.
 */
import assert from 'node:assert/strict';
import type { SyncRoom, Transport, TransportFactory } from '../../../src/sync/Transport';
import { randomBytes, seedFor } from '../../prng';
import { TransportMember, contractPeer, type ContractPeer } from './TransportMember';
import { forgedRoom, type Forgery } from './forgedRoom';

export type { ContractPeer };

/** The note every scenario shares (another secret is another room). */
export const CONTRACT_ROOM: SyncRoom = { noteId: 'AAECAwQFBgcICQoLDA0ODw', secret: '__79_Pv6-fj39vX08_Lx8A' };
/** A secret that is not the room's. */
const OTHER_SECRET = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Longest wait for one state (real WebRTC on a loaded 2-core machine connects in 1-3 s). */
const WAIT_MS = 20_000;
/** How often a waited-on state is read again. */
const POLL_MS = 20;
/** Longest a whole scenario may take, for the runners' test timeouts (a few waits, three devices). */
export const SCENARIO_TIMEOUT_MS = 90_000;

/** How a scenario joins a peer. */
export interface JoinOptions {
  /** The room's secret (default {@link CONTRACT_ROOM}'s). */
  readonly secret?: string;
  /** Text written before the transport exists. */
  readonly text?: string;
  /** A peer that connects but writes unsigned, or signed by a key of its own (forgedRoom.ts). */
  readonly forge?: Forgery;
}

/** Peers of one scenario, on whatever the adapter connects. */
export interface ContractNetwork {
  /** A new peer in the contract room: a device of its own (for adapters with one hub, a member of it). */
  join(options?: JoinOptions): Promise<ContractPeer>;
  /** Takes `peer`'s device off the network (see NetworkCut.ts). */
  cut(peer: ContractPeer): Promise<void>;
  /** Puts every cut device back. */
  heal(): Promise<void>;
  /** Releases every peer and whatever the adapter started. */
  dispose(): Promise<void>;
}

/** One kind of transport under the contract. */
export interface TransportAdapter {
  readonly name: string;
  /** A fresh network for one scenario. */
  open(): Promise<ContractNetwork>;
  /** Why the adapter cannot cut a device off honestly; the partition scenario is skipped with it. */
  readonly cannotPartition?: string;
  /** Why the adapter carries no signatures (an in-process double); the forgery scenario is skipped with it. */
  readonly unsigned?: string;
}

/** One behaviour of the contract. */
interface TransportScenario {
  readonly name: string;
  /** Needs {@link ContractNetwork.cut}. */
  readonly partitions?: boolean;
  /** Needs signed updates (not for an adapter that says `unsigned`). */
  readonly signatures?: boolean;
  run(network: ContractNetwork): Promise<void>;
}

/** Waits until `condition` holds, reading it every {@link POLL_MS} for at most `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** True when every peer's text is `expected`. */
const allRead = async (expected: string, ...peers: ContractPeer[]): Promise<boolean> =>
  (await Promise.all(peers.map((peer) => peer.text()))).every((text) => text === expected);

const peerCounts = (...peers: ContractPeer[]): Promise<number[]> => Promise.all(peers.map((peer) => peer.peerCount()));

const nameOf = async (peer: ContractPeer, clientId: number): Promise<string | undefined> => (await peer.presenceOf(clientId))?.name;

const scenarios: readonly TransportScenario[] = [
  {
    name: 'converges two docs both ways, including edits made before joining',
    async run(network) {
      const a = await network.join({ text: 'from a ' });
      const b = await network.join({ text: 'from b ' });
      await until('both edits on both sides', async () => {
        const [ta, tb] = await Promise.all([a.text(), b.text()]);
        return ta === tb && ta.includes('from a ') && ta.includes('from b ');
      });
      await b.insert(0, 'live ');
      await until('the live edit on a', async () => (await a.text()).startsWith('live '));
    },
  },
  {
    name: 'reports status and peer count, and notifies listeners until its disposer runs',
    async run(network) {
      const a = await network.join();
      await a.countChanges();
      assert.equal(await a.peerCount(), 0);
      assert.notEqual(await a.status(), 'connected');
      const b = await network.join();
      await until('a and b connected', async () => (await a.status()) === 'connected' && (await peerCounts(a, b)).every((n) => n === 1));
      assert.ok((await a.changes()) > 0, 'a listener heard the change');
      const c = await network.join();
      await until('a sees two peers', async () => (await a.peerCount()) === 2);
      await b.leave();
      await until('a sees one peer', async () => (await a.peerCount()) === 1);
      await a.stopCountingChanges();
      const before = await a.changes();
      await c.leave();
      await until('a alone', async () => (await a.peerCount()) === 0);
      assert.equal(await a.changes(), before, 'no notification after the disposer ran');
    },
  },
  {
    name: 'stops syncing after destroy',
    async run(network) {
      const a = await network.join();
      const b = await network.join();
      await until('a and b connected', async () => (await a.peerCount()) === 1);
      await b.leave();
      await b.leave(); // idempotent
      assert.equal(await b.status(), 'offline');
      assert.equal(await b.peerCount(), 0);
      await a.insert(0, 'after');
      await b.insert(0, 'local only');
      // A third peer gets a's edit: it went out, and b did not take it.
      const c = await network.join();
      await until('the third peer to get the edit', async () => (await c.text()) === 'after');
      assert.equal(await b.text(), 'local only');
      assert.equal(await a.text(), 'after');
    },
  },
  {
    name: 'propagates awareness states and removes them when a peer leaves',
    async run(network) {
      const a = await network.join();
      const b = await network.join();
      await a.setPresence({ name: 'Ann' });
      await until('Ann on b', async () => (await nameOf(b, a.clientId)) === 'Ann');
      await a.setPresenceField('name', 'Anna');
      await until('Anna on b', async () => (await nameOf(b, a.clientId)) === 'Anna');
      await a.leave();
      await until('a gone from b', async () => (await b.presenceOf(a.clientId)) === null);
    },
  },
  {
    name: 'does not connect peers with a different secret',
    async run(network) {
      const a = await network.join();
      const b = await network.join({ secret: OTHER_SECRET });
      await a.insert(0, 'secret text');
      // A peer with the right secret gets it; the other one never does.
      const c = await network.join();
      await until('the right peer to get the text', async () => (await c.text()) === 'secret text' && (await a.peerCount()) === 1);
      assert.equal(await b.peerCount(), 0);
      assert.equal(await b.text(), '');
    },
  },
  ...(['unsigned', 'another key'] as const).map(
    (forge): TransportScenario => ({
      name: `refuses updates ${forge === 'unsigned' ? 'without a signature' : 'signed by another key'} (a view-only holder that bypasses the UI)`,
      signatures: true,
      async run(network) {
        const a = await network.join({ text: 'honest. ' });
        const forger = await network.join({ forge, text: 'forged before joining. ' });
        const c = await network.join();
        await until('c has a’s text', async () => (await c.text()) === 'honest. ');
        await forger.insert(0, 'forged live. ');
        // The positive marker: a's edit made after the forger's reaches c; the forger's never does.
        await a.insert(0, 'marker. ');
        await until('the marker at c', async () => (await c.text()) === 'marker. honest. ');
        assert.equal(await a.text(), 'marker. honest. ');
        assert.doesNotMatch(await c.text(), /forged/);
      },
    }),
  ),
  {
    name: 'merges edits made while partitioned',
    partitions: true,
    async run(network) {
      const [a, b, c] = [await network.join(), await network.join(), await network.join()];
      await a.insert(0, 'base');
      await until('base everywhere, all connected', async () =>
        (await allRead('base', b, c)) && (await peerCounts(a, b, c)).every((n) => n === 2),
      );
      await network.cut(a);
      await until('a cut off from b and c', async () => JSON.stringify(await peerCounts(a, b, c)) === '[0,1,1]');
      assert.notEqual(await a.status(), 'connected');
      await a.insert(0, 'A');
      await b.insert(4, 'B');
      // The network still carries b's edit to c; nothing crosses the cut either way.
      await until("b's edit on c", () => allRead('baseB', c));
      assert.equal(await b.text(), 'baseB');
      assert.equal(await a.text(), 'Abase');
      await network.heal();
      await until('merged everywhere', () => allRead('AbaseB', a, b, c));
      await until('all connected again', async () => (await peerCounts(a, b, c)).every((n) => n === 2));
    },
  },
  {
    name: 'carries a 1 MB paste',
    async run(network) {
      const a = await network.join();
      const b = await network.join();
      await until('a and b connected', async () => (await a.peerCount()) === 1);
      const pasted = Array.from(randomBytes(1024 * 1024, seedFor('transport contract: 1 MB paste')), (x) => String.fromCharCode(97 + (x % 26))).join('');
      await a.insert(0, pasted);
      await until('the paste on b', async () => (await b.length()) === pasted.length);
      assert.ok((await b.text()) === pasted, 'b holds the pasted text exactly');
    },
  },
];

/** One scenario against one adapter, ready for a runner's `it` / `test`. */
export interface ContractCase {
  readonly title: string;
  /** Why it cannot run on this adapter (the runner skips it), or undefined. */
  readonly skip: string | undefined;
  /** Runs the scenario on `open()`'s network (default: the adapter's), disposing it at the end. */
  run(open?: () => Promise<ContractNetwork>): Promise<void>;
}

/** Every scenario against `adapter`: a fresh network each, disposed also when the scenario fails. */
export function contractCases(adapter: TransportAdapter): ContractCase[] {
  return scenarios.map((scenario) => ({
    title: scenario.name,
    skip: scenario.partitions ? adapter.cannotPartition : scenario.signatures ? adapter.unsigned : undefined,
    async run(open = () => adapter.open()) {
      const network = await open();
      try {
        await scenario.run(network);
      } finally {
        await network.dispose();
      }
    },
  }));
}

/** One device of an in-process network. */
export interface Device {
  /** Creates this device's transports. */
  readonly factory: TransportFactory;
  /** Takes the device off the network; `transport` is the one joined through it. */
  cut?(transport: Transport): void;
  heal?(transport: Transport): void;
  /** Releases the device (after its transport). */
  dispose?(): void;
}

/**
 * A {@link ContractNetwork} whose peers live in this process: each join asks
 * `device()` for the device to join through (a new one per peer, or one hub
 * for all); `dispose` releases what the adapter started for the scenario.
 */
export function inProcessNetwork(device: () => Device, dispose?: () => void | Promise<void>): ContractNetwork {
  const joined = new Map<ContractPeer, { member: TransportMember; device: Device }>();
  const cut = new Set<ContractPeer>();
  const entry = (peer: ContractPeer) => {
    const found = joined.get(peer);
    if (!found) throw new Error('not a peer of this network');
    return found;
  };
  return {
    async join({ secret, text, forge } = {}) {
      const through = device();
      const room = { ...CONTRACT_ROOM, secret: secret ?? CONTRACT_ROOM.secret };
      const member = new TransportMember(through.factory, { room: forge ? forgedRoom(room, forge) : room, ...(text ? { text } : {}) });
      const peer = contractPeer(member.clientId, async (method, args) => member.call(method, args));
      joined.set(peer, { member, device: through });
      return peer;
    },
    async cut(peer) {
      const { member, device } = entry(peer);
      if (!device.cut) throw new Error('this adapter cannot cut a device off');
      device.cut(member.transport);
      cut.add(peer);
    },
    async heal() {
      for (const peer of cut) {
        const { member, device } = entry(peer);
        device.heal?.(member.transport);
      }
      cut.clear();
    },
    async dispose() {
      for (const { member, device } of joined.values()) {
        member.dispose();
        device.dispose?.();
      }
      joined.clear();
      await dispose?.();
    },
  };
}
