/**
 * repairStoredNote (src/app/repairStoredNote.ts) on its own: a stored note outside the schema is
 * repaired with one alert, one nested too deep is reported quarantined, a clean note says nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { NOTE_QUARANTINED_MESSAGE, NOTE_REPAIRED_MESSAGE } from '../../../src/app/messages';
import { repairStoredNote, repairedAlertKey } from '../../../src/app/repairStoredNote';
import { applySeed } from '../../../src/doc/seed';
import { headingWithTag, nestedQuotes } from '../sync/hostileUpdates';

function storedNote(update?: (base: Y.Doc) => Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  applySeed(doc);
  if (update) Y.applyUpdate(doc, update(doc));
  return doc;
}

describe('repairStoredNote', () => {
  it('says nothing about a note inside the schema', () => {
    const alerts: string[] = [];
    expect(repairStoredNote(storedNote(), 'n', (_key, message) => alerts.push(message))).toEqual({ repaired: false, quarantined: false });
    expect(alerts).toEqual([]);
  });

  it('repairs a note outside the schema and tells the user', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const alerts: Array<[string, string]> = [];
    const doc = storedNote((base) => headingWithTag(base, 'script'));
    expect(repairStoredNote(doc, 'n', (key, message) => alerts.push([key, message]))).toEqual({ repaired: true, quarantined: false });
    expect(alerts).toEqual([[repairedAlertKey('n'), NOTE_REPAIRED_MESSAGE]]);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('reports a note nested too deep to repair as quarantined', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const alerts: Array<[string, string]> = [];
    const doc = storedNote((base) => nestedQuotes(base, 20_000));
    expect(repairStoredNote(doc, 'n', (key, message) => alerts.push([key, message]))).toEqual({ repaired: false, quarantined: true });
    expect(alerts).toEqual([[repairedAlertKey('n'), NOTE_QUARANTINED_MESSAGE]]);
    warn.mockRestore();
  });
});
