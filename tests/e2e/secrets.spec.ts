/**
 * Links and keys, end to end (issue 5): the share secret and the note never reach the server
 * or any request; tampered signaling ciphertext is rejected quietly; malformed links are refused
 * before any network or storage work (the one test of malformed share links). A link with a
 * wrong secret is tested in sync.spec.ts: it pairs with nobody, shows nothing, leaves no note.
 *
 * The server here is the real `createWeftServer` over `dist/`, in-process, with its test-only
 * hooks: every frame clients send to `/signal` is captured, relayed publishes can be rewritten.
 * Two peers are two Chromium processes on their own profiles.
 */
import type { BrowserContext, Page, Request } from '@playwright/test';
import { expect, test } from './fixtures';
import { typeAtEnd } from './helpers/app';
import { startCapturingServer, type CapturingServer } from './helpers/hostileServer';
import { editorOf, expectConnected, launchPeer, newNote, notesNavOf, shareLinkOf } from './helpers/peers';

const CONNECT_TIMEOUT_MS = 30_000;

interface Recorded {
  url: string;
  headers: Record<string, string>;
}

/** Records every request (URL and all headers, Referer included) a context makes, service worker too. */
function recordRequests(context: BrowserContext, into: Recorded[]): void {
  const record = async (request: Request): Promise<void> => {
    let headers: Record<string, string>;
    try {
      headers = await request.allHeaders();
    } catch {
      headers = request.headers();
    }
    into.push({ url: request.url(), headers });
  };
  context.on('request', (request) => void record(request));
}

/** Collects page errors and console errors ("error reports") of every page of a context. */
function recordErrors(context: BrowserContext, into: string[]): void {
  const watch = (page: Page): void => {
    page.on('pageerror', (error) => into.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') into.push(`console: ${message.text()}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
}

/** The parts of a share link. */
function partsOf(link: string): { noteId: string; secret: string } {
  const match = /#\/share\/v2\/([A-Za-z0-9_-]{22})\/edit\/([A-Za-z0-9_-]{22})$/.exec(link);
  if (!match?.[1] || !match[2]) throw new Error(`not a share link: ${link}`);
  return { noteId: match[1], secret: match[2] };
}

/** Every way a string might be spelled in a URL, header or frame. */
const spellings = (value: string): string[] => [value, encodeURIComponent(value), Buffer.from(value).toString('base64').replace(/=+$/, '')];

function expectAbsent(haystacks: readonly string[], needles: Record<string, string>, where: string): void {
  for (const [name, needle] of Object.entries(needles)) {
    for (const spelled of spellings(needle)) {
      const hit = haystacks.find((h) => h.includes(spelled));
      expect(hit, `${name} (${spelled}) found in ${where}: ${hit?.slice(0, 300)}`).toBeUndefined();
    }
  }
}

let server: CapturingServer | null = null;
test.afterEach(async () => {
  await server?.stop();
  server = null;
});

test('a full session leaks no secret, note id, title or text to requests, Referer, logs or signaling frames', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(120_000);
  server = await startCapturingServer();
  const requests: Recorded[] = [];
  const errors: string[] = [];
  const alice = await launchPeer(launchProfile, tempDir, 'alice');
  const bob = await launchPeer(launchProfile, tempDir, 'bob');
  for (const peer of [alice, bob]) {
    recordRequests(peer.context, requests);
    recordErrors(peer.context, errors);
  }

  const title = 'Confidential merger plan Zq7';
  const typedA = 'alice typed xylophone-4417';
  const typedB = 'bob typed quartz-9081';
  await alice.page.goto(`${server.url}/`);
  await newNote(alice.page);
  await alice.page.keyboard.type(`${title}\n${typedA}`);
  const link = await shareLinkOf(alice.page);
  const { noteId, secret } = partsOf(link);

  await bob.page.goto(link);
  await expect(editorOf(bob.page)).toContainText(typedA, { timeout: CONNECT_TIMEOUT_MS });
  // The secret left the address bar once the link was opened.
  expect(bob.page.url()).not.toContain(secret);
  await typeAtEnd(bob.page, ` ${typedB}`);
  await expect(editorOf(alice.page)).toContainText(typedB, { timeout: CONNECT_TIMEOUT_MS });
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  // A link clicked in the note must not carry the fragment either (Referer): links render with noreferrer.
  await bob.page.reload();
  await expect(editorOf(bob.page)).toContainText(typedB);

  const needles = { secret, noteId, title, typedA, typedB };
  expect(requests.length).toBeGreaterThan(5);
  expectAbsent(
    requests.map((r) => r.url),
    needles,
    'a request URL',
  );
  expectAbsent(
    requests.flatMap((r) => Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`)),
    needles,
    'a request header (Referer included)',
  );
  expectAbsent(server.logs, needles, 'the server log');
  // The server did relay the session: frames were captured, topics are opaque hashes.
  expect(server.frames.some((f) => f.includes('"publish"'))).toBe(true);
  expectAbsent(server.frames, needles, 'a signaling frame');
  expect(errors, 'error reports').toEqual([]);
});

/** Flips bits in (or otherwise breaks) the ciphertext of a relayed publish; variant by counter. */
function tamper(text: string, n: number): string {
  const frame = JSON.parse(text) as { data?: unknown };
  if (typeof frame.data !== 'string') return text;
  const bytes = Buffer.from(frame.data, 'base64');
  switch (n % 5) {
    case 0: // a flipped bit in the AES-GCM tag / ciphertext
      bytes[bytes.length - 1]! ^= 0x01;
      frame.data = bytes.toString('base64');
      break;
    case 1: // a flipped bit in the IV
      bytes[10]! ^= 0x80;
      frame.data = bytes.toString('base64');
      break;
    case 2: // truncated
      frame.data = bytes.subarray(0, bytes.length >> 1).toString('base64');
      break;
    case 3: // not base64 at all
      frame.data = '%%% not base64 %%%';
      break;
    default: // a header that claims another algorithm and a huge length
      frame.data = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), bytes]).toString('base64');
  }
  return JSON.stringify(frame);
}

test('tampered signaling ciphertext is rejected without errors, and untampered frames still pair the peers', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(120_000);
  let relayed = 0;
  // Every publish is first delivered tampered, then as sent: each peer sees broken frames
  // before every good one.
  server = await startCapturingServer({ transformRelay: (text) => [tamper(text, relayed++), text] });
  const errors: string[] = [];
  const alice = await launchPeer(launchProfile, tempDir, 'alice');
  const bob = await launchPeer(launchProfile, tempDir, 'bob');
  for (const peer of [alice, bob]) recordErrors(peer.context, errors);

  await alice.page.goto(`${server.url}/`);
  await newNote(alice.page);
  await alice.page.keyboard.type('Survives a hostile relay');
  const link = await shareLinkOf(alice.page);
  await bob.page.goto(link);
  await expectConnected(bob.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  await expect(editorOf(bob.page)).toContainText('Survives a hostile relay');
  expect(relayed).toBeGreaterThanOrEqual(5); // every variant was exercised
  expect(errors, 'page errors and console errors').toEqual([]);
});

test('malformed share links get a clear message before any network or storage work', async ({ page }) => {
  server = await startCapturingServer();
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const errors: string[] = [];
  recordErrors(page.context(), errors);
  await page.goto(`${server.url}/`);
  await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
  const id = 'AAECAwQFBgcICQoLDA0ODw';
  const secret = '__79_Pv6-fj39vX08_Lx8A';
  const cases: [string, RegExp][] = [
    ['#/share/v1/', /no note id/],
    [`#/share/v1/${id}`, /no secret key/],
    [`#/share/v1/${id}/`, /no secret key/],
    [`#/share/v1/${id}/${secret.slice(0, 10)}`, /too short/],
    [`#/share/v1/${id}/${secret}xyz`, /too long/],
    [`#/share/v1/${id}/${secret.slice(0, 21)}!`, /characters that are not allowed/],
    [`#/share/v1/${id}/${secret.slice(0, 21)}B`, /last character is wrong/],
    [`#/share/v1/${id}/${secret}/extra`, /extra parts/],
    [`#/share/v9/${id}/${secret}`, /format v9/],
    [`#/share/v1/${id.slice(0, 5)}%00/${secret}`, /characters that are not allowed/],
  ];
  for (const [fragment, message] of cases) {
    await page.goto(`${server.url}/${fragment}`);
    await expect(page.getByRole('alert').filter({ hasText: message }), fragment).toBeVisible();
    await expect(editorOf(page)).toHaveCount(0);
    await expect(notesNavOf(page).getByRole('link')).toHaveCount(0);
    // The app stays on the bad link instead of half-opening a note.
    expect(page.url(), fragment).toContain('/share/');
  }
  await expect(notesNavOf(page).getByRole('link')).toHaveCount(0);
  // No note stored: a fresh load lists nothing.
  await page.goto(`${server.url}/`);
  await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
  await expect(notesNavOf(page).getByRole('link')).toHaveCount(0);
  expect(sockets, 'no signaling connection was opened').toEqual([]);
  expect(server.frames).toEqual([]);
  expect(errors).toEqual([]);
});
