/**
 * The foundation as a user meets it: notes are rich text, saved on every
 * keystroke, listed, searchable, renamable, deletable with undo, and survive
 * reloads, browser restarts and going offline.
 */
import { expect, test } from './fixtures';
import { editor, flushed, newNote, notesNav, typeAtEnd } from './helpers/app';
import { waitForServiceWorkerControl } from './helpers/serviceWorker';

test('typed text is there exactly once after a reload', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('Groceries');
  await page.keyboard.press('Enter');
  await page.keyboard.type('apples and pears');
  await expect(editor(page)).toHaveText(/apples and pears/);
  await flushed(page);

  await page.reload();
  await expect(editor(page)).toContainText('apples and pears');
  const text = await editor(page).innerText();
  expect(text.match(/Groceries/g)).toHaveLength(1);
  expect(text.match(/apples and pears/g)).toHaveLength(1);
  // Exactly the two paragraphs that were typed: no seeded or duplicated blank block.
  await expect(editor(page).locator('p')).toHaveCount(2);
  await expect(notesNav(page).getByRole('link', { name: 'Groceries' })).toBeVisible();
});

test('rich text: markdown shortcuts, toolbar and undo', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('# Title\n');
  await page.keyboard.type('- first\nsecond\n\n');
  await page.keyboard.type('[] task\n\n');
  await page.keyboard.type('> quoted\n');
  await page.keyboard.type('plain **strong** done');
  await expect(editor(page).locator('h1')).toHaveText('Title');
  await expect(editor(page).locator('ul li')).toHaveCount(3); // two bullets + one check item
  await expect(editor(page).locator('blockquote')).toHaveText('quoted');
  await expect(editor(page).locator('strong, b').filter({ hasText: 'strong' })).toHaveCount(1);

  // Undo goes through the Yjs undo manager.
  await page.keyboard.type(' extra');
  await expect(editor(page)).toContainText('done extra');
  await page.keyboard.press('Control+z');
  await expect(editor(page)).not.toContainText('extra');
  await page.keyboard.press('Control+Shift+z');
  await expect(editor(page)).toContainText('done extra');
});

test('notes list: titles, rename, search, order by last edit, delete with undo', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('Alpha note\nabout mountains');
  await newNote(page);
  await page.keyboard.type('Beta note\nabout the sea');
  const links = notesNav(page).getByRole('link');
  await expect(links).toHaveText(['Beta note', 'Alpha note']);

  // Editing Alpha moves it to the top.
  await notesNav(page).getByRole('link', { name: 'Alpha note' }).click();
  await expect(editor(page)).toContainText('about mountains');
  await typeAtEnd(page, ' and lakes');
  await expect(links).toHaveText(['Alpha note', 'Beta note']);

  // Search filters by title and by text.
  const search = page.getByRole('searchbox', { name: 'Search notes' });
  await search.fill('sea');
  await expect(links).toHaveText(['Beta note']);
  await search.fill('lakes');
  await expect(links).toHaveText(['Alpha note']);
  await search.fill('');

  // An explicit title wins over the first line; clearing it goes back to the first line.
  await page.getByRole('textbox', { name: 'Title' }).fill('Trip ideas');
  await expect(notesNav(page).getByRole('link', { name: 'Trip ideas' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Title' }).fill('');
  await expect(notesNav(page).getByRole('link', { name: 'Alpha note' })).toBeVisible();

  // Delete, then undo.
  await page.getByRole('button', { name: 'Delete note' }).click();
  await expect(links).toHaveText(['Beta note']);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(links).toHaveText(['Alpha note', 'Beta note']);
  await expect(editor(page)).toContainText('and lakes');
});

test('close and relaunch the browser on the same profile: the note is listed with its title', async ({
  launchProfile,
}) => {
  let browser = await launchProfile();
  let page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('Survives restarts\nbody text');
  await expect(notesNav(page).getByRole('link', { name: 'Survives restarts' })).toBeVisible();
  await flushed(page);
  await browser.close();

  browser = await launchProfile();
  page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto('/');
  await notesNav(page).getByRole('link', { name: 'Survives restarts' }).click();
  await expect(editor(page)).toContainText('body text');
});

test('offline: the app and the note open, and new edits persist', async ({ page, context }) => {
  await page.goto('/');
  await waitForServiceWorkerControl(page);
  const hash = await newNote(page);
  await page.keyboard.type('Written online');
  await flushed(page);

  await context.setOffline(true);
  await page.reload();
  // The header's network indicator (the note's sync status says "Offline" too).
  await expect(page.getByRole('status', { name: /No network/ })).toHaveText('Offline');
  await expect(editor(page)).toContainText('Written online');
  await editor(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('Written offline');
  await flushed(page);

  await page.goto('/' + hash);
  await page.reload();
  await expect(editor(page)).toContainText('Written offline');
  await expect(editor(page)).toContainText('Written online');
});

test('a second tab on the same note shows the first tab’s edits', async ({ page, context }) => {
  await page.goto('/');
  const hash = await newNote(page);
  await page.keyboard.type('From tab one');

  const second = await context.newPage();
  await second.goto('/' + hash);
  await expect(editor(second)).toContainText('From tab one');

  // Live, both ways, without reloading.
  await page.keyboard.type(' and more');
  await expect(editor(second)).toContainText('From tab one and more');
  await typeAtEnd(second, ' plus tab two');
  await expect(editor(page)).toContainText('and more plus tab two');
});

test('a malformed note link shows an alert and opens nothing', async ({ page }) => {
  await page.goto('/#/note/not a valid id!');
  await expect(page.getByRole('alert')).toContainText(/malformed/i);
  await expect(editor(page)).toHaveCount(0);
});

test('a well-formed link to a note this device does not have says so', async ({ page }) => {
  await page.goto('/#/note/AAAAAAAAAAAAAAAAAAAAAA');
  await expect(page.getByRole('alert')).toContainText(/not on this device/i);
  await expect(editor(page)).toHaveCount(0);
});

test('without IndexedDB the app says so and still lets the user write', async ({ page }) => {
  // Private modes and locked-down browsers can refuse storage entirely.
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  await page.goto('/');
  await expect(page.getByRole('alert')).toContainText(/does not let Weft store data/);
  await newNote(page);
  await page.keyboard.type('Still works in memory');
  await expect(notesNav(page).getByRole('link', { name: 'Still works in memory' })).toBeVisible();
});
