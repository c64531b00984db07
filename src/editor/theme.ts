import type { EditorThemeClasses } from 'lexical';

/**
 * Class names Lexical puts on the nodes it renders; the styles live in
 * `editor.css`. Only presentation: nothing here is stored in the document.
 */
export const EDITOR_THEME: EditorThemeClasses = {
  root: 'weft-editor__root',
  paragraph: 'weft-editor__paragraph',
  heading: {
    h1: 'weft-editor__h1',
    h2: 'weft-editor__h2',
    h3: 'weft-editor__h3',
    // Levels a peer could still create (the toolbar offers only three).
    h4: 'weft-editor__h4',
    h5: 'weft-editor__h5',
    h6: 'weft-editor__h6',
  },
  quote: 'weft-editor__quote',
  code: 'weft-editor__code',
  link: 'weft-editor__link',
  indent: 'weft-editor__indent',
  ltr: 'weft-editor__ltr',
  rtl: 'weft-editor__rtl',
  list: {
    ul: 'weft-editor__ul',
    ol: 'weft-editor__ol',
    checklist: 'weft-editor__checklist',
    listitem: 'weft-editor__listitem',
    listitemChecked: 'weft-editor__listitem--checked',
    listitemUnchecked: 'weft-editor__listitem--unchecked',
    nested: { listitem: 'weft-editor__nested-listitem' },
  },
  text: {
    bold: 'weft-editor__bold',
    italic: 'weft-editor__italic',
    underline: 'weft-editor__underline',
    strikethrough: 'weft-editor__strikethrough',
    underlineStrikethrough: 'weft-editor__underline-strikethrough',
    code: 'weft-editor__inline-code',
  },
  collaboration: {
    cursor: 'weft-editor__remote-cursor',
    cursorName: 'weft-editor__remote-cursor-name',
    selection: 'weft-editor__remote-selection',
    selectionBg: 'weft-editor__remote-selection-bg',
  },
};
