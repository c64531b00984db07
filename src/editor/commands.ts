import { createCommand, type LexicalCommand } from 'lexical';

/**
 * Asks the toolbar to open its link form for the current selection (sent by
 * the Ctrl/Cmd+K shortcut; the toolbar owns the form's state).
 */
export const OPEN_LINK_EDITOR_COMMAND: LexicalCommand<void> = createCommand('WEFT_OPEN_LINK_EDITOR');
