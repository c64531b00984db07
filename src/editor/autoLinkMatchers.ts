import { $isCodeNode } from '@lexical/code';
import { autoLinkEmailMatcher, autoLinkUrlMatcher, type LinkMatcher } from '@lexical/link';
import type { ElementNode } from 'lexical';
import { isSafeLinkUrl } from './safeUrl';

/** Only a match whose URL the link policy (safeUrl.ts) accepts becomes a link. */
const policed =
  (matcher: LinkMatcher): LinkMatcher =>
  (text) => {
    const match = matcher(text);
    return match !== null && isSafeLinkUrl(match.url) ? match : null;
  };

/**
 * What becomes a link as it is typed or pasted (AutoLinkNode, through
 * Lexical's auto-link): `http(s)://…` and `www.…` (as `https://www.…`), and
 * e-mail addresses (as `mailto:`), Lexical's own matchers. They only ever
 * make those schemes, which the link policy allows; the policy is applied
 * anyway, so that what a typed link may be is decided in one place. One array
 * for the app's lifetime: the plugin registers again whenever it gets a new one.
 */
export const AUTO_LINK_MATCHERS: LinkMatcher[] = [policed(autoLinkUrlMatcher), policed(autoLinkEmailMatcher)];

/** Blocks whose text never becomes links: a URL in a code block is code (notes do not highlight code, so its text is plain text nodes). */
export const AUTO_LINK_EXCLUDED_PARENTS: Array<(parent: ElementNode) => boolean> = [$isCodeNode];
