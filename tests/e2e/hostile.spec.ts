/**
 * A hostile peer, end to end (issue 5): two Chromium processes. Mallory runs the app with the
 * share link, but her page is instrumented: every RTCDataChannel the app uses is captured, so
 * the test can send raw bytes on the open channel (bypassing Weft's framing and guard on her
 * side), and her editor's state is replaced directly (bypassing the link form), so that
 * what reaches Alice is a plain Yjs update carrying whatever Mallory wants.
 *
 * Alice (the victim) runs the normal app. Her page is watched for page errors, console errors,
 * dialogs, popups, navigations and long tasks (the tab never blocks for a second or more).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { applySeed } from '../../src/doc/seed';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, encodeMessage } from '../../src/sync/chunking';
import { block, hostileEdit, manyClients, missingDependency, nestedQuotes } from '../unit/sync/hostileUpdates';
import { alerts, flushed } from './helpers/app';
import { CONNECT_TIMEOUT_MS, joinAsMallory, openVictim, sendRaw } from './helpers/hostilePeers';
import { editorOf, expectConnected, launchPeer, newNote, peopleOf, shareLinkOf, syncStatusOf } from './helpers/peers';

/** lib0 varuint. (The page-side builder below keeps its own copy: it runs in Mallory's page.) */
const varUint = (n: number): number[] => [...encoding.encode((e) => encoding.writeVarUint(e, n))];
const varBytes = (bytes: number[]): number[] => [...varUint(bytes.length), ...bytes];
const utf8 = (text: string): number[] => [...Buffer.from(text, 'utf8')];

/** A y-webrtc awareness message setting `state` for `clientId`. */
const awarenessMessage = (clientId: number, clock: number, state: unknown): number[] =>
  [1, ...varBytes([...varUint(1), ...varUint(clientId), ...varUint(clock), ...varBytes(utf8(JSON.stringify(state)))])];

test('a hostile peer cannot run script, spoof people, freeze or corrupt the victim; it gets dropped', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(150_000);
  const { alice, events, link } = await openVictim(launchProfile, tempDir, 'Precious first line\nPrecious second line');
  const mallory = await joinAsMallory(launchProfile, tempDir, 'mallory', link, alice.page);
  await expectConnected(mallory.page, 1, CONNECT_TIMEOUT_MS);
  await expect(editorOf(mallory.page)).toContainText('Precious second line');
  // From here on, the victim's page must not navigate anywhere.
  alice.page.on('framenavigated', (frame) => {
    if (frame === alice.page.mainFrame()) events.push(`navigated: ${frame.url()}`);
  });

  // 1. Hostile content through a plain Yjs update: Mallory's editor state is replaced directly
  //    (no link form, no paste sanitizing), her binding turns it into a Yjs update for Alice.
  await mallory.page.evaluate(() => {
    const root = document.querySelector('[contenteditable="true"]') as unknown as {
      __lexicalEditor: {
        getEditorState(): { toJSON(): { root: { children: unknown[] } } };
        parseEditorState(json: unknown): unknown;
        setEditorState(state: unknown): void;
      };
    };
    const editor = root.__lexicalEditor;
    const state = editor.getEditorState().toJSON();
    const text = (t: string, style = '') => ({ type: 'text', version: 1, text: t, detail: 0, format: 0, mode: 'normal', style });
    const link = (url: string, label: string) => ({
      type: 'link', version: 1, url, rel: null, target: '_self', title: null,
      direction: null, format: '', indent: 0, children: [text(label)],
    });
    state.root.children.push({
      type: 'paragraph', version: 1, direction: null, format: '', indent: 0, textFormat: 0, textStyle: '',
      children: [
        link('javascript:window.__pwned=1;alert(1)', 'JS link'),
        text(' '),
        link('http://[::1', 'Unparsable link'),
        text(' '),
        link(' JaVa\tScRiPt:window.__pwned=3', 'Obfuscated link'),
        text(' <img src=x onerror="window.__pwned=4"><b onclick="window.__pwned=5">html</b>', 'background:url(javascript:window.__pwned=6)'),
      ],
    });
    editor.setEditorState(editor.parseEditorState(state));
  });
  const victimEditor = editorOf(alice.page);
  for (const label of ['JS link', 'Unparsable link', 'Obfuscated link']) {
    const anchor = victimEditor.getByText(label);
    await expect(anchor).toBeVisible({ timeout: CONNECT_TIMEOUT_MS });
    await expect(anchor.locator('xpath=ancestor-or-self::a')).not.toHaveAttribute('href', /./);
    await anchor.click();
    await anchor.click({ modifiers: ['Control'] });
    // (No middle click: on Linux, Chromium pastes the X primary selection on middle click.)
  }
  // The "HTML" arrived as text, not as elements.
  await expect(victimEditor).toContainText('<img src=x onerror=');
  await expect(victimEditor.locator('img, b[onclick], [onerror], [onclick]')).toHaveCount(0);
  // A peer's CSS is not applied (no overlays, no fetches through url()).
  await expect(victimEditor.locator('[style*="url("], [style*="javascript"]')).toHaveCount(0);

  // 2. Presence spoofing, sent raw: an HTML name and a bogus colour under a fresh id (taking
  //    over known ids and 1 MB names are covered at the byte level in hostilePeer.test.ts).
  const spoofId = 987_654_321;
  await sendRaw(mallory.page, [awarenessMessage(spoofId, 1, { name: '<img src=x onerror="window.__pwned=7">Eve', color: 'red;x:url(javascript:1)' })]);
  const people = peopleOf(alice.page);
  // Literal text, cut to MAX_DISPLAY_NAME_LENGTH (40) code points.
  await expect(people).toContainText('<img src=x onerror="window.__pwned=7">Ev', { timeout: CONNECT_TIMEOUT_MS });
  await expect(people).not.toContainText('">Eve');
  await expect(people.locator('img')).toHaveCount(0);

  // 3. Garbage on the data channel: random bytes, an unknown type, an update claiming 2^31 bytes.
  const before = (await victimEditor.textContent()) ?? '';
  const garbage = [
    [0x77, 0x13, 0x00, 0xfe, 0x11],
    [99, 1, 2, 3],
    [0, 2, 0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3],
  ];
  await sendRaw(mallory.page, garbage);
  // Dropped: Alice is no longer connected to Mallory.
  await expect(syncStatusOf(alice.page)).not.toHaveText(/Connected/, { timeout: CONNECT_TIMEOUT_MS });
  await expect(victimEditor).toHaveText(before);
  // Alice still works.
  await victimEditor.click();
  await alice.page.keyboard.press('Control+End');
  await alice.page.keyboard.type(' still editable');
  await expect(victimEditor).toContainText('still editable');

  const pwned = await alice.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned ?? null);
  expect(pwned, 'no injected script ran').toBeNull();
  const longTasks = await alice.page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')}`).toBeLessThan(1000);
  expect(events, 'dialogs, popups, navigations, errors on the victim').toEqual([]);
  expect(new URL(alice.page.url()).hash).toMatch(/^#\/note\//);
});

/** An update inserting, before the seed paragraph, a heading whose `__tag` is `tag`. */
const headingTagged = (base: Y.Doc, tag: string, text: string): Uint8Array =>
  hostileEdit(base, (root) => root.insert(0, [block('heading', { __tag: tag }, text)]));

/** Clicks "Export HTML" and returns the downloaded file's text. */
async function exportedHtml(page: Page, dir: string): Promise<string> {
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export HTML' }).click();
  const file = join(dir, `export-${Date.now()}.html`);
  await (await downloading).saveAs(file);
  return readFile(file, 'utf8');
}

/** A y-webrtc sync message carrying Yjs `update` (sync type 2), framed as Weft's data channels expect. */
const updateFrames = (update: Uint8Array): number[][] => {
  const message = new Uint8Array([0, 2, ...varUint(update.byteLength), ...update]);
  return encodeMessage(message, Math.floor(Math.random() * 2 ** 31)).map((frame) => [...frame]);
};

test('hostile Yjs updates are rejected whole: nothing forbidden renders, the note stays editable and keeps what is typed', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(150_000);
  const { alice, events, link } = await openVictim(launchProfile, tempDir, 'Precious line');
  const mallory = await joinAsMallory(launchProfile, tempDir, 'mallory', link, alice.page);
  await expect(editorOf(mallory.page)).toContainText('Precious line');

  // Built against the seed only (inserted before the seed paragraph), so every peer can place them.
  const base = new Y.Doc();
  applySeed(base);
  const atStart = (make: () => Y.XmlElement) => hostileEdit(base, (root) => root.insert(0, [make()]));
  const attacks: Array<[string, Uint8Array]> = [
    ['a heading whose tag is not a tag name', atStart(() => block('heading', { __tag: 'x y' }, 'HOSTILE-1'))],
    ['a link whose URL is not a string', atStart(() => { const p = new Y.XmlElement('paragraph'); p.insert(0, [block('link', { __url: 42 }, 'HOSTILE-2')]); return p; })],
    ['an iframe heading', atStart(() => block('heading', { __tag: 'iframe' }, 'HOSTILE-3'))],
  ];
  // Three rejected updates are three strikes: Mallory is dropped after the last.
  for (const [, update] of attacks) await sendRaw(mallory.page, updateFrames(update));
  const victimEditor = editorOf(alice.page);
  await expect(syncStatusOf(alice.page)).not.toHaveText(/Connected/, { timeout: CONNECT_TIMEOUT_MS });
  await expect(victimEditor).not.toContainText('HOSTILE');
  await expect(victimEditor.locator('iframe, form, input, script, [contenteditable] [contenteditable]')).toHaveCount(0);
  expect(await exportedHtml(alice.page, tempDir)).not.toMatch(/<(iframe|form|input|script)\b|HOSTILE/i);

  // Alice's note stays editable, and what she types survives a reload.
  await victimEditor.click();
  await alice.page.keyboard.press('Control+End');
  await alice.page.keyboard.type(' typed after the attack');
  await expect(victimEditor).toContainText('Precious line typed after the attack');
  await flushed(alice.page);
  await alice.page.reload();
  await expect(editorOf(alice.page)).toContainText('Precious line typed after the attack', { timeout: CONNECT_TIMEOUT_MS });
  await expect(editorOf(alice.page)).not.toContainText('HOSTILE');

  const longTasks = await alice.page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')}`).toBeLessThan(1000);
  expect(events, 'dialogs, popups, navigations, errors on the victim').toEqual([]);
});

test('deep nesting, many client ids, missing dependencies and oversize presence are refused; the note keeps working', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(180_000);
  const { alice, events, link } = await openVictim(launchProfile, tempDir, 'Precious line');
  const victimEditor = editorOf(alice.page);

  /** A fresh Mallory (a new peer id: a dropped one is ignored for a minute) sends `messages` raw. */
  const attack = async (name: string, messages: number[][], more?: (mallory: { page: Page }) => Promise<void>) => {
    const mallory = await joinAsMallory(launchProfile, tempDir, name, link, alice.page);
    await sendRaw(mallory.page, messages);
    await more?.(mallory);
    // Three strikes: dropped.
    await expect(syncStatusOf(alice.page)).not.toHaveText(/Connected/, { timeout: CONNECT_TIMEOUT_MS });
    await mallory.context.close();
  };

  const base = new Y.Doc();
  applySeed(base);
  const [, dependent] = missingDependency(base, 600);
  await attack('mallory-1', [
    ...updateFrames(nestedQuotes(base, 20_000)),
    ...updateFrames(manyClients(base, 200)),
    ...updateFrames(dependent),
  ]);
  await expect(victimEditor).not.toContainText('deep');
  await expect(victimEditor.locator('blockquote blockquote')).toHaveCount(0);
  // 2,000 levels (they blanked the headless editor) are refused the same way; so are headings
  // whose tag would make a form, an input or a script (each a strike: a fresh Mallory per three).
  await attack('mallory-3', [
    ...updateFrames(nestedQuotes(base, 2_000)),
    ...updateFrames(headingTagged(base, 'form', 'HOSTILE-FORM')),
    ...updateFrames(headingTagged(base, 'input', 'HOSTILE-INPUT')),
  ]);
  await attack('mallory-4', [
    ...updateFrames(headingTagged(base, 'script', 'HOSTILE-SCRIPT')),
    ...updateFrames(headingTagged(base, 'iframe', 'HOSTILE-IFRAME')),
    ...updateFrames(nestedQuotes(base, 65)),
  ]);
  await expect(victimEditor).not.toContainText('deep');
  await expect(victimEditor).not.toContainText('HOSTILE');
  await expect(victimEditor.locator('blockquote, iframe, form, input, script')).toHaveCount(0);
  // Nor does any of it reach the HTML export.
  const html = await exportedHtml(alice.page, tempDir);
  expect(html).toContain('Precious line');
  expect(html).not.toMatch(/<(iframe|form|input|script|blockquote)\b|HOSTILE|deep/i);

  // 20 presence messages of 32 invented clients each (the flood had 256 each), then three
  // of 3.75 MiB (three strikes). One connection speaks for at most 24 clients.
  const manyStates = (m: number): number[] => {
    const entries: number[] = [];
    for (let i = 0; i < 32; i++) entries.push(...varUint(556_000_000 + m * 100 + i), ...varUint(1), ...varBytes(utf8(JSON.stringify({ name: 'ghost', color: '#123456' }))));
    return [1, ...varBytes([...varUint(32), ...entries])];
  };
  const invented = Array.from({ length: 20 }, (_, m) => manyStates(m));
  const ghosts = () => alice.page.evaluate(() => (document.body.innerText.match(/ghost/g) ?? []).length);
  await attack('mallory-2', invented, async (mallory) => {
    // The 3.75 MiB states are built and framed in Mallory's page (too big to pass in as numbers).
    await mallory.page.evaluate(
      ({ frameBytes, header }) => {
        const varUint = (n: number): number[] => {
          const out: number[] = [];
          while (n > 0x7f) {
            out.push(0x80 | (n & 0x7f));
            n = Math.floor(n / 128);
          }
          out.push(n);
          return out;
        };
        const json = new TextEncoder().encode(JSON.stringify({ name: 'x'.repeat(3.75 * 1024 * 1024) }));
        const inner = [...varUint(1), ...varUint(555_000_001), ...varUint(1), ...varUint(json.byteLength)];
        const message = new Uint8Array(2 + 5 + inner.length + json.byteLength);
        const innerLength = inner.length + json.byteLength;
        const prefix = [1, ...varUint(innerLength)];
        message.set(prefix, 0);
        message.set(inner, prefix.length);
        message.set(json, prefix.length + inner.length);
        const bytes = message.subarray(0, prefix.length + innerLength);
        const payload = frameBytes - header;
        const count = Math.ceil(bytes.byteLength / payload);
        for (let copy = 0; copy < 3; copy++) {
          for (let index = 0; index < count; index++) {
            const slice = bytes.subarray(index * payload, (index + 1) * payload);
            const frame = new Uint8Array(header + slice.byteLength);
            const view = new DataView(frame.buffer);
            view.setUint8(0, 0xf1);
            view.setUint32(1, 1000 + copy);
            view.setUint32(5, index);
            view.setUint32(9, count);
            frame.set(slice, header);
            (window as unknown as { __hostile: { sendRaw(b: Uint8Array): number } }).__hostile.sendRaw(frame);
          }
        }
      },
      { frameBytes: MAX_FRAME_BYTES, header: FRAME_HEADER_BYTES },
    );
  });
  expect(await ghosts()).toBeLessThanOrEqual(24);

  // Alice's note stays editable, and what she types survives a reload.
  await victimEditor.click();
  await alice.page.keyboard.press('Control+End');
  await alice.page.keyboard.type(' typed after the attacks');
  await expect(victimEditor).toContainText('Precious line typed after the attacks');
  await flushed(alice.page);
  await alice.page.reload();
  await expect(editorOf(alice.page)).toContainText('Precious line typed after the attacks', { timeout: CONNECT_TIMEOUT_MS });
  const longTasks = await alice.page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')}`).toBeLessThan(1000);
  expect(events, 'dialogs, popups, navigations, errors on the victim').toEqual([]);
});

/**
 * Makes the victim's editor fail to draw level-3 headings while `window.__failH3 > 0` (each
 * failure counts one down), through the page's own editor (Lexical keeps it on its root
 * element, as the tests above use): the firewall lets no peer send content that fails to
 * render, so the failure is injected on the victim's side and triggered by a peer's ordinary
 * change. Lasts until the page reloads.
 */
async function failDrawingH3(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Klass = { prototype: { createDOM(this: { __tag: string }, ...args: unknown[]): HTMLElement } };
    const root = document.querySelector('[contenteditable="true"]') as unknown as { __lexicalEditor: { _nodes: Map<string, { klass: Klass }> } };
    const heading = root.__lexicalEditor._nodes.get('heading')?.klass;
    if (!heading) throw new Error('no heading node');
    const createDOM = heading.prototype.createDOM;
    const w = window as unknown as { __failH3: number };
    w.__failH3 = 0;
    heading.prototype.createDOM = function (this: { __tag: string }, ...args: unknown[]) {
      if (w.__failH3 > 0 && this.__tag === 'h3') {
        w.__failH3--;
        throw new Error('injected: drawing an h3 failed');
      }
      return createDOM.apply(this, args);
    };
  });
}
const setFailures = (page: Page, n: number) => page.evaluate((count) => ((window as unknown as { __failH3: number }).__failH3 = count), n);

test('a peer’s change the victim’s editor fails to draw: redrawn, or shown read-only, with one alert; nothing typed is lost', async ({
  launchProfile,
  tempDir,
}) => {
  test.setTimeout(150_000);
  const alice = await launchPeer(launchProfile, tempDir, 'alice');
  const bob = await launchPeer(launchProfile, tempDir, 'bob');
  const pageErrors: string[] = [];
  alice.page.on('pageerror', (error) => pageErrors.push(error.message));
  await alice.page.goto('/');
  await newNote(alice.page);
  await alice.page.keyboard.type('Precious line');
  const link = await shareLinkOf(alice.page);
  await bob.page.goto(link);
  await expectConnected(alice.page, 1, CONNECT_TIMEOUT_MS);
  await expect(editorOf(bob.page)).toContainText('Precious line', { timeout: CONNECT_TIMEOUT_MS });
  await failDrawingH3(alice.page);
  const victim = editorOf(alice.page);
  const bobTypes = async (text: string) => {
    await editorOf(bob.page).click();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type(text);
  };

  // 1. It fails once: Alice's editor is redrawn from the document, she is told once, keeps editing.
  await setFailures(alice.page, 1);
  await bobTypes('\n### Bob heading');
  await expect(victim.getByRole('heading', { level: 3, name: 'Bob heading' })).toBeVisible({ timeout: CONNECT_TIMEOUT_MS });
  await expect(alerts(alice.page)).toHaveCount(1);
  await expect(alerts(alice.page)).toContainText('redrawn from its saved content. Nothing you typed was lost');
  await expect.poll(() => alice.page.evaluate(() => (window as unknown as { __failH3: number }).__failH3)).toBe(0);
  await victim.click();
  await alice.page.keyboard.press('Control+End');
  await alice.page.keyboard.type(' typed after');
  await expect(editorOf(bob.page)).toContainText('Bob heading typed after', { timeout: CONNECT_TIMEOUT_MS });

  // 2. It keeps failing: her note is shown read-only (following Bob's typing) with one alert.
  await setFailures(alice.page, 1_000_000);
  await bobTypes('\n### Second heading');
  await expect(victim).toHaveAttribute('aria-readonly', 'true', { timeout: CONNECT_TIMEOUT_MS });
  await expect(victim).toContainText('Second heading', { timeout: CONNECT_TIMEOUT_MS });
  await expect(victim).toContainText('Precious line');
  await expect(alerts(alice.page)).toHaveCount(1);
  await expect(alerts(alice.page)).toContainText('shown read-only');
  await bobTypes(', more from Bob');
  await expect(victim).toContainText('Second heading, more from Bob', { timeout: CONNECT_TIMEOUT_MS });

  // 3. The cause gone, Try again brings back her editor with everything; what she types stays.
  await setFailures(alice.page, 0);
  await alice.page.getByRole('button', { name: 'Try again' }).click();
  await expect(victim).not.toHaveAttribute('aria-readonly', 'true');
  await expect(victim.getByRole('heading', { level: 3, name: 'Second heading, more from Bob' })).toBeVisible();
  await expect(alerts(alice.page)).toHaveCount(0);
  await victim.click();
  await alice.page.keyboard.press('Control+End');
  await alice.page.keyboard.type(' and mine');
  await expect(editorOf(bob.page)).toContainText('more from Bob and mine', { timeout: CONNECT_TIMEOUT_MS });
  await flushed(alice.page);
  await alice.page.reload();
  await expect(editorOf(alice.page)).toContainText('Precious line');
  await expect(editorOf(alice.page)).toContainText('Bob heading typed after');
  await expect(editorOf(alice.page)).toContainText('Second heading, more from Bob and mine');
  expect(pageErrors, 'uncaught errors on the victim').toEqual([]);
});
