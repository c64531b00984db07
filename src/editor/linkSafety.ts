import { LinkNode } from '@lexical/link';
import { TextNode, type EditorConfig, type LexicalEditor } from 'lexical';
import { BLOCKED_URL, safeLinkHref } from './safeUrl';

/** Every rendered link opens in a new browsing context… */
export const LINK_TARGET = '_blank';
/** …without a handle back to the app and without leaking the note's URL (its fragment holds the share key). */
export const LINK_REL = 'noopener noreferrer';
/** Set on a link whose URL is not allowed, so CSS can show it as inert. */
export const BLOCKED_LINK_ATTRIBUTE = 'data-link-blocked';

type LinkElement = HTMLAnchorElement | HTMLSpanElement;

let installed = false;

/**
 * Makes every `LinkNode` (and so every `AutoLinkNode`, which extends it)
 * render safely: only `http:`, `https:` and `mailto:` URLs get an `href`,
 * anything else renders as an anchor with no `href` at all; every link gets
 * `target="_blank" rel="noopener noreferrer"`, whatever the node says.
 *
 * Why a prototype override and not a node-replacement subclass: the node type
 * name must stay `link` (it is the stored document format), and Lexical keys
 * its node registry by type name. A same-named subclass trips Lexical's
 * "type does not match registered node" check when `$createLinkNode` runs, and
 * a differently named one would change the format — while @lexical/yjs builds
 * nodes arriving from peers with `new registeredKlass()`, bypassing
 * replacement entirely. Overriding `LinkNode.prototype` is the one place
 * every path goes through: the UI, markdown, pasted HTML, JSON, Yjs, and HTML
 * export (`exportDOM` renders through `createDOM`).
 *
 * Idempotent. Called when `nodes.ts` is loaded, which every editor needs.
 */
export function installLinkSafety(): void {
  if (installed) return;
  installed = true;
  installTextStyleSafety();
  const proto = LinkNode.prototype;
  const originalUpdateLinkDOM = proto.updateLinkDOM;

  // Used by Lexical itself wherever it needs "the URL to open" (e.g. the
  // clickable-link extension), so it must apply our allow-list, not Lexical's
  // (which also lets relative URLs, `sms:` and `tel:` through).
  proto.sanitizeUrl = function sanitizeUrl(this: LinkNode, url: string): string {
    return safeLinkHref(url) ?? BLOCKED_URL;
  };

  proto.updateLinkDOM = function updateLinkDOM(
    this: LinkNode,
    prevNode: LinkNode | null,
    element: LinkElement,
    config: EditorConfig,
  ): void {
    originalUpdateLinkDOM.call(this, prevNode, element, config);
    // Lexical only sets these when they changed; the rules below are cheap and
    // must hold on every render, so they are applied unconditionally.
    if (element.tagName !== 'A') return; // an unlinked AutoLinkNode renders a <span>
    const href = safeLinkHref(this.__url);
    if (href === null) {
      element.removeAttribute('href');
      element.setAttribute(BLOCKED_LINK_ATTRIBUTE, 'true');
    } else {
      element.setAttribute('href', href);
      element.removeAttribute(BLOCKED_LINK_ATTRIBUTE);
    }
    element.setAttribute('target', LINK_TARGET);
    element.setAttribute('rel', LINK_REL);
  };
}

/** Removes inline `style` attributes from a rendered text node's DOM (its element and descendants). */
function stripInlineStyles(dom: HTMLElement): void {
  dom.removeAttribute('style');
  for (const element of dom.querySelectorAll('[style]')) element.removeAttribute('style');
}

/**
 * Text nodes arriving from peers may carry any CSS in their `style` (a plain
 * string in the Yjs document), which Lexical applies verbatim as inline
 * style: a peer could lay text over the whole window (`position: fixed`) to
 * imitate the app's own dialogs, or make the browser fetch URLs
 * (`background: url(…)`; the CSP's img-src blocks other origins, but not the
 * overlay). Weft never sets text styles itself (formats are classes), so
 * rendered text never gets an inline style. Same prototype approach as the
 * link rules above, for the same reason (nodes from Yjs bypass replacement).
 */
function installTextStyleSafety(): void {
  const proto = TextNode.prototype;
  const originalCreateDOM = proto.createDOM;
  const originalUpdateDOM = proto.updateDOM;
  proto.createDOM = function createDOM(this: TextNode, config: EditorConfig, editor?: LexicalEditor): HTMLElement {
    const dom = originalCreateDOM.call(this, config, editor);
    stripInlineStyles(dom);
    return dom;
  };
  proto.updateDOM = function updateDOM(this: TextNode, prevNode: TextNode, dom: HTMLElement, config: EditorConfig): boolean {
    const replace = originalUpdateDOM.call(this, prevNode, dom, config);
    stripInlineStyles(dom);
    return replace;
  };
}
