/**
 * Issue 18, short-lived TURN credentials against a real coturn (Debian's `turnserver`, started on
 * loopback with a generated `use-auth-secret` configuration and a port the OS picked): the
 * credential the Weft server mints in `/config.json` allocates a relay, a credential minted with
 * another secret does not, and the page never sees the secret. Then the app itself: "Hide my
 * IP address from peers" makes a device gather relay candidates only, and two peers edit
 * together through coturn, which the status line and "Connection details" say.
 */
import { expect, test, type WeftServer } from './fixtures';
import { editorOf, expectConnected, launchPeer, newNote, openShareLink, shareLinkOf, syncStatusOf } from './helpers/peers';
import { coturnInstalled, startCoturn, type Coturn } from '../../scripts/coturn.mjs';
import { DIST_DIR } from './helpers/server';

/** ICE through a relay on a loaded 2-core box: allocation, permissions, checks. */
const RELAY_TIMEOUT_MS = 20_000;

test.describe('TURN credentials with a real coturn', () => {
  test.skip(!coturnInstalled(), 'coturn is not installed (apt-get install coturn; .ci/run does it): the TURN tests cannot run');

  let coturn: Coturn;
  let weft: WeftServer;

  test.beforeEach(async ({ serveDir }) => {
    coturn = await startCoturn();
    weft = await serveDir(DIST_DIR, { env: { TURN_URLS: coturn.url, TURN_SECRET: coturn.secret, TURN_TTL: '600' } });
  });

  test.afterEach(async () => {
    await coturn?.stop();
  });

  test('the minted credential allocates a relay: two relay-only peer connections talk through coturn', async ({ page }) => {
    await page.goto(`${weft.url}/`);
    const body = await page.evaluate(async () => (await fetch('/config.json', { cache: 'no-store' })).text());
    expect(body).not.toContain(coturn.secret);
    const config = JSON.parse(body) as { iceServers: RTCIceServer[]; iceCredentialTtl: number };
    expect(config.iceCredentialTtl).toBe(600);
    expect(config.iceServers).toEqual([{ urls: [coturn.url], username: expect.stringMatching(/^\d+:[\w-]+$/) as unknown, credential: expect.any(String) as unknown }]);

    const result = await page.evaluate(
      async ({ iceServers, timeoutMs }) => {
        const a = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
        const b = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
        const types: string[] = [];
        a.onicecandidate = (e) => {
          if (e.candidate) {
            types.push(e.candidate.type ?? '?');
            void b.addIceCandidate(e.candidate);
          }
        };
        b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
        const received = new Promise<string>((resolve) => {
          b.ondatachannel = (e) => (e.channel.onmessage = (m) => resolve(String(m.data)));
        });
        const channel = a.createDataChannel('probe');
        channel.onopen = () => channel.send('through the relay');
        await a.setLocalDescription(await a.createOffer());
        await b.setRemoteDescription(a.localDescription!);
        await b.setLocalDescription(await b.createAnswer());
        await a.setRemoteDescription(b.localDescription!);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const message = await Promise.race([received, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
        clearTimeout(timer);
        const stats = await a.getStats();
        let pairLocal = '';
        stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
          if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
          const pair = stats.get(s.selectedCandidatePairId) as { localCandidateId: string };
          pairLocal = (stats.get(pair.localCandidateId) as { candidateType: string }).candidateType;
        });
        a.close();
        b.close();
        return { message, types, pairLocal };
      },
      { iceServers: config.iceServers, timeoutMs: RELAY_TIMEOUT_MS },
    );
    expect(result.message).toBe('through the relay');
    expect(result.types.length).toBeGreaterThan(0);
    expect(new Set(result.types)).toEqual(new Set(['relay']));
    expect(result.pairLocal).toBe('relay');
    expect(coturn.output()).toMatch(/ALLOCATE processed, success/);
  });

  test('a credential not minted with the shared secret is refused by coturn', async ({ page }) => {
    await page.goto(`${weft.url}/`);
    const outcome = await page.evaluate(
      async ({ url, timeoutMs }) => {
        // Same shape as a minted one (a future expiry), wrong HMAC key.
        const username = `${Math.floor(Date.now() / 1000) + 600}:forged`;
        const pc = new RTCPeerConnection({ iceServers: [{ urls: url, username, credential: 'bm90IHRoZSByaWdodCBobWFj' }], iceTransportPolicy: 'relay' });
        const types: string[] = [];
        const errors: number[] = [];
        pc.onicecandidateerror = (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode);
        const done = new Promise<void>((resolve) => {
          pc.onicecandidate = (e) => (e.candidate ? types.push(e.candidate.type ?? '?') : resolve());
        });
        pc.createDataChannel('probe');
        await pc.setLocalDescription(await pc.createOffer());
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        pc.close();
        return { types, errors };
      },
      { url: coturn.url, timeoutMs: RELAY_TIMEOUT_MS },
    );
    expect(outcome.types).toEqual([]);
    expect(outcome.errors).toContain(401);
  });

  test('"Hide my IP address from peers": relay candidates only, remembered, and the peers edit through coturn', async ({ launchProfile, profileDir }) => {
    const alice = await launchPeer(launchProfile, profileDir, 'alice');
    await alice.page.goto(`${weft.url}/`);
    await newNote(alice.page);
    await expect(syncStatusOf(alice.page)).toHaveText('Not shared');
    const link = await shareLinkOf(alice.page);
    await expect(syncStatusOf(alice.page)).toHaveText('Looking for peers…');

    await alice.page.getByRole('button', { name: 'Connection details' }).click();
    const details = alice.page.getByRole('dialog', { name: 'Connection details' });
    // Offered because the deployment has TURN (/config.json), off by default.
    const hide = details.getByRole('checkbox', { name: 'Hide my IP address from peers' });
    await expect(hide).not.toBeChecked();
    await hide.check();
    await expect(details.getByLabel('Signaling server')).toHaveText('reachable');
    await details.getByRole('button', { name: 'Close' }).click();

    const bob = await launchPeer(launchProfile, profileDir, 'bob');
    await openShareLink(bob.page, link);
    await expectConnected(alice.page, 1, RELAY_TIMEOUT_MS);
    await expect(syncStatusOf(alice.page)).toHaveText('Connected to 1 peer, relayed', { timeout: RELAY_TIMEOUT_MS });
    await expect(syncStatusOf(bob.page)).toHaveText('Connected to 1 peer, relayed', { timeout: RELAY_TIMEOUT_MS });

    await editorOf(bob.page).click();
    await bob.page.keyboard.type('Bob through the relay');
    await expect(editorOf(alice.page)).toContainText('Bob through the relay');
    await editorOf(alice.page).click();
    await alice.page.keyboard.press('Control+End');
    await alice.page.keyboard.type(' and Alice back');
    await expect(editorOf(bob.page)).toContainText('Bob through the relay and Alice back');

    // Alice's details: only relay candidates were gathered (peers never saw her addresses), the pair is relayed.
    await alice.page.getByRole('button', { name: 'Connection details' }).click();
    await expect(details.getByLabel('Connected peers')).toHaveText(/^relayed \(relay ↔ \w+\)$/);
    await expect(details.getByLabel('ICE candidates gathered')).toHaveText(/^host 0, srflx 0, relay [1-9]\d*$/);
    await details.getByRole('button', { name: 'Close' }).click();

    // Remembered on this device.
    await alice.page.reload();
    await alice.page.getByRole('button', { name: 'Connection details' }).click();
    await expect(details.getByRole('checkbox', { name: 'Hide my IP address from peers' })).toBeChecked();
  });
});
