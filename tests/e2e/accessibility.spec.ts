/**
 * Issue 19, "Accessible": every screen — the empty state, a note with every
 * kind of block, the share dialog and its revoke confirmation, connection
 * details, version history, backup and restore, import, an alert, the undo
 * toast, a note not on this device, a view-only note — has no serious or
 * critical axe-core violation, in the light and in the dark scheme. The page
 * has one level-one heading of its own and its landmarks; a keyboard alone
 * creates a note and opens and closes Share and History, and every header
 * action it tabs through draws its focus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { editor, flushed, newNote, notesNav } from './helpers/app';
import { expectNoSeriousViolations, focusIsVisible, focusedName, luminance, pageBackground, tabTo } from './helpers/accessibility';

const everything = readFileSync(join(import.meta.dirname, '../fixtures/markdown/everything.md'));
const checklists = readFileSync(join(import.meta.dirname, '../fixtures/markdown/checklists.md'));

/** The page's own level-one headings: a note's content may hold its author's own. */
const ownH1 = (page: Page) => page.locator('h1:not([contenteditable] h1)');

async function importFiles(page: Page, files: { name: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import Markdown' }).click();
  await (await chooser).setFiles(files.map((f) => ({ ...f, mimeType: 'text/markdown' })));
}

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`${scheme} scheme`, () => {
    test.use({ colorScheme: scheme });

    test(`every screen has no serious or critical axe-core violation (${scheme})`, async ({ page, browser, server, tempDir }) => {
      test.setTimeout(120_000);
      await page.goto('/');
      // The scheme is real: the page is painted light or dark.
      const background = luminance(await pageBackground(page));
      if (scheme === 'dark') expect(background).toBeLessThan(0.05);
      else expect(background).toBeGreaterThan(0.8);

      // Empty state.
      await expect(page.getByRole('button', { name: 'Write a note' })).toBeVisible();
      await expectNoSeriousViolations(page, 'empty state');

      // A note with headings, lists, a checklist, a quote, code and links (imported), then a nested checklist.
      await importFiles(page, [
        { name: 'meeting.md', buffer: everything },
        { name: 'checklists.md', buffer: checklists },
      ]);
      await expect(page.getByRole('status').filter({ hasText: 'Imported 2 notes.' })).toBeVisible();
      await expect(editor(page).getByRole('checkbox', { name: 'send the minutes' })).toHaveAttribute('aria-checked', 'true');
      await expect(editor(page).getByRole('link', { name: 'the wiki' })).toBeVisible();
      await expectNoSeriousViolations(page, 'a note with every kind of block');
      await notesNav(page).getByRole('link', { name: 'Shopping' }).click();
      await expect(editor(page).getByRole('checkbox', { name: 'a dozen' })).toHaveAttribute('aria-checked', 'false');
      await expectNoSeriousViolations(page, 'a nested checklist');

      // The link form of the toolbar.
      await editor(page).getByText('Done when everything').click();
      await page.getByRole('button', { name: 'Link', exact: true }).click();
      await expect(page.getByRole('form', { name: 'Link' })).toBeVisible();
      await expectNoSeriousViolations(page, 'link form');
      await page.getByRole('form', { name: 'Link' }).getByRole('button', { name: 'Cancel' }).click();

      // The share dialog, its revoke confirmation, connection details.
      await notesNav(page).getByRole('link', { name: 'Meeting notes' }).click();
      await page.getByRole('button', { name: 'Share' }).click();
      const share = page.getByRole('dialog', { name: 'Share this note' });
      await expect(share.getByRole('textbox', { name: 'Share link' })).toBeVisible();
      await expect(share.getByRole('textbox', { name: 'View-only link' })).toBeVisible();
      await expect(share.getByRole('img', { name: 'QR code of the share link' })).toBeVisible();
      await expectNoSeriousViolations(page, 'share dialog');
      const viewLink = await share.getByRole('textbox', { name: 'View-only link' }).inputValue();
      await share.getByRole('button', { name: 'Revoke links' }).click();
      await expect(share.getByRole('alertdialog', { name: 'Revoke links?' })).toBeVisible();
      await expectNoSeriousViolations(page, 'revoke confirmation');
      await share.getByRole('alertdialog', { name: 'Revoke links?' }).getByRole('button', { name: 'Cancel' }).click();
      await share.getByRole('button', { name: 'Close' }).click();
      await expect(share).toBeHidden();

      await page.getByRole('button', { name: 'Connection details' }).click();
      const details = page.getByRole('dialog', { name: 'Connection details' });
      await expect(details.getByRole('button', { name: 'Try again' })).toBeVisible();
      await expectNoSeriousViolations(page, 'connection details');
      await details.getByRole('button', { name: 'Close' }).click();
      await expect(details).toBeHidden();

      // Version history, a version selected.
      await page.getByRole('button', { name: 'History' }).click();
      const history = page.getByRole('dialog', { name: 'Version history' });
      await history.getByRole('radio').first().check();
      await expect(history.getByRole('region', { name: 'Version preview' })).toContainText('Meeting notes');
      await expectNoSeriousViolations(page, 'version history');
      await history.getByRole('button', { name: 'Close' }).click();
      await expect(history).toBeHidden();

      // Back up, then restore the file.
      await flushed(page);
      const downloading = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Back up all notes' }).click();
      const file = join(tempDir, 'backup.jsonl');
      await (await downloading).saveAs(file);
      await expect(page.getByRole('status').filter({ hasText: 'Backup saved.' })).toBeVisible();
      await page.getByLabel('Restore from backup').setInputFiles(file);
      await expect(page.getByRole('status').filter({ hasText: 'Restored 2 notes' })).toBeVisible();
      await expectNoSeriousViolations(page, 'backup and restore');

      // An alert (a file that is not a Weft backup).
      await page.getByLabel('Restore from backup').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{}') });
      await expect(page.getByRole('alert').filter({ hasText: 'not a Weft backup' })).toBeVisible();
      await expectNoSeriousViolations(page, 'an alert');
      await page.getByRole('alert').filter({ hasText: 'not a Weft backup' }).getByRole('button', { name: 'Dismiss' }).click();

      // The undo toast after a delete.
      await notesNav(page).getByRole('link', { name: 'Shopping' }).click();
      await page.getByRole('button', { name: 'Delete note' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Deleted “Shopping”.' })).toBeVisible();
      await expectNoSeriousViolations(page, 'undo toast');
      await page.getByRole('button', { name: 'Undo' }).click();
      await expect(notesNav(page).getByRole('link', { name: 'Shopping' })).toBeVisible();

      // A note that is not on this device.
      await page.goto('/#/note/AAAAAAAAAAAAAAAAAAAAAA');
      await expect(page.getByRole('alert').filter({ hasText: 'not on this device' })).toBeVisible();
      await expectNoSeriousViolations(page, 'a note not on this device');

      // A view-only note, in another browser profile.
      const viewer = await browser.newContext({ baseURL: server.url, colorScheme: scheme });
      try {
        const other = await viewer.newPage();
        await other.goto(viewLink);
        await expect(other.getByRole('note')).toContainText('View only');
        await expect(editor(other)).toHaveAttribute('aria-readonly', 'true');
        await expectNoSeriousViolations(other, 'a view-only note');
      } finally {
        await viewer.close();
      }
    });
  });
}

test('one level-one heading of its own, and the landmarks: banner, the notes navigation, main', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Write a note' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
  await expect(page.getByRole('banner')).toHaveCount(1);
  await expect(page.getByRole('main')).toHaveCount(1);
  await expect(page.getByRole('navigation', { name: 'Notes' })).toHaveCount(1);

  // With a note open, its own headings are its author's: the page's own h1 stays the only one outside it.
  await newNote(page);
  await page.keyboard.type('# A heading of the note\n');
  await expect(editor(page).getByRole('heading', { level: 1 })).toHaveCount(1);
  await expect(ownH1(page)).toHaveCount(1);
  await expect(page.getByRole('banner').getByRole('heading', { level: 1 })).toHaveText('Weft');
});

test('the keyboard alone creates a note, opens and closes Share and History; focus is always drawn', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Write a note' })).toBeVisible();

  // Every header action, in order, takes the focus and draws it.
  for (const name of ['Weft', 'Back up all notes', 'Restore from backup', 'Import Markdown', 'New note']) await tabTo(page, name);
  await page.keyboard.press('Enter');
  await expect(editor(page)).toBeVisible();
  await expect(page).toHaveURL(/#\/note\//);

  await tabTo(page, 'Share');
  await page.keyboard.press('Enter');
  const share = page.getByRole('dialog', { name: 'Share this note' });
  await expect(share).toBeVisible();
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(share).toBeHidden();
  // Focus goes back where it was.
  expect(await focusedName(page)).toBe('Share');

  await tabTo(page, 'History');
  await page.keyboard.press('Enter');
  const history = page.getByRole('dialog', { name: 'Version history' });
  await expect(history).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(history).toBeHidden();
  expect(await focusedName(page)).toBe('History');

  // Back to the title, which names the note.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  expect(await focusedName(page)).toBe('Title');
});

test('a checklist item stays a checkbox: a click on its box and Space from the keyboard toggle it', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('[] first task\nsecond task');
  const first = editor(page).getByRole('checkbox', { name: 'first task' });
  const second = editor(page).getByRole('checkbox', { name: 'second task' });
  await expect(first).toHaveAttribute('aria-checked', 'false');
  // Inside a group of checkboxes, not a list of them.
  await expect(editor(page).getByRole('group')).toHaveCount(1);
  await expect(editor(page).getByRole('list')).toHaveCount(0);

  // A click on the box (the item's ::before, at its left edge).
  const box = await first.boundingBox();
  if (box === null) throw new Error('the first item is not drawn');
  await page.mouse.click(box.x + 6, box.y + box.height / 2);
  await expect(first).toHaveAttribute('aria-checked', 'true');

  // The keyboard: ArrowLeft at the start of an item hands the focus to its checkbox, Space toggles it.
  await second.click();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowLeft');
  await expect(second).toBeFocused();
  await page.keyboard.press('Space');
  await expect(second).toHaveAttribute('aria-checked', 'true');
  await expect(editor(page)).toHaveText('first tasksecond task');
});
