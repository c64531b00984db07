import { ListNode, type ListType } from '@lexical/list';
import { HeadingNode, type HeadingTagType } from '@lexical/rich-text';
import type { EditorConfig, LexicalEditor } from 'lexical';
import { HEADING_TAGS, LIST_TAGS } from '../doc/noteSchema';

/**
 * Every element name the editor may render for a note, and the only ones an
 * HTML export may contain: what Weft's nodes render (blocks, list items,
 * links, line breaks) and Lexical's text-format wrappers.
 */
export const RENDER_ALLOWED_TAGS: ReadonlySet<string> = new Set([
  'p',
  ...HEADING_TAGS,
  'blockquote',
  ...LIST_TAGS,
  'li',
  'pre',
  'code',
  'a',
  'span',
  'br',
  'b',
  'strong',
  'i',
  'em',
  'u',
  's',
  'sub',
  'sup',
  'mark',
]);

/** The heading tag to render for a stored `__tag`: itself when it is h1–h6, else `h1`. */
export function safeHeadingTag(tag: unknown): HeadingTagType {
  return typeof tag === 'string' && HEADING_TAGS.has(tag) ? (tag as HeadingTagType) : 'h1';
}

/** The list tag to render for a stored `__tag`: itself when it is ul/ol, else the one of its list type. */
export function safeListTag(tag: unknown, listType: ListType | undefined): 'ul' | 'ol' {
  if (tag === 'ul' || tag === 'ol') return tag;
  return listType === 'number' ? 'ol' : 'ul';
}

let installed = false;

/**
 * Makes the two nodes whose element name comes from the document —
 * `HeadingNode` and `ListNode` render `document.createElement(this.__tag)` —
 * map that name through the allow-list: a peer's `__tag` of `"x y"` threw
 * (and froze the editor), `iframe`, `form`, `input` or `script` rendered those
 * elements. Prototype overrides, for the reason given in linkSafety.ts (nodes
 * from Yjs bypass node replacement). `getTag` is mapped too, so Markdown
 * export writes a valid level. Idempotent; called by nodes.ts.
 */
export function installRenderAllowList(): void {
  if (installed) return;
  installed = true;
  const heading = HeadingNode.prototype;
  const headingCreateDOM = heading.createDOM;
  const headingGetTag = heading.getTag;
  heading.getTag = function getTag(this: HeadingNode): HeadingTagType {
    return safeHeadingTag(headingGetTag.call(this));
  };
  heading.createDOM = function createDOM(this: HeadingNode, config: EditorConfig): HTMLElement {
    const tag = safeHeadingTag(this.__tag);
    if (tag === this.__tag) return headingCreateDOM.call(this, config);
    // A view of this node with the mapped tag: createDOM reads `this.__tag`.
    // (Defined, not assigned: Lexical freezes nodes in development builds.)
    const view = Object.create(this, { __tag: { value: tag } }) as HeadingNode;
    return headingCreateDOM.call(view, config);
  };

  const list = ListNode.prototype;
  const listCreateDOM = list.createDOM;
  const listGetTag = list.getTag;
  list.getTag = function getTag(this: ListNode): 'ul' | 'ol' {
    return safeListTag(listGetTag.call(this), this.getLatest().__listType);
  };
  list.createDOM = function createDOM(this: ListNode, config: EditorConfig, editor?: LexicalEditor): HTMLElement {
    const tag = safeListTag(this.__tag, this.__listType);
    if (tag === this.__tag) return listCreateDOM.call(this, config, editor);
    const view = Object.create(this, { __tag: { value: tag } }) as ListNode;
    return listCreateDOM.call(view, config, editor);
  };
}

/**
 * Removes from `root` (in place) every element outside
 * {@link RENDER_ALLOWED_TAGS}, keeping its text. The HTML export's last line
 * of defence, so a file never holds an element the editor may not render.
 */
export function keepAllowedElements(root: ParentNode): void {
  for (const element of Array.from(root.querySelectorAll('*'))) {
    if (RENDER_ALLOWED_TAGS.has(element.localName)) continue;
    if (!root.contains(element)) continue; // inside an element already replaced
    element.replaceWith(element.ownerDocument.createTextNode(element.textContent ?? ''));
  }
}
