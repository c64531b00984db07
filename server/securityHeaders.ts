/**
 * Headers sent on every HTTP response. The CSP allows exactly what the built app needs:
 * its own scripts, styles (Lexical and React set inline `style` attributes, hence
 * 'unsafe-inline' for styles only), images from itself or generated in the page (QR code
 * as data:/blob:), and WebSockets to any signaling server (SIGNALING_URLS may name other
 * hosts, so ws:/wss: rather than a fixed list). WebRTC traffic is not governed by CSP.
 * The app has no forms that submit anywhere, hence `form-action 'none'`.
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
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Powerful features a notes app never uses, denied to the page and anything it could
 * embed, so that an injected script cannot ask the user for them. WebRTC data channels
 * need no camera or microphone permission (the app never calls getUserMedia). Left
 * allowed, for the page itself only by default: clipboard (the share dialog copies the
 * link). Only features Chromium recognizes are listed (it warns in the console about others).
 */
export const PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'hid',
  'idle-detection',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'publickey-credentials-get',
  'screen-wake-lock',
  'serial',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(', ');

/** Security headers for every response, static or not. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Permissions-Policy': PERMISSIONS_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
});
