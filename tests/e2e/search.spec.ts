/**
 * Issue 19, "Find anything": search looks at the whole text of every note.
 * A long note (about 60,000 characters) is imported; a word near its end is
 * found, the note listed with a snippet of its text around the word, the word
 * in a <mark>; a typo and a prefix find it too; a word typed at the end of
 * the note just now is found once the list has caught up.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { editor, flushed, notesNav, typeAtEnd } from './helpers/app';

const WORDS = 'river stone light paper window garden quiet morning letter harbor field silver winter kitchen lantern'.split(' ');

/** About `chars` characters of prose in paragraphs, from a seeded generator (the seed is in the test's title). */
function prose(seed: number, chars: number): string {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
  const paragraphs: string[] = [];
  let length = 0;
  while (length < chars) {
    const words = Array.from({ length: 60 }, () => WORDS[Math.floor(next() * WORDS.length)]);
    const paragraph = words.join(' ');
    paragraphs.push(paragraph);
    length += paragraph.length + 2;
  }
  return paragraphs.join('\n\n');
}

async function importMarkdown(page: Page, name: string, content: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import Markdown' }).click();
  await (await chooser).setFiles([{ name, mimeType: 'text/markdown', buffer: Buffer.from(content) }]);
}

test('a word near the end of a 60,000-character note is found, listed with its snippet and the word marked (seed 19)', async ({ page }) => {
  await page.goto('/');
  const long = `# Logbook\n\n${prose(19, 60_000)}\n\nThe zeppelin landed at the harbor before dawn.\n\n${prose(20, 300)}\n`;
  expect(long.indexOf('zeppelin')).toBeGreaterThan(59_000);
  await importMarkdown(page, 'logbook.md', long);
  await importMarkdown(page, 'short.md', `# Short note\n\n${prose(21, 500)}\n`);
  const links = notesNav(page).getByRole('link');
  await expect(links).toHaveCount(2);

  const search = page.getByRole('searchbox', { name: 'Search notes' });
  const logbook = notesNav(page).getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Logbook' }) });
  for (const query of ['zeppelin', 'zeppel', 'zepelin']) {
    await search.fill(query);
    await expect(links).toHaveText(['Logbook']);
    await expect(logbook.locator('mark')).toHaveText(['zeppelin']);
    await expect(logbook.locator('.snippet')).toContainText('The zeppelin landed at the harbor before dawn.');
  }
  // The link's name stays the title: the snippet is beside it, not inside it.
  await expect(notesNav(page).getByRole('link', { name: 'Logbook', exact: true })).toBeVisible();

  // A word typed at the end of the long note now: found after the list's refresh.
  await search.fill('');
  await notesNav(page).getByRole('link', { name: 'Logbook' }).click();
  await expect(editor(page)).toContainText('The zeppelin landed');
  await typeAtEnd(page, ' quetzal');
  await flushed(page);
  await search.fill('quetzal');
  await expect(links).toHaveText(['Logbook']);
  await expect(logbook.locator('mark')).toHaveText(['quetzal']);

  // After a reload (the index comes back from its snapshot or is rebuilt): still found.
  await page.reload();
  await page.getByRole('searchbox', { name: 'Search notes' }).fill('zeppelin');
  await expect(links).toHaveText(['Logbook']);
  await expect(logbook.locator('mark')).toHaveText(['zeppelin']);
});
