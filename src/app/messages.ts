import type { StorageError } from '../storage/DocStore';

/**
 * Every user-facing error sentence in one place, so wording stays plain and
 * consistent. They say what happened, what is safe, and what to do.
 */
export function storageErrorMessage(error: StorageError): string {
  switch (error.kind) {
    case 'unavailable':
      return 'This browser does not let Weft store data (private browsing or storage disabled). You can keep writing, but notes will be lost when this tab closes — export or copy anything you need.';
    case 'blocked':
      return 'Another Weft tab is holding the notes database open with a different version. Close other Weft tabs, then reload this one. Nothing saved has been lost.';
    case 'quota':
      return 'Your device is out of storage space, so recent changes are not being saved to disk. They are still here in this tab: export or copy the note now, then free up space.';
    case 'corrupt':
      return 'Part of this note’s stored history could not be read and was skipped. The rest of the note has been loaded.';
    case 'closed':
      return 'The notes database was closed by another tab or by the browser and could not be reopened, so changes are no longer being saved. Your text is still here: export or copy it, then reload this tab.';
    case 'unknown':
      return `Saving failed: ${error.message}. Your text is still here in this tab; export or copy it to be safe.`;
  }
}

/**
 * A note whose stored copy is gone although the notes list remembers text in
 * it: the browser cleared the site's storage while the app was closed.
 */
export const NOTE_STORAGE_CLEARED_MESSAGE =
  'This note’s saved copy is missing from this device: the browser cleared Weft’s storage. If someone you shared it with is online, it is restored from them automatically; otherwise check your exports. Anything you type now is saved again.';

/** Shown in place of {@link NOTE_STORAGE_CLEARED_MESSAGE} once a peer sent the note back. */
export const NOTE_RESTORED_FROM_PEER_MESSAGE = 'This note was restored from a connected peer.';

/**
 * A note opened with content this version of Weft does not allow (sent by a
 * peer running a buggy or hostile version before the firewall existed, or
 * imported): it was repaired on open.
 */
export const NOTE_REPAIRED_MESSAGE =
  'This note contained formatting Weft does not allow (probably from another device with a different version). It has been repaired: all of its text is kept, but some formatting may have been simplified.';

/** A stored note whose content is nested too deeply to repair safely: it is kept as stored but not opened. */
export const NOTE_QUARANTINED_MESSAGE =
  'This note contains content nested too deeply to open safely (probably sent by a faulty or hostile device). It has been kept as it is on this device but is not shown. Other notes are not affected.';

/**
 * A change to the open note could not be drawn by the editor (a display
 * error, e.g. a peer's change the editor trips over): the editor was rebuilt
 * from the note's document, which holds everything typed. The rebuild drops
 * the caret, so say so.
 */
export const NOTE_REDRAWN_MESSAGE =
  'Part of this note could not be displayed, so the note was redrawn from its saved content. Nothing you typed was lost; your cursor may have moved.';

/**
 * Not even a rebuild could draw the note: its text is shown read-only instead.
 * The document itself is not affected (it stays saved and, while the note is
 * open, keeps receiving peers' changes).
 */
export const NOTE_DISPLAY_FAILED_MESSAGE =
  'This note cannot be displayed for editing right now, so its text is shown read-only. Its saved content is not affected. Try again, or export it.';
