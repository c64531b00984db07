import { $isLinkNode } from '@lexical/link';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $findMatchingParent } from '@lexical/utils';
import { $getNearestNodeFromDOMNode, isDOMNode, registerEventListeners } from 'lexical';
import { useEffect } from 'react';
import { safeLinkHref } from '../safeUrl';

/** `window.open` features: the opened page gets no handle on the app and no Referer. */
const OPEN_FEATURES = 'noopener,noreferrer';

/**
 * Ctrl/Cmd+click (or middle-click) on a link opens it in a new tab; a plain
 * click only places the caret, as in any editor. The URL comes from the
 * node and goes through the same allow-list as rendering, so a blocked link
 * opens nothing — not even `about:blank` (which Lexical's
 * ClickableLinkPlugin would open).
 */
export function LinkClickPlugin(): null {
  const [editor] = useLexicalComposerContext();
  useEffect(() => {
    const onClick = (event: MouseEvent): void => {
      const isMiddle = event.type === 'auxclick' && event.button === 1;
      if (!isMiddle && !(event.type === 'click' && (event.ctrlKey || event.metaKey))) return;
      const target = event.target;
      if (!isDOMNode(target)) return;
      const url = editor.read(() => {
        const node = $getNearestNodeFromDOMNode(target);
        const link = node === null ? null : $findMatchingParent(node, $isLinkNode);
        return link === null ? null : link.getURL();
      });
      if (url === null) return;
      // Whatever happens next, the browser's own handling of the anchor is not wanted.
      event.preventDefault();
      const href = safeLinkHref(url);
      if (href !== null) window.open(href, '_blank', OPEN_FEATURES);
    };
    // A root listener's returned cleanup runs when the root changes and when
    // the listener is unregistered, so the DOM listeners never outlive it.
    return editor.registerRootListener((root) =>
      root === null ? undefined : registerEventListeners(root, { click: onClick, auxclick: onClick }),
    );
  }, [editor]);
  return null;
}
