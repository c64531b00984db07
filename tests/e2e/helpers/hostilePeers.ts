/**
 * The two sides of hostile.spec.ts: Alice, the victim, runs the normal app and is watched for
 * side effects; Mallory runs the app with every RTCDataChannel captured, so a test can send raw
 * bytes on the open channel (bypassing Weft's framing and guard on her side).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { expect } from '../fixtures';
import { expectConnected, launchPeer, newNote, shareLinkOf, type LaunchProfile, type Peer } from './peers';

/** How long the hostile tests wait for peers to connect or be dropped. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Captures the app's data channels (first send) and keeps the native send for raw bytes. */
export const CAPTURE_CHANNELS = `(() => {
  const channels = new Set();
  const nativeSend = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    channels.add(this);
    return nativeSend.call(this, data);
  };
  window.__hostile = {
    open: () => [...channels].filter((c) => c.readyState === 'open'),
    sendRaw: (bytes) => {
      let sent = 0;
      for (const c of [...channels]) if (c.readyState === 'open') { nativeSend.call(c, new Uint8Array(bytes)); sent++; }
      return sent;
    },
  };
})();`;

/** Watches the victim: side effects an attack might cause, and long tasks. */
export const WATCH_VICTIM = `(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;

/** Records page errors, console errors, dialogs and popups of the victim (an attack's side effects). */
export function watch(context: BrowserContext, page: Page): string[] {
  const events: string[] = [];
  page.on('pageerror', (error) => events.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') events.push(`console: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    events.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  context.on('page', (opened) => events.push(`popup: ${opened.url()}`));
  return events;
}

/** Alice, watched, with a new note holding `text` (typed); returns her, what the watch records, and the note's share link. */
export async function openVictim(
  launchProfile: LaunchProfile,
  root: string,
  text: string,
): Promise<{ alice: Peer; events: string[]; link: string }> {
  const alice = await launchPeer(launchProfile, root, 'alice');
  await alice.context.addInitScript(WATCH_VICTIM);
  const events = watch(alice.context, alice.page);
  await alice.page.goto('/');
  await newNote(alice.page);
  await alice.page.keyboard.type(text);
  return { alice, events, link: await shareLinkOf(alice.page) };
}

/**
 * Mallory (profile `name`; a new name is a new peer id, and a dropped id is ignored for a
 * minute) opens `link` with her channels captured; returns once the victim counts one peer and
 * Mallory holds an open data channel to send raw bytes on.
 */
export async function joinAsMallory(launchProfile: LaunchProfile, root: string, name: string, link: string, victim: Page): Promise<Peer> {
  const mallory = await launchPeer(launchProfile, root, name);
  await mallory.context.addInitScript(CAPTURE_CHANNELS);
  await mallory.page.goto(link);
  await expectConnected(victim, 1, CONNECT_TIMEOUT_MS);
  await expect.poll(() => mallory.page.evaluate(() => (window as unknown as { __hostile: { open(): unknown[] } }).__hostile.open().length)).toBeGreaterThan(0);
  return mallory;
}

/** Sends each of `messages` as raw bytes on Mallory's open data channels. */
export async function sendRaw(mallory: Page, messages: number[][]): Promise<void> {
  await mallory.evaluate(
    (all) => { for (const m of all) (window as unknown as { __hostile: { sendRaw(b: number[]): number } }).__hostile.sendRaw(m); },
    messages,
  );
}
