/**
 * The check a note gets once storage has loaded: peers' updates are checked
 * before they are applied (updateFirewall.ts), but notes stored before that
 * existed may hold anything. Until the check, the render allow-list keeps
 * whatever they hold harmless on screen.
 */
import type * as Y from 'yjs';
import { ORIGIN_REPAIR } from '../doc/origins';
import { repairNoteDoc } from '../doc/repairNoteDoc';
import { NOTE_QUARANTINED_MESSAGE, NOTE_REPAIRED_MESSAGE } from './messages';

/** Alert key of a note's repair or quarantine. */
export const repairedAlertKey = (noteId: string) => `repaired:${noteId}`;

/** What the check found. */
export interface StoredNoteCheck {
  /** Content outside the schema was fixed (the editor can now draw what it could not). */
  readonly repaired: boolean;
  /**
   * Content nested too deeply to repair: the note must be neither edited nor
   * synced here (the caller unbinds it); the user has been told.
   */
  readonly quarantined: boolean;
}

/** Repairs a loaded note against the schema (src/doc/repairNoteDoc.ts) and tells the user what it did. */
export function repairStoredNote(doc: Y.Doc, noteId: string, alert: (key: string, message: string) => void): StoredNoteCheck {
  const report = repairNoteDoc(doc, ORIGIN_REPAIR);
  if (report.fixes > 0 || report.pendingDropped || report.unrepairable) {
    console.warn('Repaired a note outside the schema', noteId, report.reasons);
  }
  if (report.unrepairable) alert(repairedAlertKey(noteId), NOTE_QUARANTINED_MESSAGE);
  else if (report.fixes > 0) alert(repairedAlertKey(noteId), NOTE_REPAIRED_MESSAGE);
  return { repaired: report.fixes > 0 && !report.unrepairable, quarantined: report.unrepairable };
}
