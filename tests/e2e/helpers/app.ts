/**
 * The app's UI contracts as locators and small actions, shared by the
 * end-to-end specs. Everything goes through roles and accessible names (the
 * names issue #2 lists are a contract), never CSS classes.
 */
import { expect, type Locator, type Page } from '@playwright/test';

/** The note editor (the contenteditable named "Note"). */
export const editor = (page: Page): Locator => page.getByRole('textbox', { name: 'Note' });
/** The notes list in the sidebar (a navigation landmark with one link per note). */
export const notesNav = (page: Page): Locator => page.getByRole('navigation', { name: 'Notes' });
/** Every role="alert" message on the page. */
export const alerts = (page: Page): Locator => page.getByRole('alert');

/** Creates a note, waits for its editor and focuses it; returns its route (`#/note/<id>`). */
export async function newNote(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'New note' }).click();
  await expect(editor(page)).toBeVisible();
  await expect(page).toHaveURL(/#\/note\/[A-Za-z0-9_-]+$/);
  await editor(page).click();
  return new URL(page.url()).hash;
}

/** Clicks into the note, moves the caret to its very end and types `text` there. */
export async function typeAtEnd(page: Page, text: string): Promise<void> {
  await editor(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

/** Resolves once everything typed so far (and version saves under way) is in IndexedDB: the app's own flush, not a sleep. */
export async function flushed(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { weft: { flush(): Promise<void> } }).weft.flush());
}
