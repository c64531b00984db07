/**
 * Issue 19, "Phone-sized screens", at 390 × 844 with touch: one column and
 * nothing wider than the screen; the header in one row, its secondary actions
 * in "More actions" and the note's in "Note actions" (same names inside); the
 * notes list in a drawer opened by "Notes" that Escape and picking a note
 * close; the formatting toolbar one row that scrolls sideways; every visible
 * button and link at least 44 × 44 px; no serious or critical axe-core
 * violation in the light or the dark scheme.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { editor, notesNav } from './helpers/app';
import { expectNoSeriousViolations } from './helpers/accessibility';

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

const corpus = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/markdown', name));
const notesButton = (page: Page) => page.getByRole('button', { name: 'Notes', exact: true });
const moreActions = (page: Page) => page.getByRole('button', { name: 'More actions' });
const noteActions = (page: Page) => page.getByRole('button', { name: 'Note actions' });

/** Buttons, links and menu items on screen smaller than 44 × 44 px (links inside a note's text are inline, exempt as in WCAG 2.5.8). */
const smallTargets = (page: Page): Promise<string[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, a[href], [role="menuitem"], select, label.file-button')]
      .filter((el) => el.closest('[contenteditable]') === null)
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0)
      .filter(({ box }) => box.width < 44 || box.height < 44)
      .map(({ el, box }) => `${el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.tagName}: ${Math.round(box.width)}×${Math.round(box.height)}`),
  );

async function expectPhoneSized(page: Page, screen: string): Promise<void> {
  expect(await smallTargets(page), `touch targets under 44 × 44 px on "${screen}"`).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `page width on "${screen}"`).toBeLessThanOrEqual(390);
  await expectNoSeriousViolations(page, `${screen}, 390 px`);
}

test('at 390 px: one row of header, the notes in a drawer, actions in menus, a toolbar that scrolls, 44 px targets', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Write a note' })).toBeVisible();

  // The header: one row, the secondary actions folded away.
  const header = page.getByRole('banner');
  for (const name of ['Back up all notes', 'Import Markdown']) await expect(page.getByRole('button', { name })).toBeHidden();
  const boxes = await header.evaluate((el) =>
    [...el.children].map((child) => child.getBoundingClientRect()).filter((box) => box.width > 0),
  );
  expect(boxes.length).toBe(5); // Notes, Weft, Online, More actions, New note
  await expect(header.getByRole('status').filter({ hasText: 'Online' })).toBeVisible();
  const tops = boxes.map((box) => box.top);
  expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(12);
  expect((await header.boundingBox())?.height).toBeLessThanOrEqual(64);
  await expectPhoneSized(page, 'empty state');

  // "More actions": a disclosure whose items keep their names; Escape closes it, and the focus returns.
  await moreActions(page).click();
  await expect(moreActions(page)).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('button', { name: 'Back up all notes' })).toBeFocused();
  await expect(page.getByText('Restore from backup')).toBeVisible();
  await expectPhoneSized(page, 'More actions open');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Import Markdown' })).toBeHidden();
  await expect(moreActions(page)).toBeFocused();
  await expect(moreActions(page)).toHaveAttribute('aria-expanded', 'false');

  // Its items work: Import Markdown, from the keyboard.
  await page.keyboard.press('Enter');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import Markdown' }).click();
  await (await chooser).setFiles([
    { name: 'meeting.md', mimeType: 'text/markdown', buffer: corpus('everything.md') },
    { name: 'checklists.md', mimeType: 'text/markdown', buffer: corpus('checklists.md') },
  ]);
  await expect(editor(page).getByRole('heading', { level: 1 })).toHaveText('Meeting notes');
  // These actions report in the menu, which stays open for it; a press elsewhere closes it.
  await expect(page.getByRole('status').filter({ hasText: 'Imported 2 notes.' })).toBeVisible();
  await page.mouse.click(200, 800);
  await expect(page.getByRole('button', { name: 'Import Markdown' })).toBeHidden();

  // One column: the note takes the width, the list is in a closed drawer.
  await expect(notesNav(page)).toBeHidden();
  const main = await page.getByRole('main').boundingBox();
  expect(main?.width).toBeGreaterThan(380);
  await expectPhoneSized(page, 'a note');

  // The drawer: opens on "Notes" with the focus in the search field, closes on Escape and on a pick.
  await notesButton(page).click();
  await expect(notesButton(page)).toHaveAttribute('aria-expanded', 'true');
  await expect(notesNav(page)).toBeVisible();
  await expect(page.getByRole('searchbox', { name: 'Search notes' })).toBeFocused();
  await expectPhoneSized(page, 'the notes drawer');
  await page.keyboard.press('Escape');
  await expect(notesNav(page)).toBeHidden();
  await expect(notesButton(page)).toBeFocused();
  await notesButton(page).click();
  await notesNav(page).getByRole('link', { name: 'Shopping' }).click();
  await expect(notesNav(page)).toBeHidden();
  await expect(notesButton(page)).toHaveAttribute('aria-expanded', 'false');
  await expect(editor(page).getByRole('checkbox', { name: 'milk' })).toBeVisible();

  // The toolbar: one row that scrolls sideways.
  const toolbar = page.getByRole('toolbar', { name: 'Formatting' });
  const layout = await toolbar.evaluate((el) => ({
    scrolls: el.scrollWidth > el.clientWidth,
    rows: new Set([...el.querySelectorAll('button, select')].map((c) => Math.round(c.getBoundingClientRect().top))).size,
  }));
  expect(layout).toEqual({ scrolls: true, rows: 1 });
  const link = toolbar.getByRole('button', { name: 'Link', exact: true });
  await link.scrollIntoViewIfNeeded();
  await expect.poll(() => toolbar.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
  await expect(link).toBeInViewport();

  // "Note actions": its items work (History opens its dialog); the focus comes back to the menu button.
  await noteActions(page).click();
  await expectPhoneSized(page, 'Note actions open');
  await page.getByRole('button', { name: 'History' }).click();
  const history = page.getByRole('dialog', { name: 'Version history' });
  await expect(history).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export HTML' })).toBeHidden();
  await history.getByRole('radio').first().check();
  await expectPhoneSized(page, 'version history');
  await page.keyboard.press('Escape');
  await expect(history).toBeHidden();
  await expect(noteActions(page)).toBeFocused();

  // Share stays beside the title.
  await page.getByRole('button', { name: 'Share' }).click();
  const share = page.getByRole('dialog', { name: 'Share this note' });
  await expect(share.getByRole('img', { name: 'QR code of the share link' })).toBeVisible();
  await expectPhoneSized(page, 'share dialog');
  await share.getByRole('button', { name: 'Close' }).click();
  await expect(share).toBeHidden();

  // The dark scheme at this size.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectPhoneSized(page, 'a note, dark');
  await notesButton(page).click();
  await expectPhoneSized(page, 'the notes drawer, dark');
  await page.keyboard.press('Escape');
  await moreActions(page).click();
  await expectPhoneSized(page, 'More actions open, dark');
});
