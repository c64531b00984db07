/**
 * Issue 18 with real NATs: a network of Linux namespaces (scripts/natNetwork.mjs) — a public
 * side with the Weft server and coturn on 203.0.113.10, two homes behind nftables NAT routers
 * — and a Chromium running inside each home. Scenario by scenario:
 *
 * 1. nothing configured: signaling works, ICE cannot cross the NATs, and both peers say
 *    "Can't reach other peers", the details saying why (no TURN relay);
 * 2. STUN only, both routers endpoint-independent ("cone"): the peers connect directly
 *    (server-reflexive candidates, hole punching);
 *    — and when router A then drops UDP mid-session (signaling, over TCP, goes on), the status
 *    says "Connected to 1 peer, reconnecting…" until the path is back and "direct" again;
 * 3. STUN only, one router address-and-port-dependent ("symmetric"): no direct path, and
 *    the peers say so;
 * 4. TURN (minted credentials), both routers symmetric, both peers with "Hide my IP address
 *    from peers" on: the peers edit together both ways through the relay (relay ↔ relay),
 *    the status and the details dialog say "relayed", and `/config.json` never holds the
 *    secret;
 * 5. the same NATs with STUN + TURN and the default ICE policy: the peers connect through one
 *    relay (a relay ↔ peer-reflexive pair: a home's own socket through its NAT to the other's
 *    relay, let in because TURN permissions are per IP address) and edit both ways. This row
 *    was unreliable until the public namespace got a default route (scripts/natNetwork.mjs):
 *    without one, coturn's relay checking a home's private host candidate got ENETUNREACH,
 *    and coturn closes the whole allocation on any failed send from a relay socket
 *    ("udp send: Network is unreachable", then "closed (2nd stage) ... reason: general").
 *
 * Needs root (network namespaces), iproute2, nftables and coturn (.ci/run installs them).
 * Without them the whole file is skipped, loudly.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { expect, test, WEBRTC_PERMISSIONS } from './fixtures';
import { coturnInstalled, startCoturn, type Coturn } from '../../scripts/coturn.mjs';
import { createNatNetwork, namespaceProblem, PUBLIC_SERVICE_ADDRESS, startPublicServer, type Home, type NatNetwork } from '../../scripts/natNetwork.mjs';
import { editorOf, openShareLink, shareLinkOf, syncStatusOf, newNote } from './helpers/peers';
import { DIST_DIR, ROOT_DIR, SERVER_ENTRY } from './helpers/server';

/** The connection status gives up after 20 s of trying (ConnectionMonitor.ts); ICE and a loaded box add their share. */
const VERDICT_TIMEOUT_MS = 60_000;
/** Signaling + ICE (+ a TURN allocation) between two namespaces on a loaded 2-core box. */
const CONNECT_TIMEOUT_MS = 45_000;
/** coturn's port inside the public namespace (ours alone: nothing else listens there). */
const TURN_PORT = 3478;

const problem = namespaceProblem() ?? (coturnInstalled() ? null : 'coturn is not installed (apt-get install coturn)');
if (problem !== null) {
  // Loud on purpose: a skipped NAT test must never pass for a passed one.
  console.warn(`\n*** NAT TEST SKIPPED: ${problem}. tests/e2e/nat.spec.ts did not run. ***\n`);
}

test.describe('NAT traversal between two home networks (network namespaces)', () => {
  test.skip(problem !== null, `NAT test skipped: ${problem}`);
  test.describe.configure({ mode: 'serial', timeout: 240_000 });

  let net: NatNetwork;
  let coturn: Coturn;

  test.beforeAll(async () => {
    net = createNatNetwork();
    coturn = await startCoturn({ host: PUBLIC_SERVICE_ADDRESS, port: TURN_PORT, prefix: net.publicPrefix });
  });

  test.afterAll(async () => {
    await coturn?.stop();
    net?.destroy();
  });

  test('nothing configured: the peers find each other but cannot connect, and say why', async () => {
    net.setNat('A', 'cone');
    net.setNat('B', 'cone');
    await withPeers(net, {}, async ({ alice, bob }) => {
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText("Can't reach other peers", { timeout: VERDICT_TIMEOUT_MS });
      const details = await openDetails(alice);
      await expect(details.getByLabel('Signaling server')).toHaveText('reachable');
      await expect(details.getByLabel('ICE candidates gathered')).toHaveText(/^host [1-9]\d*, srflx 0, relay 0$/);
      await expect(details.getByRole('alert')).toContainText('this server offers no TURN relay');
      // No relay offered: no privacy option either.
      await expect(details.getByRole('checkbox', { name: 'Hide my IP address from peers' })).toHaveCount(0);
    });
  });

  test('STUN only, both NATs endpoint-independent: a direct connection through the NATs', async () => {
    net.setNat('A', 'cone');
    net.setNat('B', 'cone');
    await withPeers(net, { STUN_URLS: `stun:${PUBLIC_SERVICE_ADDRESS}:${TURN_PORT}` }, async ({ alice, bob }) => {
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText('Connected to 1 peer, direct', { timeout: CONNECT_TIMEOUT_MS });
      await editsFlowBothWays(alice, bob);
      const details = await openDetails(alice);
      await expect(details.getByLabel('ICE candidates gathered')).toHaveText(/^host [1-9]\d*, srflx [1-9]\d*, relay 0$/);
      // The pair uses the other home's public (server-reflexive or peer-reflexive) address: through both NATs.
      await expect(details.getByLabel('Connected peers')).toHaveText(/^direct \((host|srflx|prflx) ↔ (srflx|prflx)\)$/);
    });
  });

  test('STUN only, both NATs endpoint-independent: a path that breaks mid-session says "reconnecting…", then comes back', async () => {
    net.setNat('A', 'cone');
    net.setNat('B', 'cone');
    await withPeers(net, { STUN_URLS: `stun:${PUBLIC_SERVICE_ADDRESS}:${TURN_PORT}` }, async ({ alice, bob }) => {
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText('Connected to 1 peer, direct', { timeout: CONNECT_TIMEOUT_MS });
      // Router A drops UDP (the peer path) while signaling (TCP) goes on: ICE loses the pair.
      net.cutUdp('A', true);
      try {
        await expect(syncStatusOf(alice)).toHaveText('Connected to 1 peer, reconnecting…', { timeout: CONNECT_TIMEOUT_MS });
      } finally {
        net.cutUdp('A', false);
      }
      // The restart (or a new connection) finds the path again.
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText('Connected to 1 peer, direct', { timeout: CONNECT_TIMEOUT_MS });
      await editsFlowBothWays(alice, bob);
    });
  });

  test('STUN only, one NAT symmetric: no direct path, and the peers say so', async () => {
    net.setNat('A', 'cone');
    net.setNat('B', 'symmetric');
    await withPeers(net, { STUN_URLS: `stun:${PUBLIC_SERVICE_ADDRESS}:${TURN_PORT}` }, async ({ alice, bob }) => {
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText("Can't reach other peers", { timeout: VERDICT_TIMEOUT_MS });
      const details = await openDetails(bob);
      await expect(details.getByLabel('ICE candidates gathered')).toHaveText(/^host [1-9]\d*, srflx [1-9]\d*, relay 0$/);
      await expect(details.getByLabel('Connected peers')).toHaveText('none');
    });
  });

  test('TURN with minted credentials, both NATs symmetric, relay only: the peers edit together through the relay', async () => {
    net.setNat('A', 'symmetric');
    net.setNat('B', 'symmetric');
    const env = { TURN_URLS: coturn.url, TURN_SECRET: coturn.secret };
    await withPeers(net, env, async ({ alice, bob }) => {
      const config = await alice.evaluate(async () => (await fetch('/config.json', { cache: 'no-store' })).text());
      expect(config).not.toContain(coturn.secret);
      expect(config).toContain(coturn.url);
      // Both turn on "Hide my IP address from peers": relay candidates only (see the file comment for why).
      for (const page of [alice, bob]) {
        const details = await openDetails(page);
        await details.getByRole('checkbox', { name: 'Hide my IP address from peers' }).check();
        await details.getByRole('button', { name: 'Close' }).click();
      }
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText('Connected to 1 peer, relayed', { timeout: CONNECT_TIMEOUT_MS });
      await editsFlowBothWays(alice, bob);
      const details = await openDetails(bob);
      await expect(details.getByLabel('Connected peers')).toHaveText('relayed (relay ↔ relay)');
      await expect(details.getByLabel('ICE candidates gathered')).toHaveText(/^host 0, srflx 0, relay [1-9]\d*$/);
    });
    expect(coturn.output()).toMatch(/ALLOCATE processed, success/);
  });

  test('TURN with minted credentials, both NATs symmetric, default policy: the peers connect through the relay and edit together', async () => {
    net.setNat('A', 'symmetric');
    net.setNat('B', 'symmetric');
    const env = { STUN_URLS: `stun:${PUBLIC_SERVICE_ADDRESS}:${TURN_PORT}`, TURN_URLS: coturn.url, TURN_SECRET: coturn.secret };
    await withPeers(net, env, async ({ alice, bob }) => {
      for (const page of [alice, bob]) await expect(syncStatusOf(page)).toHaveText('Connected to 1 peer, relayed', { timeout: CONNECT_TIMEOUT_MS });
      await editsFlowBothWays(alice, bob);
      const relayCandidates: number[] = [];
      for (const page of [alice, bob]) {
        const details = await openDetails(page);
        await expect(details.getByLabel('Connected peers')).toHaveText(/^relayed \((relay ↔ \w+|\w+ ↔ relay)\)$/);
        const gathered = details.getByLabel('ICE candidates gathered');
        await expect(gathered).toHaveText(/^host [1-9]\d*, srflx [1-9]\d*, relay \d+$/);
        relayCandidates.push(Number(/relay (\d+)$/.exec((await gathered.textContent()) ?? '')?.[1]));
        await details.getByRole('button', { name: 'Close' }).click();
      }
      // The relayed pair needs one end's relay; under load the other end's allocation may still be
      // on its way when the pair is chosen (seen in CI: "host 2, srflx 1, relay 0" on one side).
      expect(Math.max(...relayCandidates)).toBeGreaterThan(0);
    });
    // Every send from the relay went out: a failed one closes the allocation it belongs to.
    expect(coturn.output()).not.toMatch(/udp send: /);
  });
});

/** Opens "Connection details" and returns the dialog. */
async function openDetails(page: Page) {
  await page.getByRole('button', { name: 'Connection details' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connection details' });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function editsFlowBothWays(alice: Page, bob: Page): Promise<void> {
  await editorOf(bob).click();
  await bob.keyboard.press('Control+End');
  await bob.keyboard.type(' Bob from home B.');
  await expect(editorOf(alice)).toContainText('Bob from home B.');
  await editorOf(alice).click();
  await alice.keyboard.press('Control+End');
  await alice.keyboard.type(' Alice from home A.');
  await expect(editorOf(bob)).toContainText('Bob from home B. Alice from home A.');
}

/**
 * Starts a Weft server in the public namespace with `env`, a Chromium in each home, lets Alice
 * (home A) share a new note and Bob (home B) open its link, runs `body`, and stops everything.
 */
async function withPeers(net: NatNetwork, env: Record<string, string>, body: (peers: { alice: Page; bob: Page }) => Promise<void>): Promise<void> {
  const server = await startPublicServer(net, { entry: SERVER_ENTRY, staticDir: DIST_DIR, cwd: ROOT_DIR, env });
  const browsers: Browser[] = [];
  try {
    const page = async (home: Home): Promise<Page> => {
      const browser = await chromium.launch({
        executablePath: net.chromiumIn(home),
        // An http: origin other than localhost is not a secure context: no WebCrypto, no service worker.
        // Real deployments are https:; here Chromium is told to treat the test origin as secure.
        args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${server.url}`],
        headless: true,
        timeout: 30_000,
      });
      browsers.push(browser);
      const context = await browser.newContext({ permissions: [...WEBRTC_PERMISSIONS] });
      return context.newPage();
    };
    const [alice, bob] = await Promise.all([page('A'), page('B')]);
    await alice.goto(`${server.url}/`);
    await newNote(alice);
    await alice.keyboard.type('Shared across two NATs.');
    const link = await shareLinkOf(alice);
    await openShareLink(bob, link);
    await expect(editorOf(bob)).toBeVisible();
    await body({ alice, bob });
  } finally {
    await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
    await server.stop();
  }
}
