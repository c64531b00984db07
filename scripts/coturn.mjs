/**
 * A real TURN server for tests: Debian's coturn (`turnserver`), with a generated
 * configuration in the TURN REST API mode Weft's server mints credentials for
 * (`use-auth-secret` + `static-auth-secret`). It listens on one address given by the
 * caller (loopback, or an address inside a test network namespace) and a port the OS
 * just handed out; `stop()` ends it and removes its files. `.ci/run` installs coturn.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs coturn's server. */
export const TURNSERVER_PATH = '/usr/bin/turnserver';
/** How long coturn may take to start listening. */
const STARTUP_TIMEOUT_MS = 15_000;
/** How long it may take to exit after SIGTERM before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** The line coturn logs once its UDP listener is up. */
const READY_LINE = /UDP listener opened on|IPv4\. UDP listener opened/;

/** True when coturn is installed. */
export const coturnInstalled = () => existsSync(TURNSERVER_PATH);

/** Asks the OS for a free UDP port on `host` (coturn takes a port number, not 0). */
export async function freeUdpPort(host = '127.0.0.1') {
  const socket = createSocket('udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, resolve);
  });
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(() => resolve()));
  return port;
}

/** Starts coturn with a fresh secret; resolves once it listens. */
export async function startCoturn(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freeUdpPort(host));
  const secret = randomBytes(24).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'weft-coturn-'));
  const configFile = join(dir, 'turnserver.conf');
  writeFileSync(
    configFile,
    [
      `listening-ip=${host}`,
      `relay-ip=${host}`,
      `listening-port=${port}`,
      'use-auth-secret',
      `static-auth-secret=${secret}`,
      'realm=weft.test',
      'fingerprint',
      // Plain UDP/TCP only: the tests have no certificate, and TLS adds nothing to what they check.
      'no-tls',
      'no-dtls',
      'no-cli',
      // Loopback peers are refused by default (a relay must not reach the TURN host's own services);
      // a test on one machine has nothing else.
      ...(host.startsWith('127.') ? ['allow-loopback-peers'] : []),
      'no-multicast-peers',
      `pidfile=${join(dir, 'turnserver.pid')}`,
      // Its own (unused) user database, not the system's.
      `userdb=${join(dir, 'turndb')}`,
      'log-file=stdout',
      'simple-log',
      'verbose',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const [command, ...args] = [...(options.prefix ?? []), TURNSERVER_PATH, '-c', configFile];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', () => resolve())).then(() => rmSync(dir, { recursive: true, force: true }));
  let stopping = null;
  const server = {
    host,
    port,
    secret,
    url: `turn:${host}:${port}?transport=udp`,
    output: () => output,
    stop: () => (stopping ??= stopChild(child, exited)),
  };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void server.stop();
      reject(new Error(`coturn did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      if (READY_LINE.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`coturn exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });
  return server;
}

async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  let timer;
  const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve(true), SHUTDOWN_TIMEOUT_MS)));
  const killed = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** coturn's version line, for failure messages. */
export const coturnVersion = () => spawnSync(TURNSERVER_PATH, ['--version'], { encoding: 'utf8' }).stdout.trim();
