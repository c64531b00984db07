/**
 * Headers sent on every HTTP response. The CSP allows exactly what the built app needs:
 * its own scripts, styles (Lexical and React set inline `style` attributes, hence
 * 'unsafe-inline' for styles only), images from itself or generated in the page (QR code
 * as data:/blob:), and WebSockets to any signaling server (SIGNALING_URLS may name other
 * hosts, so ws:/wss: rather than a fixed list). WebRTC traffic is not governed by CSP.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers for every response, static or not. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
});
