import { $generateHtmlFromNodes } from '@lexical/html';
import type { LexicalEditor } from 'lexical';
import { keepAllowedElements } from './renderAllowList';

/**
 * A style sheet for the exported file, inline because the file stands alone.
 * Content-Security-Policy forbids every script and remote resource, so even a
 * hostile note cannot make the exported file run code or call home.
 */
const EXPORT_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}' +
  'pre,code{font-family:ui-monospace,monospace;background:#f4f4f5}pre{padding:.75rem;overflow:auto}' +
  'blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1rem;color:#555}';
export const EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * The editor's content as a standalone HTML document titled `title`. Uses
 * Lexical's own export (each node's `exportDOM`), so links go through the
 * same safety rules as on screen: an unsafe URL has no `href`, a heading tag
 * from the document is mapped to h1–h6, and any element outside the render
 * allow-list is reduced to its text. Needs a DOM.
 */
export function noteHtmlDocument(editor: LexicalEditor, title: string): string {
  // Built from the same allow-list as the editor's rendering (renderAllowList.ts).
  const template = document.createElement('template');
  template.innerHTML = editor.read(() => $generateHtmlFromNodes(editor, null));
  keepAllowedElements(template.content);
  return htmlShell(title, template.innerHTML);
}

/**
 * A note's plain text (one line per block) as the same standalone document:
 * the export when not even a headless editor can render the note.
 */
export function plainTextHtmlDocument(title: string, text: string): string {
  const body = text
    .split('\n')
    .map((line) => `<p>${escapeHtml(line)}</p>`)
    .join('');
  return htmlShell(title, body);
}

function htmlShell(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${EXPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${EXPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    `<main>${body}</main>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
