import {
  BOLD_ITALIC_STAR,
  BOLD_ITALIC_UNDERSCORE,
  BOLD_STAR,
  BOLD_UNDERSCORE,
  CHECK_LIST,
  CODE,
  type ElementTransformer,
  HEADING,
  INLINE_CODE,
  ITALIC_STAR,
  ITALIC_UNDERSCORE,
  LINK,
  ORDERED_LIST,
  QUOTE,
  STRIKETHROUGH,
  type Transformer,
  UNORDERED_LIST,
} from '@lexical/markdown';

/**
 * `#`, `##`, `###` only: notes have three heading levels (the toolbar offers
 * no more), so `#### ` stays text instead of creating a level nobody can pick.
 * Export is the stock one and still writes any level a peer may have created.
 */
export const HEADING_1_TO_3: ElementTransformer = {
  ...HEADING,
  regExp: /^(#{1,3})\s/,
};

/**
 * The markdown transformers for notes: used by the typing shortcuts and meant
 * for Markdown import/export. Matches `EDITOR_NODES` (every dependency is
 * registered there — a unit test checks it).
 *
 * Order matters: the check-list rule comes before the bullet rule, or
 * `- [ ] task` would import as a bullet reading "[ ] task"; inline code comes
 * first among text formats so nothing is formatted inside it, and longer
 * markers (`***`, `**`) before shorter ones (`*`). Lexical's `==highlight==`
 * is left out: notes have no highlight mark.
 */
export const MARKDOWN_TRANSFORMERS: ReadonlyArray<Transformer> = [
  CHECK_LIST,
  HEADING_1_TO_3,
  QUOTE,
  UNORDERED_LIST,
  ORDERED_LIST,
  CODE,
  INLINE_CODE,
  BOLD_ITALIC_STAR,
  BOLD_ITALIC_UNDERSCORE,
  BOLD_STAR,
  BOLD_UNDERSCORE,
  ITALIC_STAR,
  ITALIC_UNDERSCORE,
  STRIKETHROUGH,
  LINK,
];
