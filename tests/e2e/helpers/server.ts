/**
 * Starting and stopping Weft's server for e2e tests: the real one (`build/server/main.js`), on
 * 127.0.0.1 and a port of its own, over `dist/` or any other directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT_DIR = fileURLToPath(new URL('../../../', import.meta.url));
/** The built app, what users get. */
export const DIST_DIR = fileURLToPath(new URL('../../../dist/', import.meta.url));
/** The built server's entry point (`npm run build` compiles server/ into build/server/). */
export const SERVER_ENTRY = fileURLToPath(new URL('../../../build/server/main.js', import.meta.url));

/** Loopback only: tests never listen on a reachable interface. */
export const TEST_HOST = '127.0.0.1';

/** How long the server may take to print its URL. */
const STARTUP_TIMEOUT_MS = 15_000;
/** How long it may take to exit after SIGTERM before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** The line the server prints once it listens (server/main.ts). */
const READY_LINE = /Weft is running at (http:\/\/\S+?)\/?\r?\n/;

/** A running server; `stop()` is idempotent. */
export interface WeftServer {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** The directory it serves. */
  readonly staticDir: string;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** `kill -9`: no shutdown at all (crash tests); resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Options for `startWeftServer`. */
export interface StartServerOptions {
  /** Directory to serve; defaults to `dist/`. */
  staticDir?: string;
  /** Fixed port (e.g. from `pickFreePort()`, to restart a server on the same origin); default: any free port. */
  port?: number;
  /** Extra environment for the server process (e.g. limits). */
  env?: Record<string, string>;
}

/**
 * Asks the OS for a free TCP port on 127.0.0.1. Only for a test that must restart a server on
 * the same origin (same port): by default servers listen on port 0 and report the port taken.
 */
export async function pickFreePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, TEST_HOST, resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

/** Fails with a message that says what to run, instead of a confusing 404 or a missing worker. */
export function assertBuilt(staticDir: string): void {
  for (const file of ['index.html', 'sw.js', 'manifest.webmanifest']) {
    if (!existsSync(`${staticDir}/${file}`)) {
      throw new Error(`${staticDir}/${file} is missing: build the app first (npm run build, or npm run test:e2e).`);
    }
  }
}

/**
 * Starts Weft's real server (`node build/server/main.js`) with `HOST=127.0.0.1`, `PORT=0` (the
 * OS picks a free port, so parallel workers never collide) and `STATIC_DIR`, and resolves with
 * the URL it prints once it listens ("Weft is running at http://127.0.0.1:PORT/").
 */
export async function startWeftServer(options: StartServerOptions = {}): Promise<WeftServer> {
  const staticDir = options.staticDir ?? DIST_DIR;
  assertBuilt(staticDir);
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(`${SERVER_ENTRY} is missing: run npm run build (it compiles server/).`);
  }
  return spawnServer(staticDir, options.port ?? 0, options.env ?? {});
}

function spawnServer(staticDir: string, port: number, env: Record<string, string>): Promise<WeftServer> {
  // The relay's database goes to a fresh directory per server (removed on stop) unless the
  // test names one (to restart a server on the same data).
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'weft-data-')) : null;
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env, HOST: TEST_HOST, PORT: String(port), STATIC_DIR: staticDir, DATA_DIR: env.DATA_DIR ?? ownDataDir ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).then(() => {
    if (ownDataDir !== null) rmSync(ownDataDir, { recursive: true, force: true });
  });
  const server = (url: string): WeftServer => {
    let stopping: Promise<void> | null = null;
    return {
      url,
      port: Number(new URL(url).port),
      staticDir,
      output: () => output,
      stop: () => (stopping ??= stopChild(child, exited)),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        return exited;
      },
    };
  };
  return new Promise<WeftServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child, exited);
      reject(new Error(`Weft server did not print its URL within ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = READY_LINE.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(server(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // A no-op once resolved; otherwise the server died during start-up.
      reject(new Error(`Weft server exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), SHUTDOWN_TIMEOUT_MS);
  });
  const killed = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
