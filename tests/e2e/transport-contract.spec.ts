/**
 * The Transport contract (tests/contract/transport/transportContract.ts: one source of
 * scenarios for every adapter) against the peer network over real WebRTC: every peer is the
 * harness page (tests/contract/transport/contractPage.ts) in a Chromium process of its own
 * (`chromium.launch()` per peer, so nothing is shared between them: the page's BroadcastChannel,
 * on as in the app, reaches no other peer), all of them through our server on 127.0.0.1
 * (signaling on /signal, same origin as the page). The scenarios run here in the test process; each peer operation is one
 * page.evaluate into its browser.
 *
 * What proves the peers came over WebRTC, checked on every run:
 * - every peer's browser is a distinct process (its browser pid, from the DevTools protocol);
 * - with every peer operation the page also reports the peer's peer count and its browser's
 *   WebRTC data channels (read in the same task): a peer counted without a live data channel of
 *   an RTCPeerConnection under it fails the scenario;
 * - every scenario saw at least one peer counted that way.
 * The partition scenario cuts one browser off the network inside that browser (NetworkCut.ts).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { WEBRTC_PERMISSIONS, expect, test } from './fixtures';
import { DIST_DIR, assertBuilt, startWeftServer, type WeftServer } from './helpers/server';
import { bundleTestPage } from './helpers/testPage';
import {
  CONTRACT_ROOM,
  SCENARIO_TIMEOUT_MS,
  contractCases,
  type ContractNetwork,
  type ContractPeer,
  type TransportAdapter,
} from '../contract/transport/transportContract';
import { contractPeer, type MemberMethod } from '../contract/transport/TransportMember';
import type { ContractPage } from '../contract/transport/contractPage';

/** What one scenario's browsers showed (asserted after the scenario). */
interface Evidence {
  /** Browser process ids, one per peer. */
  readonly pids: number[];
  /** The most peers one page counted at once, each over a live WebRTC data channel. */
  mostPeersOverWebRtc: number;
}

/** The harness page's window (functions passed to page.evaluate run there, as source: no closures). */
type ContractWindow = Window & { readonly weftContract: ContractPage };

/** The pid of `browser`'s main process. */
async function browserPid(browser: Browser): Promise<number> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await session.send('SystemInfo.getProcessInfo');
    const main = processInfo.find((process) => process.type === 'browser');
    if (!main) throw new Error('the browser reported no browser process');
    return main.id;
  } finally {
    await session.detach();
  }
}

/** A contract network whose every peer is the harness page in a Chromium process of its own. */
function chromiumNetwork(pageUrl: string, evidence: Evidence): ContractNetwork {
  const browsers: Browser[] = [];
  const pages = new Map<ContractPeer, Page>();
  const cut = new Set<Page>();
  const pageOf = (peer: ContractPeer): Page => {
    const page = pages.get(peer);
    if (!page) throw new Error('not a peer of this network');
    return page;
  };
  return {
    async join({ secret = CONTRACT_ROOM.secret, text = '', forge } = {}) {
      const browser = await chromium.launch({ ...LAUNCH_OPTIONS, args: [...LAUNCH_OPTIONS.args] });
      browsers.push(browser);
      const pid = await browserPid(browser);
      if (evidence.pids.includes(pid)) throw new Error(`browser process ${pid} already hosts a peer`);
      evidence.pids.push(pid);
      const context = await browser.newContext({ permissions: [...WEBRTC_PERMISSIONS] });
      const page = await context.newPage();
      await page.goto(pageUrl);
      await page.waitForFunction(() => 'weftContract' in window);
      const { id, clientId } = await page.evaluate(
        ({ noteId, secret, text, forge }) => (window as unknown as ContractWindow).weftContract.join(noteId, secret, text, forge ?? undefined),
        { noteId: CONTRACT_ROOM.noteId, secret, text, forge: forge ?? null },
      );
      const call = async (method: MemberMethod, args: unknown[]): Promise<unknown> => {
        const { result, peers, liveChannels } = await page.evaluate(
          ({ id, method, args }) => (window as unknown as ContractWindow).weftContract.call(id, method, args),
          { id, method, args },
        );
        if (peers > liveChannels) {
          throw new Error(`a peer counts ${peers} peer(s) over ${liveChannels} live WebRTC data channel(s): something else carries them`);
        }
        evidence.mostPeersOverWebRtc = Math.max(evidence.mostPeersOverWebRtc, peers);
        return result;
      };
      const peer = contractPeer(clientId, call);
      pages.set(peer, page);
      return peer;
    },
    async cut(peer) {
      const page = pageOf(peer);
      await page.evaluate(() => (window as unknown as ContractWindow).weftContract.cut());
      cut.add(page);
    },
    async heal() {
      for (const page of cut) await page.evaluate(() => (window as unknown as ContractWindow).weftContract.heal());
      cut.clear();
    },
    async dispose() {
      // Members and networks first (goodbyes sent, sockets closed), then the processes.
      await Promise.all([...pages.values()].map((page) => page.evaluate(() => (window as unknown as ContractWindow).weftContract.dispose()).catch(() => undefined)));
      await Promise.all(browsers.map((browser) => browser.close()));
    },
  };
}

let dir = '';
let server: WeftServer | undefined;
let pageUrl = '';

test.beforeAll(async () => {
  // The harness page, bundled from the code under test into a copy of the built app.
  assertBuilt(DIST_DIR);
  dir = await mkdtemp(join(tmpdir(), 'weft-contract-'));
  await cp(DIST_DIR, dir, { recursive: true });
  const path = await bundleTestPage(dir, join(import.meta.dirname, '..', 'contract', 'transport', 'contractPage.ts'), 'contract');
  server = await startWeftServer({ staticDir: dir });
  pageUrl = `${server.url}${path}`;
});

test.afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const realWebRtc: TransportAdapter = {
  name: 'peer network, WebRTC in real Chromium (a process per peer) through our server',
  open: async () => chromiumNetwork(pageUrl, { pids: [], mostPeersOverWebRtc: 0 }),
};

test.describe(`Transport contract: ${realWebRtc.name}`, () => {
  for (const c of contractCases(realWebRtc)) {
    test(c.title, async () => {
      test.skip(c.skip !== undefined, c.skip);
      test.setTimeout(SCENARIO_TIMEOUT_MS + 30_000);
      const evidence: Evidence = { pids: [], mostPeersOverWebRtc: 0 };
      await c.run(async () => chromiumNetwork(pageUrl, evidence));
      expect(new Set(evidence.pids).size, 'one browser process per peer').toBe(evidence.pids.length);
      expect(evidence.mostPeersOverWebRtc, 'peers counted over live WebRTC data channels').toBeGreaterThan(0);
      test.info().annotations.push({
        type: 'webrtc',
        description: `${evidence.pids.length} browser processes (${evidence.pids.join(', ')}); up to ${evidence.mostPeersOverWebRtc} peer(s) at once, each over a live WebRTC data channel`,
      });
    });
  }
});
