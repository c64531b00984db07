/**
 * Runs y-webrtc's reference signaling server (node_modules/y-webrtc/bin/server.js) unchanged,
 * except that it binds 127.0.0.1 instead of every interface: it calls `server.listen(port)`, and
 * benchmarks listen on loopback only.
 */
import http from 'node:http';

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (port, ...rest) {
  return typeof port === 'number' || typeof port === 'string' ? listen.call(this, Number(port), '127.0.0.1', ...rest) : listen.call(this, port, ...rest);
};
await import(new URL('../../node_modules/y-webrtc/bin/server.js', import.meta.url).href);
