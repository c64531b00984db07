import type { Duplex } from 'node:stream';
import { SECURITY_HEADERS } from './securityHeaders.js';

/**
 * Answers on a raw socket (refused upgrades, unparseable requests: no ServerResponse
 * exists there) with an empty-bodied HTTP response carrying the security headers, then
 * drops the socket.
 */
export function writeRawResponse(socket: Duplex, status: number, statusText: string): void {
  // A reset while we write must not become an uncaught 'error'.
  socket.on('error', () => socket.destroy());
  if (socket.writable) {
    const lines = [`HTTP/1.1 ${status} ${statusText}`, 'Connection: close', 'Content-Length: 0'];
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) lines.push(`${name}: ${value}`);
    socket.end(lines.join('\r\n') + '\r\n\r\n');
  }
  socket.destroy();
}
