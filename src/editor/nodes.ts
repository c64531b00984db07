import { CodeHighlightNode, CodeNode } from '@lexical/code';
import { AutoLinkNode, LinkNode } from '@lexical/link';
import { ListItemNode, ListNode } from '@lexical/list';
import { HeadingNode, QuoteNode } from '@lexical/rich-text';
import type { Klass, LexicalNode } from 'lexical';
import { installLinkSafety } from './linkSafety';
import { installRenderAllowList } from './renderAllowList';

// Links render safely whichever way they entered the document (UI, paste,
// markdown, JSON, a peer's Yjs update). Done here because every editor —
// the app's, a headless one for export, a test's — must load this list.
installLinkSafety();
// Likewise, element names that come from the document (heading and list tags)
// are mapped through the render allow-list.
installRenderAllowList();

/**
 * Every node type a note may contain. The Yjs document stores nodes by their
 * `getType()` name, so this list is part of the document format: every peer
 * (and every headless editor in tests) must register the same types, with the
 * standard Lexical names: 'heading', 'quote', 'list', 'listitem', 'code',
 * 'code-highlight', 'link', 'autolink' (plus the core 'root', 'paragraph',
 * 'text', 'linebreak', 'tab').
 *
 * The link classes are the stock ones: their rendering is made safe by
 * {@link installLinkSafety} rather than by a replacement class, because a
 * replacement would either need a new type name or be bypassed by the Yjs
 * binding (see linkSafety.ts).
 */
export const EDITOR_NODES: ReadonlyArray<Klass<LexicalNode>> = [
  HeadingNode,
  QuoteNode,
  ListNode,
  ListItemNode,
  CodeNode,
  CodeHighlightNode,
  LinkNode,
  AutoLinkNode,
];
