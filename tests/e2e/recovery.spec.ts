/**
 * Getting work back: a full backup restored into a fresh browser profile, a
 * foreign file refused with a message, and version history bringing back
 * text after everything was deleted.
 */
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { editor, flushed, newNote, notesNav } from './helpers/app';

test('back up all notes, restore them into a fresh browser profile', async ({ page, browser, server, tempDir }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('Alpha backup\nfirst body line');
  await newNote(page);
  await page.keyboard.type('Beta backup\nsecond body line');
  await expect(notesNav(page).getByRole('link')).toHaveText(['Beta backup', 'Alpha backup']);
  await flushed(page);

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Back up all notes' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^weft-backup-\d{4}-\d{2}-\d{2}\.jsonl$/);
  const file = join(tempDir, 'backup.jsonl');
  await download.saveAs(file);

  const fresh = await browser.newContext({ baseURL: server.url });
  try {
    const other = await fresh.newPage();
    await other.goto('/');
    await expect(other.getByRole('button', { name: 'New note' })).toBeEnabled();
    await expect(notesNav(other).getByRole('link')).toHaveCount(0);

    // A foreign file first: a clear message, nothing restored.
    await other.getByLabel('Restore from backup').setInputFiles({
      name: 'notes.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ hello: 'world' })),
    });
    await expect(other.getByRole('alert').filter({ hasText: 'not a Weft backup' })).toBeVisible();
    await expect(notesNav(other).getByRole('link')).toHaveCount(0);

    await other.getByLabel('Restore from backup').setInputFiles(file);
    await expect(other.getByRole('status').filter({ hasText: 'Restored 2 notes' })).toBeVisible();
    await expect(other.getByRole('alert').filter({ hasText: 'not a Weft backup' })).toHaveCount(0);
    await expect(notesNav(other).getByRole('link')).toHaveText(['Beta backup', 'Alpha backup']);
    await notesNav(other).getByRole('link', { name: 'Alpha backup' }).click();
    await expect(editor(other)).toContainText('first body line');
    await notesNav(other).getByRole('link', { name: 'Beta backup' }).click();
    await expect(editor(other)).toContainText('second body line');

    // Restoring the same file again duplicates nothing.
    await other.getByLabel('Restore from backup').setInputFiles(file);
    await expect(notesNav(other).getByRole('link')).toHaveCount(2);
    await expect(editor(other).getByText('second body line')).toHaveCount(1);
  } finally {
    await fresh.close();
  }
});

test('version history: delete everything, restore a version, the text is back', async ({ page }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('Important paragraph one\nand a second line');
  await flushed(page);

  // Reopening the note records a version of it (it changed since the last one).
  await page.getByRole('link', { name: 'Weft' }).click();
  await expect(editor(page)).toHaveCount(0);
  await notesNav(page).getByRole('link', { name: 'Important paragraph one' }).click();
  await expect(editor(page)).toContainText('and a second line');
  await flushed(page);

  await editor(page).click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await expect(editor(page)).not.toContainText('Important');
  await flushed(page);

  await page.getByRole('button', { name: 'History' }).click();
  const dialog = page.getByRole('dialog', { name: 'Version history' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: /Important paragraph one/ }).check();
  await expect(dialog.getByRole('region', { name: 'Version preview' })).toContainText('and a second line');
  await dialog.getByRole('button', { name: 'Restore this version' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(editor(page)).toContainText('Important paragraph one');
  await expect(editor(page)).toContainText('and a second line');

  // The restore is an ordinary edit: it is saved, and survives a reload.
  await flushed(page);
  await page.reload();
  await expect(editor(page)).toContainText('and a second line');
});

test('export HTML downloads a standalone document of the note', async ({ page, tempDir }) => {
  await page.goto('/');
  await newNote(page);
  await page.keyboard.type('# Exported <title>\nplain text');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export HTML' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.html$/);
  const file = join(tempDir, 'note.html');
  await download.saveAs(file);
  const { readFile } = await import('node:fs/promises');
  const html = await readFile(file, 'utf8');
  expect(html).toContain('<title>Exported &lt;title&gt;</title>');
  expect(html).toMatch(/<h1[^>]*>.*Exported &lt;title&gt;.*<\/h1>/s);
  expect(html).toContain('plain text');
  expect(html.toLowerCase()).not.toContain('<script');
});
