import { $isAutoLinkNode, AutoLinkNode } from '@lexical/link';
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
  type TextMatchTransformer,
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
 * Links made as you type (AutoLinkNode), exported as ordinary Markdown links:
 * Lexical's LINK transformer leaves them out, and `www.example.org` would
 * come out as text without its `https://`. Export only (no import or typing
 * rule: its expression matches nothing), so a link made as you type comes
 * back from an export as a link. Its destination is escaped as LINK escapes
 * one; a link the user unlinked is text.
 */
export const AUTO_LINK: TextMatchTransformer = {
  dependencies: [AutoLinkNode],
  export: (node, exportChildren) => {
    if (!$isAutoLinkNode(node) || node.getIsUnlinked()) return null;
    // A character reference would be decoded on import: `&` that starts one goes out as `&#38;`.
    const url = node.getURL().replace(/&(?=#\d+;|#[Xx][\dA-Fa-f]+;|[A-Za-z][\dA-Za-z]*;)/g, '&#38;');
    const destination =
      url === '' || /[\s<>]/.test(url)
        ? `<${url.replace(/([\\<>])/g, '\\$1').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')}>`
        : url.replace(/([\\()])/g, '\\$1');
    return `[${exportChildren(node)}](${destination})`;
  },
  regExp: /(?!)/,
  type: 'text-match',
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
  AUTO_LINK,
];
