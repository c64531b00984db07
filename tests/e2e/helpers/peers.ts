/**
 * Helpers for peer-to-peer e2e tests: each peer is its own Chromium *process* on its own
 * persistent profile (so IndexedDB, the service worker and BroadcastChannel are never shared, and
 * sync can only go through the signaling server and WebRTC), plus small readers of the app's
 * collaboration UI and of the editor's state.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { BrowserContext, BrowserContextOptions, Locator, Page } from '@playwright/test';
import { expect, WEBRTC_PERMISSIONS } from '../fixtures';
import { editor, flushed, newNote as createNote, notesNav } from './app';

/** One peer: a browser process (persistent context) and its first tab. */
export interface Peer {
  readonly context: BrowserContext;
  readonly page: Page;
  /** The profile directory, to relaunch the same "device" later. */
  readonly profile: string;
}

/** The `launchProfile` fixture's signature. */
export type LaunchProfile = (userDataDir?: string, options?: BrowserContextOptions) => Promise<BrowserContext>;

/**
 * Launches a peer on the profile `<root>/<name>` (created if missing; reuse the same name to
 * relaunch the same device). Pass the `profileDir` fixture as `root`: it is removed only after
 * `launchProfile` has closed every browser, with retries while Chromium finishes writing
 * (`tempDir` may be removed first and fail with ENOTEMPTY).
 *
 * WebRTC between two Chromium processes on loopback needs one thing: the camera/microphone grant
 * ({@link WEBRTC_PERMISSIONS}). Without it Chromium hides host ICE candidates behind mDNS
 * `.local` names, which nothing resolves in a headless container, and the peers never connect.
 * It is passed at launch (`permissions`) so it already applies to the first navigation. No other
 * flag is needed: the app configures no ICE servers by default, and host candidates on 127.0.0.1
 * connect directly.
 *
 * `offline: true` launches with the network already cut (`context.setOffline(true)` before any
 * navigation), for "the device starts without a network" tests.
 */
export async function launchPeer(
  launchProfile: LaunchProfile,
  root: string,
  name: string,
  options: { offline?: boolean } = {},
): Promise<Peer> {
  const profile = join(root, name);
  await mkdir(profile, { recursive: true });
  const context = await launchProfile(profile, { permissions: [...WEBRTC_PERMISSIONS] });
  if (options.offline) await context.setOffline(true);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, profile };
}

/** The note editor (the contenteditable). */
export const editorOf = editor;
/**
 * The sync status line: "Not shared", "Offline", "Looking for peers…", "Connecting…",
 * "Can't reach other peers" or "Connected to N peer(s)[, direct | , relayed | , K relayed]".
 */
export const syncStatusOf = (page: Page): Locator => page.getByRole('status', { name: 'Sync status' });
/** The "People here" list (the local user first, then peers). */
export const peopleOf = (page: Page): Locator => page.getByRole('list', { name: 'People here' });
/** The notes list in the sidebar. */
export const notesNavOf = notesNav;
/** The layer the binding draws remote carets and selections into (see NoteEditor.tsx). */
export const cursorsLayerOf = (page: Page): Locator => page.locator('.weft-editor__cursors');

/** Creates a note, waits for its editor and focuses it; returns the note id. */
export async function newNote(page: Page): Promise<string> {
  await createNote(page);
  return noteIdOf(page);
}

/** The id of the note open in `page` (from `#/note/<id>`). */
export function noteIdOf(page: Page): string {
  const match = /#\/note\/([A-Za-z0-9_-]+)$/.exec(page.url());
  if (!match?.[1]) throw new Error(`no note open at ${page.url()}`);
  return match[1];
}

/** Opens the Share dialog, reads the link from its "Share link" textbox and closes the dialog. */
export async function shareLinkOf(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.getByRole('textbox', { name: 'Share link' });
  await expect(input).toHaveValue(/#\/share\/v2\/[A-Za-z0-9_-]{22}\/edit\/[A-Za-z0-9_-]{22}$/);
  await expect(dialog.getByRole('button', { name: 'Copy link' })).toBeVisible();
  await expect(dialog.getByRole('img', { name: 'QR code of the share link' })).toBeVisible();
  const link = await input.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  return link;
}

/** Opens the Share dialog, reads its "View-only link" textbox and closes the dialog. */
export async function viewLinkOf(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.getByRole('textbox', { name: 'View-only link' });
  await expect(input).toHaveValue(/#\/share\/v2\/[A-Za-z0-9_-]{22}\/view\/[A-Za-z0-9_-]{43}\/[A-Za-z0-9_-]{43}$/);
  const link = await input.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  return link;
}

/** Opens a share link and waits until the app has turned it into the note's own route. */
export async function openShareLink(page: Page, link: string): Promise<string> {
  await page.goto(link);
  await expect(page).toHaveURL(/#\/note\/[A-Za-z0-9_-]+$/);
  await expect(editorOf(page)).toBeVisible();
  return noteIdOf(page);
}

/** Sets the display name through the "Your name" field (committed with Enter). */
export async function setDisplayName(page: Page, name: string): Promise<void> {
  const field = page.getByRole('textbox', { name: 'Your name' });
  await field.fill(name);
  await field.press('Enter');
  await expect(peopleOf(page).getByRole('listitem').first()).toHaveText(`${name} (you)`);
}

export { flushed };

/**
 * Waits until `page` says it is connected to exactly `peers` peer(s) ("Connected to 2 peers",
 * followed by how once known: ", direct", ", relayed", ", 1 relayed").
 */
export async function expectConnected(page: Page, peers = 1, timeout = 20_000): Promise<void> {
  await expect(syncStatusOf(page)).toHaveText(new RegExp(`^Connected to ${peers} ${peers === 1 ? 'peer' : 'peers'}(, .+)?$`), { timeout });
}

/**
 * The editor's content as one line per block, read from Lexical's own state (not the DOM, so
 * 1 MB pastes are cheap to compare and rendering details do not matter). Block lines look like
 * `paragraph|Alpha **bold** *it*`, list items `listitem:bullet|text`; text formats are marked
 * (`**` bold, `*` italic, `__` underline, `~~` strikethrough, `` ` `` code). Two peers that
 * converged have equal summaries.
 */
export async function contentOf(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Json = { type?: string; text?: string; format?: number; tag?: string; listType?: string; children?: Json[] };
    const root = document.querySelector<HTMLElement>('[contenteditable="true"][aria-label="Note"]');
    const editor = (root as unknown as { __lexicalEditor?: { getEditorState(): { toJSON(): { root: Json } } } } | null)
      ?.__lexicalEditor;
    if (!editor) throw new Error('no Lexical editor on the page');
    const marks: Array<[number, string]> = [
      [1, '**'],
      [2, '*'],
      [4, '~~'],
      [8, '__'],
      [16, '`'],
    ];
    const inline = (node: Json): string => {
      if (node.type === 'text') {
        let text = node.text ?? '';
        for (const [bit, mark] of marks) if (((node.format ?? 0) & bit) !== 0) text = `${mark}${text}${mark}`;
        return text;
      }
      if (node.type === 'linebreak') return '\n';
      if (node.type === 'tab') return '\t';
      return (node.children ?? []).map(inline).join('');
    };
    const lines: string[] = [];
    const block = (node: Json, listType?: string): void => {
      if (node.type === 'list') {
        for (const child of node.children ?? []) block(child, node.listType);
        return;
      }
      const nested = (node.children ?? []).filter((c) => c.type === 'list');
      const label = node.type === 'listitem' ? `listitem:${listType ?? '?'}` : node.tag ? `${node.type}:${node.tag}` : node.type;
      lines.push(`${label}|${(node.children ?? []).filter((c) => c.type !== 'list').map(inline).join('')}`);
      for (const list of nested) block(list);
    };
    for (const child of editor.getEditorState().toJSON().root.children ?? []) block(child);
    return lines;
  });
}

/** Plain text of a {@link contentOf} summary (format marks kept), one block per line. */
export const plainText = (lines: readonly string[]): string => lines.map((line) => line.slice(line.indexOf('|') + 1)).join('\n');

/** SHA-256 (hex) of a string, to compare large contents without printing them. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** How many times `needle` occurs in `haystack` (non-overlapping). */
export const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/**
 * Pastes `text` into the focused editor the way a browser does: a `paste` ClipboardEvent whose
 * DataTransfer carries `text/plain`, dispatched on the contenteditable. Lexical's rich-text paste
 * handler takes it from there (paragraphs per line), so the edit goes through the editor and the
 * binding exactly like a user's paste. The text is built in the page from `line` repeated, so the
 * megabyte does not cross the DevTools protocol.
 */
export async function pasteRepeatedLines(page: Page, line: string, count: number): Promise<void> {
  await page.evaluate(
    ({ line, count }) => {
      const root = document.querySelector<HTMLElement>('[contenteditable="true"][aria-label="Note"]');
      if (!root) throw new Error('no editor');
      const lines: string[] = [];
      for (let i = 0; i < count; i++) lines.push(`${String(i).padStart(5, '0')} ${line}`);
      const data = new DataTransfer();
      data.setData('text/plain', lines.join('\n'));
      root.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    { line, count },
  );
}

/**
 * Waits until the editor's own (Lexical) selection covers exactly `text`. Keyboard selection is
 * applied by the browser first and reaches Lexical through asynchronous `selectionchange`
 * events; a format shortcut pressed before that lands applies to the stale selection. Waiting on
 * Lexical's state makes "select, then Ctrl+B" deterministic.
 */
export async function expectSelectedText(page: Page, text: string): Promise<void> {
  await expect
    .poll(() =>
      page.evaluate(() => {
        type State = { read<T>(fn: () => T): T; _selection: { getTextContent(): string } | null };
        const root = document.querySelector('[contenteditable="true"][aria-label="Note"]');
        const editor = (root as unknown as { __lexicalEditor?: { getEditorState(): State } } | null)?.__lexicalEditor;
        const state = editor?.getEditorState();
        return state ? state.read(() => state._selection?.getTextContent() ?? null) : null;
      }),
    )
    .toBe(text);
}

/**
 * Waits until Lexical's selection is the one the browser shows. A caret moved
 * by a native key (Home, End, Ctrl+End, a click) reaches Lexical through an
 * asynchronous `selectionchange`; a command key pressed before that (Enter)
 * would act on the old selection. Compares the DOM selection's anchor and
 * focus, mapped to Lexical node keys, with Lexical's own.
 */
export async function waitForCaretSync(page: Page): Promise<void> {
  await expect
    .poll(() =>
      page.evaluate(() => {
        type Point = { key: string; offset: number };
        type Editor = { _key: string; getEditorState(): { _selection: { anchor: Point; focus: Point } | null } };
        const root = document.querySelector('[contenteditable="true"][aria-label="Note"]');
        const editor = (root as unknown as { __lexicalEditor?: Editor } | null)?.__lexicalEditor;
        const dom = window.getSelection();
        const lexical = editor?.getEditorState()._selection;
        if (!editor || !dom || !dom.anchorNode || !dom.focusNode || !lexical) return false;
        const keyOf = (node: Node): string | undefined => {
          for (let n: Node | null = node; n && n !== root; n = n.parentNode) {
            const key = (n as unknown as Record<string, unknown>)[`__lexicalKey_${editor._key}`];
            if (typeof key === 'string') return key;
          }
          return undefined;
        };
        const same = (node: Node, offset: number, point: Point) =>
          keyOf(node) === point.key && (node.nodeType !== Node.TEXT_NODE || offset === point.offset);
        return same(dom.anchorNode, dom.anchorOffset, lexical.anchor) && same(dom.focusNode, dom.focusOffset, lexical.focus);
      }),
    )
    .toBe(true);
}

/** Waits until both pages hold the same content and returns it. */
export async function converged(a: Page, b: Page, timeout = 20_000): Promise<string[]> {
  let last: { a: string[]; b: string[] } = { a: [], b: [] };
  await expect
    .poll(
      async () => {
        last = { a: await contentOf(a), b: await contentOf(b) };
        return JSON.stringify(last.a) === JSON.stringify(last.b);
      },
      { timeout, message: 'peers did not converge' },
    )
    .toBe(true)
    .catch((error: unknown) => {
      throw new Error(`${String(error)}\nA: ${JSON.stringify(last.a)}\nB: ${JSON.stringify(last.b)}`);
    });
  return last.a;
}

/** Moves the caret to the end of the note. */
export async function caretToEnd(page: Page): Promise<void> {
  await editorOf(page).click();
  await page.keyboard.press('Control+End');
  // The next key is usually Enter, which acts on Lexical's selection: let it catch up first.
  await waitForCaretSync(page);
}
