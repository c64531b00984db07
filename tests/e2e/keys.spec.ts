/**
 * Issue 17 end to end, two Chromium processes through our server: a view-only link shows live
 * edits in a read-only editor that says "View only"; a view-only peer that forces its editor
 * editable and types reaches no editor, also after a reload (it cannot sign, and editors refuse
 * what is not signed); a version 1 link still opens as an edit link. Device keys: two peers see each
 * other verified (name + fingerprint) in People here, on their carets and in the version history,
 * also after reload; one key per browser profile, shared by its tabs and kept across restarts; a
 * copy of a device's presence replayed after the device left (Mallory captured it off the wire)
 * is not listed or drawn as that device once its proof is a window old, and a copy under another
 * client id is never shown at all.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { CAPTURE_CHANNELS } from './helpers/hostilePeers';
import {
  caretToEnd,
  cursorsLayerOf,
  editorOf,
  expectConnected,
  flushed,
  launchPeer,
  newNote,
  openShareLink,
  peopleOf,
  setDisplayName,
  shareLinkOf,
  syncStatusOf,
  viewLinkOf,
  type LaunchProfile,
  type Peer,
} from './helpers/peers';

const CONNECT_TIMEOUT_MS = 20_000;

/** What a user who bypasses the UI does: Lexical keeps its editor on the root element; make it editable. */
const forceEditable = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const root = document.querySelector('[aria-label="Note"][contenteditable]') as (HTMLElement & { __lexicalEditor?: { setEditable(on: boolean): void } }) | null;
    if (!root?.__lexicalEditor) throw new Error('no Lexical editor on the page');
    root.__lexicalEditor.setEditable(true);
  });

test('a view-only link shows live edits read-only; a forced edit reaches no editor, also after reload', async ({ launchProfile, profileDir }) => {
  test.setTimeout(120_000);
  const a = await launchPeer(launchProfile, profileDir, 'editor');
  await a.page.goto('/');
  await newNote(a.page);
  await a.page.keyboard.type('Written by the editor');
  const viewLink = await viewLinkOf(a.page);

  const b = await launchPeer(launchProfile, profileDir, 'viewer');
  await openShareLink(b.page, viewLink);
  await expect(editorOf(b.page)).toContainText('Written by the editor', { timeout: CONNECT_TIMEOUT_MS });
  await expect(editorOf(b.page)).toHaveAttribute('aria-readonly', 'true');
  await expect(b.page.getByRole('note')).toContainText('View only');
  // The viewer's share dialog offers the view link only.
  await b.page.getByRole('button', { name: 'Share' }).click();
  await expect(b.page.getByRole('dialog').getByRole('textbox', { name: 'View-only link' })).toBeVisible();
  await expect(b.page.getByRole('dialog').getByRole('textbox', { name: 'Share link' })).toHaveCount(0);
  await b.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // Live edits arrive.
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await caretToEnd(a.page);
  await a.page.keyboard.type(' and typed live');
  await expect(editorOf(b.page)).toContainText('Written by the editor and typed live');

  // The viewer forces its editor editable and types: it shows here, and nowhere else.
  await forceEditable(b.page);
  await caretToEnd(b.page);
  await b.page.keyboard.type(' FORGED');
  await expect(editorOf(b.page)).toContainText('FORGED');
  // A marker typed after it: once it is at the viewer, anything the viewer sent before has reached the editor.
  await caretToEnd(a.page);
  await a.page.keyboard.type(' marker one');
  await expect(editorOf(b.page)).toContainText('marker one');
  await expect(editorOf(a.page)).not.toContainText('FORGED');

  // After a reload the viewer's stored copy still holds its forgery: the editor still never gets it.
  await b.page.reload();
  await expect(editorOf(b.page)).toContainText('marker one', { timeout: CONNECT_TIMEOUT_MS });
  await expect(editorOf(b.page)).toHaveAttribute('aria-readonly', 'true');
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await caretToEnd(a.page);
  await a.page.keyboard.type(' marker two');
  await expect(editorOf(b.page)).toContainText('marker two', { timeout: CONNECT_TIMEOUT_MS });
  await expect(editorOf(a.page)).toContainText('Written by the editor and typed live marker one marker two');
  await expect(editorOf(a.page)).not.toContainText('FORGED');
});

test('a version 1 link (note id + secret) still opens as an edit link', async ({ launchProfile, profileDir }) => {
  test.setTimeout(90_000);
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  const noteId = await newNote(a.page);
  await a.page.keyboard.type('Shared the old way');
  const link = await shareLinkOf(a.page);
  const secret = /\/edit\/([A-Za-z0-9_-]{22})$/.exec(link)?.[1];
  if (!secret) throw new Error(`not an edit link: ${link}`);
  const v1 = `${new URL(link).origin}/#/share/v1/${noteId}/${secret}`;

  const b = await launchPeer(launchProfile, profileDir, 'b');
  expect(await openShareLink(b.page, v1)).toBe(noteId);
  await expect(editorOf(b.page)).toContainText('Shared the old way', { timeout: CONNECT_TIMEOUT_MS });
  await expect(editorOf(b.page)).not.toHaveAttribute('aria-readonly', 'true');
  await caretToEnd(b.page);
  await b.page.keyboard.type(' and answered');
  await expect(editorOf(a.page)).toContainText('Shared the old way and answered');
});

test('"Revoke links" (confirmed) cuts off the old link, and the new link works', async ({ launchProfile, profileDir }) => {
  test.setTimeout(150_000);
  const a = await launchPeer(launchProfile, profileDir, 'owner');
  await a.page.goto('/');
  const noteId = await newNote(a.page);
  await a.page.keyboard.type('Before revoking');
  const oldLink = await shareLinkOf(a.page);

  const b = await launchPeer(launchProfile, profileDir, 'old-holder');
  await openShareLink(b.page, oldLink);
  await expect(editorOf(b.page)).toContainText('Before revoking', { timeout: CONNECT_TIMEOUT_MS });
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);

  // Revoke, with the confirmation; the dialog then shows new links.
  await a.page.getByRole('button', { name: 'Share' }).click();
  const dialog = a.page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Revoke links' }).click();
  const confirm = dialog.getByRole('alertdialog', { name: 'Revoke links?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Share link' })).toHaveValue(oldLink);
  await dialog.getByRole('button', { name: 'Revoke links' }).click();
  await confirm.getByRole('button', { name: 'Revoke' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Links revoked' })).toBeVisible();
  const newLink = await dialog.getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(newLink).not.toBe(oldLink);
  expect(newLink).toContain(`/${noteId}/edit/`);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(syncStatusOf(a.page)).not.toHaveText(/Connected/, { timeout: CONNECT_TIMEOUT_MS });

  // The revoker keeps editing; a newcomer with the new link gets it (the positive marker) and answers.
  await caretToEnd(a.page);
  await a.page.keyboard.type(' and after');
  const c = await launchPeer(launchProfile, profileDir, 'new-holder');
  await openShareLink(c.page, newLink);
  await expect(editorOf(c.page)).toContainText('Before revoking and after', { timeout: CONNECT_TIMEOUT_MS });
  await caretToEnd(c.page);
  await c.page.keyboard.type(' with the new link');
  await expect(editorOf(a.page)).toContainText('Before revoking and after with the new link');

  // The old holder got none of it, and what it writes reaches nobody.
  await caretToEnd(b.page);
  await b.page.keyboard.type(' OLD');
  await caretToEnd(a.page);
  await a.page.keyboard.type(' marker');
  await expect(editorOf(c.page)).toContainText('with the new link marker');
  await expect(editorOf(b.page)).toHaveText('Before revoking OLD');
  await expect(editorOf(a.page)).not.toContainText('OLD');
  await expect(editorOf(c.page)).not.toContainText('OLD');
});

/** This browser's device key fingerprint, as its own page shows it. */
const ownFingerprint = async (page: Page): Promise<string> => {
  const output = page.getByRole('status', { name: 'Your device key' });
  await expect(output).toHaveText(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
  return (await output.textContent()) ?? '';
};

/** The caret `page` draws for a peer: labelled `label` exactly, with `title` (the verdict on its device). */
const caretOf = (page: Page, label: string) => cursorsLayerOf(page).locator('.weft-editor__remote-cursor').filter({ has: page.getByText(label, { exact: true }) });

/** Opens History and expects a version naming `who` with `fingerprint`, verified; closes it again. */
async function expectHistoryNames(page: Page, who: string, fingerprint: string): Promise<void> {
  await page.getByRole('button', { name: 'History' }).click();
  const dialog = page.getByRole('dialog', { name: 'Version history' });
  await expect(dialog.getByRole('radio', { name: `${who} (${fingerprint}, verified)` }).first()).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
}

/** Alice, named, writes a line in a new note and shares it: the start of the device-key tests. */
async function aliceShares(launchProfile: LaunchProfile, profileDir: string): Promise<{ alice: Peer; link: string }> {
  const alice = await launchPeer(launchProfile, profileDir, 'alice');
  await alice.page.goto('/');
  await newNote(alice.page);
  await setDisplayName(alice.page, 'Alice');
  await caretToEnd(alice.page);
  await alice.page.keyboard.type('Alice wrote this.');
  return { alice, link: await shareLinkOf(alice.page) };
}

test('device keys: each peer sees the other verified in People here and in the version history, also after reload', async ({
  launchProfile,
  profileDir,
}) => {
  test.setTimeout(150_000);
  const { alice, link } = await aliceShares(launchProfile, profileDir);

  const bob = await launchPeer(launchProfile, profileDir, 'bob');
  await openShareLink(bob.page, link);
  await setDisplayName(bob.page, 'Bob');
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(bob.page, 1, CONNECT_TIMEOUT_MS);
  const aliceKey = await ownFingerprint(alice.page);
  const bobKey = await ownFingerprint(bob.page);
  expect(aliceKey).not.toBe(bobKey);

  // Presence: each lists the other under the name chosen, with that device's fingerprint, verified.
  await expect(peopleOf(alice.page).getByRole('listitem').filter({ hasText: /^Bob$/ })).toHaveAttribute('title', `Device key ${bobKey}, verified`);
  await expect(peopleOf(bob.page).getByRole('listitem').filter({ hasText: /^Alice$/ })).toHaveAttribute('title', `Device key ${aliceKey}, verified`);

  // Both edit; each one's caret, on the other's screen, says who (the fingerprint in its title).
  await caretToEnd(bob.page);
  await bob.page.keyboard.type(' Bob added this.');
  await expect(editorOf(alice.page)).toContainText('Bob added this.');
  await expect(caretOf(alice.page, 'Bob')).toHaveAttribute('title', `Device key ${bobKey}, verified`);
  await caretToEnd(alice.page);
  await alice.page.keyboard.type(' Alice again.');
  await expect(editorOf(bob.page)).toContainText('Alice again.');
  await expect(caretOf(bob.page, 'Alice')).toHaveAttribute('title', `Device key ${aliceKey}, verified`);

  // History names the other (and each one's own device).
  await expectHistoryNames(alice.page, 'Bob', bobKey);
  await expectHistoryNames(alice.page, 'Alice', aliceKey);
  await expectHistoryNames(bob.page, 'Alice', aliceKey);

  // After a reload the stored versions still say who; the device key is the same one.
  await flushed(alice.page);
  await flushed(bob.page);
  await alice.page.reload();
  await bob.page.reload();
  await expect(editorOf(alice.page)).toContainText('Alice again.');
  await expect(editorOf(bob.page)).toContainText('Alice again.');
  expect(await ownFingerprint(alice.page)).toBe(aliceKey);
  expect(await ownFingerprint(bob.page)).toBe(bobKey);
  await expectHistoryNames(alice.page, 'Bob', bobKey);
  await expectHistoryNames(bob.page, 'Alice', aliceKey);
  // Live presence after the reload: verified again, list and caret (new client ids, new proofs).
  await expect(peopleOf(alice.page).getByRole('listitem').filter({ hasText: /^Bob$/ })).toHaveAttribute('title', `Device key ${bobKey}, verified`);
  await caretToEnd(bob.page);
  await bob.page.keyboard.type(' Back.');
  await expect(caretOf(alice.page, 'Bob')).toHaveAttribute('title', `Device key ${bobKey}, verified`);
});

/**
 * Mallory's page records every presence state with a device proof it hears on its data channels
 * (y-webrtc awareness messages, decoded in the page), the newest per name, and can send any state
 * back out raw, under any client id, again and again with growing awareness clocks.
 */
const CAPTURE_PRESENCE = `(() => {
  const heard = new Map();
  const readUint = (b, at) => { let n = 0, mult = 1; for (;;) { const x = b[at.i++]; if (x === undefined) throw new Error('short'); n += (x & 0x7f) * mult; mult *= 128; if (x < 0x80) return n; } };
  const writeUint = (out, n) => { while (n > 0x7f) { out.push((n % 128) | 0x80); n = Math.floor(n / 128); } out.push(n); };
  const onMessage = (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    const b = new Uint8Array(event.data);
    const at = { i: 0 };
    try {
      if (readUint(b, at) !== 1) return;
      readUint(b, at);
      const count = readUint(b, at);
      for (let k = 0; k < count; k++) {
        const clientId = readUint(b, at);
        const clock = readUint(b, at);
        const length = readUint(b, at);
        const state = JSON.parse(new TextDecoder().decode(b.subarray(at.i, at.i + length)));
        at.i += length;
        if (state && state.deviceProof && typeof state.name === 'string') heard.set(state.name, { clientId, clock, state });
      }
    } catch {}
  };
  const listening = new WeakSet();
  const nativeSend = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (!listening.has(this)) { listening.add(this); this.addEventListener('message', onMessage); }
    return nativeSend.call(this, data);
  };
  const message = (clientId, clock, state) => {
    const entry = [];
    writeUint(entry, 1); writeUint(entry, clientId); writeUint(entry, clock);
    const json = [...new TextEncoder().encode(JSON.stringify(state))];
    writeUint(entry, json.length); entry.push(...json);
    const out = [1];
    writeUint(out, entry.length); out.push(...entry);
    return out;
  };
  window.__presence = {
    heard: (name) => heard.get(name) ?? null,
    replay: (clientId, state, firstClock, everyMs) => {
      let clock = firstClock;
      const send = () => window.__hostile.sendRaw(message(clientId, clock++, state));
      send();
      setInterval(send, everyMs);
    },
  };
})();`;

interface Heard {
  clientId: number;
  clock: number;
  state: { name: string; deviceProof: { time: number } };
}

const heardBy = (page: Page, name: string): Promise<Heard | null> =>
  page.evaluate((who) => (window as unknown as { __presence: { heard(n: string): Heard | null } }).__presence.heard(who), name);

test('device keys: a presence replayed after its device left stops passing for it within the window; a copy under another client id never shows', async ({
  launchProfile,
  profileDir,
}) => {
  // The window is 60 s of real time: the replay must outlive it.
  test.setTimeout(240_000);
  const { alice, link } = await aliceShares(launchProfile, profileDir);
  const bob = await launchPeer(launchProfile, profileDir, 'bob');
  await openShareLink(bob.page, link);
  await setDisplayName(bob.page, 'Bob');
  const mallory = await launchPeer(launchProfile, profileDir, 'mallory');
  await mallory.context.addInitScript(CAPTURE_CHANNELS);
  await mallory.context.addInitScript(CAPTURE_PRESENCE);
  await mallory.page.goto(link);
  await setDisplayName(mallory.page, 'Mallory');
  await expectConnected(alice.page, 2, CONNECT_TIMEOUT_MS);
  await expectConnected(bob.page, 2, CONNECT_TIMEOUT_MS);
  await expectConnected(mallory.page, 2, CONNECT_TIMEOUT_MS);
  const aliceKey = await ownFingerprint(alice.page);
  const malloryKey = await ownFingerprint(mallory.page);
  const aliceOnBob = peopleOf(bob.page).getByRole('listitem').filter({ hasText: /^Alice/ });

  // Alice types: Bob lists her and draws her caret, verified.
  await caretToEnd(alice.page);
  await alice.page.keyboard.type(' More.');
  await expect(aliceOnBob).toHaveText('Alice');
  await expect(aliceOnBob).toHaveAttribute('title', `Device key ${aliceKey}, verified`);
  await expect(caretOf(bob.page, 'Alice')).toHaveAttribute('title', `Device key ${aliceKey}, verified`);

  // Mallory keeps what she hears; right after Alice signs a new proof (every 10 s), Alice leaves.
  await expect.poll(() => heardBy(mallory.page, 'Alice'), { timeout: CONNECT_TIMEOUT_MS }).not.toBeNull();
  const first = (await heardBy(mallory.page, 'Alice'))!.state.deviceProof.time;
  await expect.poll(async () => (await heardBy(mallory.page, 'Alice'))?.state.deviceProof.time, { timeout: 30_000 }).toBeGreaterThan(first);
  const captured = (await heardBy(mallory.page, 'Alice'))!;
  await alice.context.close();
  await expect(aliceOnBob).toHaveCount(0, { timeout: CONNECT_TIMEOUT_MS });

  // Mallory replays Alice's last state under Alice's client id, and a copy under a client id of her own.
  await mallory.page.evaluate(({ clientId, state, clock }) => {
    const presence = (window as unknown as { __presence: { replay(id: number, s: unknown, c: number, ms: number): void } }).__presence;
    presence.replay(clientId, state, clock + 1000, 2_000);
    presence.replay(4242, state, 1, 2_000);
  }, captured);

  // A window after Alice's last proof at the latest, the replay is "Alice (unverified)", saying why,
  // on the list and on the caret; never her fingerprint. The copy under 4242 is never listed.
  await expect(aliceOnBob).toHaveText('Alice (unverified)', { timeout: 100_000 });
  await expect(aliceOnBob).toHaveAttribute('title', /^Device not verified: its device proof is dated about \d+ min behind this device's clock/);
  await expect(aliceOnBob).toHaveCount(1);
  await expect(caretOf(bob.page, 'Alice (unverified)')).toHaveAttribute('title', /^Device not verified/);
  await expect(caretOf(bob.page, 'Alice')).toHaveCount(0);
  await expect(cursorsLayerOf(bob.page).locator(`[title*="${aliceKey}"]`)).toHaveCount(0);
  await expect(peopleOf(bob.page).locator(`[title*="${aliceKey}"]`)).toHaveCount(0);
  // The honest peer beside it is still verified, with its own fingerprint.
  await expect(peopleOf(bob.page).getByRole('listitem').filter({ hasText: /^Mallory$/ })).toHaveAttribute('title', `Device key ${malloryKey}, verified`);
});

/** Runs the page's wall clock `ms` ahead (Date.now: what device proofs are dated and judged by). */
const clockAhead = (ms: number): string => `(() => { const real = Date.now.bind(Date); Date.now = () => real() + ${ms}; })();`;

test('device keys: a peer whose clock is 5 minutes off is shown unverified with the offset, on both sides, and never credited', async ({
  launchProfile,
  profileDir,
}) => {
  test.setTimeout(150_000);
  const { alice, link } = await aliceShares(launchProfile, profileDir);
  const bob = await launchPeer(launchProfile, profileDir, 'bob');
  await bob.context.addInitScript(clockAhead(5 * 60_000));
  await openShareLink(bob.page, link);
  await setDisplayName(bob.page, 'Bob');
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(bob.page, 1, CONNECT_TIMEOUT_MS);
  const bobKey = await ownFingerprint(bob.page);

  // Each sees the other unverified, and why (not silently), in People here and on the caret.
  const bobOnAlice = peopleOf(alice.page).getByRole('listitem').filter({ hasText: /^Bob/ });
  await expect(bobOnAlice).toHaveText('Bob (unverified)');
  await expect(bobOnAlice).toHaveAttribute('title', /^Device not verified: its device proof is dated about 5 min ahead of this device's clock/);
  const aliceOnBob = peopleOf(bob.page).getByRole('listitem').filter({ hasText: /^Alice/ });
  await expect(aliceOnBob).toHaveText('Alice (unverified)');
  await expect(aliceOnBob).toHaveAttribute('title', /^Device not verified: its device proof is dated about 5 min behind this device's clock/);
  await caretToEnd(bob.page);
  await bob.page.keyboard.type(' Bob added this.');
  await expect(editorOf(alice.page)).toContainText('Bob added this.');
  await expect(caretOf(alice.page, 'Bob (unverified)')).toHaveAttribute('title', /ahead of this device's clock/);
  await expect(caretOf(alice.page, 'Bob')).toHaveCount(0);

  // Editing still works both ways; History credits Alice's own device, never Bob's.
  await caretToEnd(alice.page);
  await alice.page.keyboard.type(' Alice again.');
  await expect(editorOf(bob.page)).toContainText('Alice again.');
  await alice.page.getByRole('button', { name: 'History' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Version history' });
  await expect(dialog.getByRole('radio', { name: /Alice \(/ }).first()).toBeVisible();
  await expect(dialog.getByRole('radio', { name: new RegExp(bobKey) })).toHaveCount(0);
  await expect(dialog.getByRole('radio', { name: /Bob \(/ })).toHaveCount(0);
});

test('device keys: one per browser profile, shared by its tabs, kept across reloads and restarts', async ({ launchProfile, profileDir }) => {
  test.setTimeout(90_000);
  const a = await launchPeer(launchProfile, profileDir, 'one-profile');
  await a.page.goto('/');
  await newNote(a.page);
  const key = await ownFingerprint(a.page);
  // A second tab of the same profile: the same key.
  const tab = await a.context.newPage();
  await tab.goto(a.page.url());
  await expect(editorOf(tab)).toBeVisible();
  expect(await ownFingerprint(tab)).toBe(key);
  await tab.reload();
  expect(await ownFingerprint(tab)).toBe(key);
  // The browser restarted on the same profile: still the same key.
  const url = a.page.url();
  await a.context.close();
  const again = await launchPeer(launchProfile, profileDir, 'one-profile');
  await again.page.goto(url);
  expect(await ownFingerprint(again.page)).toBe(key);
  // Another profile: another key.
  const other = await launchPeer(launchProfile, profileDir, 'other-profile');
  await other.page.goto('/');
  await newNote(other.page);
  expect(await ownFingerprint(other.page)).not.toBe(key);
});
