/**
 * Links as you type: a URL typed (then a space) or pasted becomes a link with
 * the right href, under the same URL policy as other links; and it reaches the
 * other peer of a shared note as a link.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { editor, newNote } from './helpers/app';
import { editorOf, expectConnected, launchPeer, newNote as newPeerNote, openShareLink, shareLinkOf } from './helpers/peers';

/** How long two processes may take to find each other (signaling + ICE on a loaded 2-core box). */
const CONNECT_TIMEOUT_MS = 20_000;

/** Pastes `text` as plain text at the caret (the paste event Lexical handles, with the data a clipboard would give). */
async function pastePlainText(page: Page, text: string): Promise<void> {
  await editor(page).evaluate((element, pasted) => {
    const data = new DataTransfer();
    data.setData('text/plain', pasted);
    element.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

test('a typed or pasted URL becomes a link with the right href; unsafe schemes do not', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  const note = editor(page);
  await page.keyboard.type('Docs at https://example.org/docs?page=2 and ');
  await expect(note.getByRole('link', { name: 'https://example.org/docs?page=2' })).toHaveAttribute('href', 'https://example.org/docs?page=2');
  await page.keyboard.type('www.example.com ');
  await expect(note.getByRole('link', { name: 'www.example.com' })).toHaveAttribute('href', 'https://www.example.com/');
  await page.keyboard.type('or mail me@example.org ');
  await expect(note.getByRole('link', { name: 'me@example.org' })).toHaveAttribute('href', 'mailto:me@example.org');
  await page.keyboard.press('Enter');
  await page.keyboard.type('not javascript:alert(1) nor ftp://example.org end');
  await expect(note).toContainText('nor ftp://example.org end');
  await expect(note.getByRole('link')).toHaveCount(3);

  await page.keyboard.press('Enter');
  await pastePlainText(page, 'pasted https://paste.example.org/x here');
  await expect(note.getByRole('link', { name: 'https://paste.example.org/x' })).toHaveAttribute('href', 'https://paste.example.org/x');
  await expect(note).toContainText('here');
  // It opens like any link: in a new tab, without a handle back.
  await expect(note.getByRole('link', { name: 'www.example.com' })).toHaveAttribute('rel', 'noopener noreferrer');
});

test('a link made as you type reaches the other peer as a link', async ({ launchProfile, profileDir }) => {
  const a = await launchPeer(launchProfile, profileDir, 'a');
  await a.page.goto('/');
  const noteId = await newPeerNote(a.page);
  await a.page.keyboard.type('Shared links');
  const link = await shareLinkOf(a.page);
  const b = await launchPeer(launchProfile, profileDir, 'b');
  expect(await openShareLink(b.page, link)).toBe(noteId);
  await expectConnected(a.page, 1, CONNECT_TIMEOUT_MS);
  await expectConnected(b.page, 1, CONNECT_TIMEOUT_MS);

  await editorOf(a.page).click();
  await a.page.keyboard.press('Control+End');
  await a.page.keyboard.type(' see www.example.org ');
  await expect(editorOf(a.page).getByRole('link', { name: 'www.example.org' })).toHaveAttribute('href', 'https://www.example.org/');
  await expect(editorOf(b.page).getByRole('link', { name: 'www.example.org' })).toHaveAttribute('href', 'https://www.example.org/', { timeout: CONNECT_TIMEOUT_MS });

  // And the other way round.
  await editorOf(b.page).click();
  await b.page.keyboard.press('Control+End');
  await b.page.keyboard.type('and https://b.example.org/page ');
  await expect(editorOf(a.page).getByRole('link', { name: 'https://b.example.org/page' })).toHaveAttribute('href', 'https://b.example.org/page');
  await expect(editorOf(b.page).getByRole('link')).toHaveCount(2);
});
