/**
 * Two people typing at the same place at the same time, as new users would: two Chromium
 * processes over WebRTC through our server, each typing its own word at the same spot while the
 * other's keystrokes arrive. The oracle is what each person typed, not only that the editors agree:
 * every character is present exactly once, each word is in one piece, and the editors end equal.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import {
  caretToEnd,
  contentOf,
  converged,
  editorOf,
  expectConnected,
  launchPeer,
  newNote,
  openShareLink,
  plainText,
  shareLinkOf,
  waitForCaretSync,
  type LaunchProfile,
  type Peer,
} from './helpers/peers';

/** Typing speeds from a fast burst to a slow typist, in ms per key. */
const SPEEDS_MS = [5, 40, 120, 300] as const;
const ROUNDS = 5;
const CONNECT_TIMEOUT_MS = 20_000;

/** Two peers on one shared note (A made it), connected; the note holds one line, `first`. */
async function sharedNote(launchProfile: LaunchProfile, profileDir: string, first: string): Promise<[Peer, Peer]> {
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  await newNote(a.page);
  await a.page.keyboard.type(first);
  const link = await shareLinkOf(a.page);
  const b = await launchPeer(launchProfile, profileDir, 'b');
  await openShareLink(b.page, link);
  await expect(editorOf(b.page)).toContainText(first, { timeout: CONNECT_TIMEOUT_MS });
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);
  return [a, b];
}

/** Both type their word at once, key by key at `delay` ms per key. */
async function typeTogether(a: Page, wordA: string, b: Page, wordB: string, delay: number): Promise<void> {
  await Promise.all([a.keyboard.type(wordA, { delay }), b.keyboard.type(wordB, { delay })]);
}

/** Counts of each character, to check that every typed character is there exactly once. */
function characterCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return counts;
}

/** Asserts `line` is `prefix` followed by both words, each whole, in either order, and nothing else. */
function expectBothWhole(line: string, prefix: string, wordA: string, wordB: string): void {
  expect(characterCounts(line), `every typed character once in ${JSON.stringify(line)}`).toEqual(
    characterCounts(prefix + wordA + wordB),
  );
  expect([prefix + wordA + wordB, prefix + wordB + wordA], `each word in one piece`).toContain(line);
}

for (const delay of SPEEDS_MS) {
  test(`both type a word at the end of the same line at ${delay} ms per key: every word whole, every key once`, async ({
    launchProfile,
    profileDir,
  }) => {
    // An upper bound only (every wait inside is on state): generous for a loaded CI machine.
    test.setTimeout(150_000 + ROUNDS * 2 * 12 * delay);
    const [a, b] = await sharedNote(launchProfile, profileDir, 'Typing together');
    const lines = ['Typing together'];
    for (let round = 1; round <= ROUNDS; round++) {
      // A new line for each round, made by A; both put the caret at its end.
      const label = `Round ${round}:`;
      await caretToEnd(a.page);
      await a.page.keyboard.press('Enter');
      await a.page.keyboard.type(label);
      lines.push(label);
      await expect(editorOf(b.page)).toContainText(label);
      await caretToEnd(a.page);
      await caretToEnd(b.page);
      // Distinct letters per person, so a character out of place shows whose it was.
      const wordA = ` alpha${round}ALPHA`;
      const wordB = ` bravo${round}BRAVO`;
      await typeTogether(a.page, wordA, b.page, wordB, delay);
      const merged = plainText(await converged(a.page, b.page)).split('\n');
      expect(merged.slice(0, -1)).toEqual(lines.slice(0, -1));
      expectBothWhole(merged.at(-1) ?? '', label, wordA, wordB);
      lines[lines.length - 1] = merged.at(-1) ?? '';
    }
  });
}

/** Moves the caret `count` characters left of the end of the note. */
async function caretBeforeEnd(page: Page, count: number): Promise<void> {
  await caretToEnd(page);
  for (let i = 0; i < count; i++) await page.keyboard.press('ArrowLeft');
  await waitForCaretSync(page);
}

/**
 * Yjs has no move: a split re-creates the text after the caret in a new block. What B types after
 * a character of that text, before or after A's split reaches it, and B's caret, follow the
 * character into the new block (src/editor/collab/followMovedText.ts): B's words stay whole.
 */
test('one presses Enter in the middle of the paragraph the other is typing at the end of', async ({ launchProfile, profileDir }) => {
  const [a, b] = await sharedNote(launchProfile, profileDir, 'First half. Second half.');
  await caretBeforeEnd(a.page, 'Second half.'.length);
  await caretToEnd(b.page);
  const word = ' typed by B while A splits';
  await Promise.all([
    b.page.keyboard.type(word, { delay: 40 }),
    (async () => {
      await a.page.keyboard.press('Enter');
      await a.page.keyboard.type('A was here. ', { delay: 40 });
    })(),
  ]);
  const merged = await converged(a.page, b.page);
  expect(merged).toEqual(['paragraph|First half. ', `paragraph|A was here. Second half.${word}`]);
});

test('both type in one list item', async ({ launchProfile, profileDir }) => {
  const [a, b] = await sharedNote(launchProfile, profileDir, 'Shopping');
  await caretToEnd(a.page);
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('- milk');
  await expect(editorOf(b.page)).toContainText('milk');
  await caretToEnd(a.page);
  await caretToEnd(b.page);
  await typeTogether(a.page, ' and honey', b.page, ' or oat milk', 40);
  const merged = await converged(a.page, b.page);
  expect(merged[0]).toBe('paragraph|Shopping');
  expect(merged).toHaveLength(2);
  expect(['listitem:bullet|milk and honey or oat milk', 'listitem:bullet|milk or oat milk and honey']).toContain(merged[1]);
});

test('one deletes a word the other is typing after', async ({ launchProfile, profileDir }) => {
  const [a, b] = await sharedNote(launchProfile, profileDir, 'keep doomed');
  await caretToEnd(b.page);
  await caretToEnd(a.page);
  await Promise.all([
    b.page.keyboard.type(' and more from B', { delay: 40 }),
    (async () => {
      // A deletes "doomed" from its end, one Backspace at a time.
      for (let i = 0; i < 'doomed'.length; i++) await a.page.keyboard.press('Backspace', { delay: 40 });
    })(),
  ]);
  const merged = await converged(a.page, b.page);
  expect(merged).toEqual(['paragraph|keep  and more from B']);
});

test('undo by one while the other types removes only the undoer’s own text', async ({ launchProfile, profileDir }) => {
  const [a, b] = await sharedNote(launchProfile, profileDir, 'Base.');
  await caretToEnd(a.page);
  await caretToEnd(b.page);
  await a.page.keyboard.type(' A-typed', { delay: 20 });
  await expect(editorOf(b.page)).toContainText('A-typed');
  await Promise.all([
    b.page.keyboard.type(' B-typed', { delay: 40 }),
    (async () => {
      await a.page.keyboard.press('Control+z');
      await expect(editorOf(a.page)).not.toContainText('A-typed');
    })(),
  ]);
  const merged = await converged(a.page, b.page);
  expect(merged).toEqual(['paragraph|Base. B-typed']);
  expect(plainText(await contentOf(b.page))).toBe('Base. B-typed');
});

/**
 * Yjs has no move: turning a paragraph into a heading deletes it and inserts a copy. What B types
 * into the paragraph before A's change reaches it is not in A's copy; B's app puts it back there
 * (src/editor/collab/rescueOrphanedText.ts). Whatever the timing: every character of B's once, in order.
 */
test('one turns the paragraph into a heading while the other types at its end: nothing typed is lost', async ({ launchProfile, profileDir }) => {
  const [a, b] = await sharedNote(launchProfile, profileDir, 'Meeting notes');
  await caretToEnd(a.page);
  await caretToEnd(b.page);
  const word = ' for Monday, typed by B';
  await Promise.all([
    b.page.keyboard.type(word, { delay: 40 }),
    (async () => {
      await a.page.keyboard.type(' (draft)', { delay: 40 });
      await a.page.getByRole('combobox', { name: 'Block type' }).selectOption({ label: 'Heading 1' });
    })(),
  ]);
  const merged = await converged(a.page, b.page);
  expect(merged).toHaveLength(1);
  const [line = ''] = merged;
  expect(line.startsWith('heading:h1|Meeting notes'), line).toBe(true);
  const typed = line.slice('heading:h1|Meeting notes'.length);
  expect(characterCounts(typed), `every typed character once in ${JSON.stringify(typed)}`).toEqual(characterCounts(word + ' (draft)'));
  expect([word + ' (draft)', ' (draft)' + word], 'each word in one piece').toContain(typed);
});

/**
 * End, Home and arrow keys move the caret in the DOM at once; Lexical hears of it a task later
 * (selectionchange). A peer's change rendered in between used to put the caret back where Lexical
 * last had it, and the next key went there (3 of 60 keys at the wrong end of the line in the first
 * run). B jumps between the two ends of its line and types a letter at each, while A types on
 * another line without pause: every letter must be at the end B jumped to.
 */
test('a caret moved just before a peer’s change stays where it was moved', async ({ launchProfile, profileDir }) => {
  test.setTimeout(180_000);
  const [a, b] = await sharedNote(launchProfile, profileDir, 'A types here');
  await caretToEnd(a.page);
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('abc');
  await expect(editorOf(b.page)).toContainText('abc');
  await editorOf(a.page).getByText('A types here').click();
  await a.page.keyboard.press('End');
  await caretToEnd(b.page);
  const JUMPS = 30;
  let jumping = true;
  const peerTyping = (async () => {
    for (let i = 0; jumping && i < 5_000; i++) await a.page.keyboard.type('p');
  })();
  try {
    for (let i = 0; i < JUMPS; i++) {
      await b.page.keyboard.press('End');
      await b.page.keyboard.type('Z');
      await b.page.keyboard.press('Home');
      await b.page.keyboard.type('A');
    }
  } finally {
    jumping = false;
    await peerTyping;
  }
  const merged = await converged(a.page, b.page);
  expect(merged[1]).toBe(`paragraph|${'A'.repeat(JUMPS)}abc${'Z'.repeat(JUMPS)}`);
  expect(merged[0]).toMatch(/^paragraph\|A types herep+$/);
});
