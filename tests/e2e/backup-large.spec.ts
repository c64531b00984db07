/**
 * Issue 21 through the UI, in Chromium with real IndexedDB: a version 1
 * backup of 1,000 notes of 5,000 characters (14 MB; it used to fail at once
 * with "Maximum call stack size exceeded") restores; a version 2 restore shows
 * its progress, can be cancelled half way (every note either restored or
 * untouched, and the message says how many), and restoring again finishes
 * without duplicating anything; a backup can be cancelled too, and a full one
 * holds every restored note. A browser killed half way through a restore
 * (SIGKILL, no unload) lists only notes restored in full, and restoring again
 * finishes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { encodeBackupV1 } from '../../src/doc/backup';
import { LegacyNotesIndex as NotesIndex } from '../../src/doc/LegacyNotesIndex';
import { readBackup } from '../../src/doc/readBackup';
import { fixtureBackup, fixtureLines, fixtureNote } from '../backupFixture';
import { seedFor } from '../prng';
import type { Page } from '@playwright/test';
import { NOTES_PAGE_SIZE } from '../../src/ui/NotesList';
import { expect, test } from './fixtures';
import { editor, notesNav } from './helpers/app';
import { launchKillable } from './helpers/crash';
import { mulberry32 } from '../prng';

/** Notes of `count` fixture notes that the list shows (every 10th is in the trash). */
const listed = (count: number) => count - Math.floor(count / 10);

/** The list holds `count` notes: links for the first page, "Showing 100 of N notes." for more. */
async function expectListed(page: Page, count: number): Promise<void> {
  await expect(notesNav(page).getByRole('link')).toHaveCount(Math.min(count, NOTES_PAGE_SIZE));
  if (count > NOTES_PAGE_SIZE) {
    await expect(notesNav(page)).toContainText(`Showing ${NOTES_PAGE_SIZE} of ${count.toLocaleString('en-US')} notes.`);
  } else {
    await expect(notesNav(page).getByRole('button', { name: 'Show more notes' })).toHaveCount(0);
  }
}

test('a version 1 backup of 1,000 notes of 5,000 characters restores', async ({ page, tempDir }) => {
  test.setTimeout(240_000);
  const options = { seed: seedFor('v1 backup of 1,000 notes'), chars: 5_000 };
  const index = new NotesIndex(new Y.Doc());
  const notes = [];
  for (let n = 0; n < 1_000; n++) {
    const note = fixtureNote(n, options);
    const lines = fixtureLines(n, options);
    index.importEntry(note.id, note.entry, { firstLine: lines[0]!, text: lines.join('\n') });
    notes.push({ id: note.id, state: note.state });
  }
  const text = encodeBackupV1({ exportedAt: '2026-01-01T00:00:00.000Z', index: Y.encodeStateAsUpdate(index.doc), notes });
  expect(text.length).toBeGreaterThan(12_000_000);
  const file = join(tempDir, 'weft-backup-v1.json');
  writeFileSync(file, text);

  await page.goto('/');
  await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
  await page.getByLabel('Restore from backup').setInputFiles(file);
  await expect(page.getByRole('status').filter({ hasText: 'Restored 1,000 notes from the backup.' })).toBeVisible({ timeout: 200_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expectListed(page, listed(1_000));
  const first = fixtureLines(0, options);
  await notesNav(page).getByRole('link', { name: first[0] }).click();
  await expect(editor(page)).toContainText(first[1]!.slice(0, 60));
});

test('restore with progress and Cancel, restore again to finish; back up with Cancel, then in full', async ({ page, tempDir }) => {
  test.setTimeout(240_000);
  const NOTES = 600;
  const options = { seed: seedFor('cancelled restore'), chars: 2_000 };
  const file = join(tempDir, 'weft-backup.jsonl');
  writeFileSync(file, Buffer.from(await fixtureBackup(NOTES, options).arrayBuffer()));

  await page.goto('/');
  await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
  await page.getByLabel('Restore from backup').setInputFiles(file);
  const progress = page.getByRole('progressbar', { name: 'Restore progress' });
  // Cancel once a few dozen notes are in: the rest must stay untouched.
  await expect(progress).toHaveAttribute('aria-valuetext', /^Restoring ([3-9]\d|\d{3}) of 600 notes$/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  const cancelled = page.getByRole('alert').filter({ hasText: 'Restore cancelled' });
  await expect(cancelled).toBeVisible();
  const message = (await cancelled.textContent()) ?? '';
  const match = /Restore cancelled: (\d+) of 600 notes were restored \(the first \1 in the file\), each in full; the other (\d+) notes were not changed\./.exec(message);
  expect(match, message).not.toBeNull();
  const restored = Number(match![1]);
  expect(restored).toBeGreaterThanOrEqual(30);
  expect(restored).toBeLessThan(NOTES);
  expect(Number(match![2])).toBe(NOTES - restored);
  await expect(progress).toHaveCount(0);
  await expectListed(page, listed(restored));
  // The last note restored is there and the first one not restored is not: searched by title.
  const titleOf = (n: number) => fixtureNote(n, options).entry.title ?? fixtureLines(n, options)[0]!;
  const search = page.getByRole('searchbox', { name: 'Search notes' });
  const lastIn = [...Array(restored).keys()].reverse().find((n) => n % 10 !== 9)!;
  await search.fill(titleOf(lastIn));
  await expect(notesNav(page).getByRole('link', { name: titleOf(lastIn), exact: true })).toHaveCount(1);
  const firstOut = [...Array(NOTES).keys()].find((n) => n >= restored && n % 10 !== 9)!;
  // (A title's words match a few other notes at most, "46:" also "146:": far fewer than a page.)
  await search.fill(titleOf(firstOut));
  await expect(notesNav(page).getByRole('link', { name: titleOf(firstOut), exact: true })).toHaveCount(0);
  await search.fill('');

  // The same file again: everything arrives, nothing twice.
  await page.getByLabel('Restore from backup').setInputFiles(file);
  await expect(page.getByRole('status').filter({ hasText: 'Restored 600 notes from the backup.' })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expectListed(page, listed(NOTES));
  const lines = fixtureLines(firstOut, options);
  await search.fill(titleOf(firstOut));
  await notesNav(page).getByRole('link', { name: titleOf(firstOut), exact: true }).click();
  await expect(editor(page)).toContainText(lines[1]!.slice(0, 60));
  await expect(editor(page).getByText(lines[1]!.slice(0, 60))).toHaveCount(1);

  // A backup cancelled half way saves nothing.
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.getByRole('button', { name: 'Back up all notes' }).click();
  await expect(page.getByRole('progressbar', { name: 'Backup progress' })).toHaveAttribute('aria-valuetext', /^Backing up \d+ of 600 notes$/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Backup cancelled; no file was saved.' })).toBeVisible({ timeout: 60_000 });

  // A full backup holds every note as the file had it.
  const downloading = page.waitForEvent('download', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Back up all notes' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^weft-backup-\d{4}-\d{2}-\d{2}\.jsonl$/);
  expect(downloads).toBe(1);
  const saved = join(tempDir, 'again.jsonl');
  await download.saveAs(saved);
  const ids: string[] = [];
  for await (const item of readBackup(new Blob([readFileSync(saved)]))) if (item.kind === 'note') ids.push(item.note.id);
  expect(new Set(ids)).toEqual(new Set(Array.from({ length: NOTES }, (_, n) => fixtureNote(n, options).id)));
});

/** The notes of a backup file: id → state, and the ids in file order. */
async function notesOf(path: string): Promise<Map<string, Uint8Array>> {
  const notes = new Map<string, Uint8Array>();
  for await (const item of readBackup(new Blob([readFileSync(path)]))) if (item.kind === 'note') notes.set(item.note.id, item.note.state);
  return notes;
}

async function backUp(page: Page, path: string): Promise<void> {
  const downloading = page.waitForEvent('download', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Back up all notes' }).click();
  await (await downloading).saveAs(path);
}

test('a browser killed half way through a restore lists only whole notes; restoring again finishes', async ({ tempDir, baseURL }) => {
  test.setTimeout(240_000);
  const NOTES = 400;
  const seed = seedFor('restore killed half way');
  const options = { seed, chars: 2_000 };
  // Kill once this many notes are stored: anywhere from the first batch of list entries to the last.
  const killAfter = 20 + Math.floor(mulberry32(seed)() * 300);
  const file = join(tempDir, 'weft-backup.jsonl');
  writeFileSync(file, Buffer.from(await fixtureBackup(NOTES, options).arrayBuffer()));
  const byId = new Map(Array.from({ length: NOTES }, (_, n) => [fixtureNote(n, options).id, fixtureNote(n, options).state]));
  const profile = join(tempDir, 'profile');

  const first = await launchKillable(profile, { baseURL });
  try {
    const page = first.context.pages()[0] ?? (await first.context.newPage());
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
    await page.getByLabel('Restore from backup').setInputFiles(file);
    await page.waitForFunction(
      (after) => {
        const text = document.querySelector('progress[aria-label="Restore progress"]')?.getAttribute('aria-valuetext') ?? '';
        const m = /^Restoring (\d+) of/.exec(text);
        return m !== null && Number(m[1]) >= after;
      },
      killAfter,
      { timeout: 120_000, polling: 'raf' },
    );
  } finally {
    await first.kill();
  }

  const second = await launchKillable(profile, { baseURL });
  try {
    const page = second.context.pages()[0] ?? (await second.context.newPage());
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'New note' })).toBeEnabled();
    // Every note the list holds after the kill is there in full: a backup of this device holds
    // exactly the fixture's state for each.
    const afterKill = join(tempDir, 'after-kill.jsonl');
    await backUp(page, afterKill);
    const survived = await notesOf(afterKill);
    expect(survived.size, `seed ${seed}, killed after ${killAfter} notes`).toBeLessThanOrEqual(NOTES);
    for (const [id, state] of survived) {
      expect(byId.has(id), `seed ${seed}: a note that is not in the file`).toBe(true);
      expect(Buffer.from(state).equals(Buffer.from(byId.get(id)!)), `seed ${seed}: note ${id} is not whole`).toBe(true);
    }
    // Restoring again finishes the job: every note, each once, each whole.
    await page.getByLabel('Restore from backup').setInputFiles(file);
    await expect(page.getByRole('status').filter({ hasText: `Restored ${NOTES} notes from the backup.` })).toBeVisible({ timeout: 120_000 });
    await expectListed(page, listed(NOTES));
    const finished = join(tempDir, 'finished.jsonl');
    await backUp(page, finished);
    const all = await notesOf(finished);
    expect(all.size).toBe(NOTES);
    for (const [id, state] of all) expect(Buffer.from(state).equals(Buffer.from(byId.get(id)!)), `seed ${seed}: note ${id}`).toBe(true);
    console.log(`restore killed half way (seed ${seed}): killed after ${killAfter} notes stored, ${survived.size} listed after the relaunch`);
  } finally {
    await second.context.close();
  }
});
