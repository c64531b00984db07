/**
 * The real entry point as a child process: `node <compiled>/main.js`. Compiled once in
 * beforeAll into a private directory under build/ (git-ignored; node_modules resolves from
 * there), so the test works in a fresh clone before any `npm run build`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, cleanup, makeTempDir, rawRequest } from './serverTestKit.js';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const outDir = join(repoRoot, 'build', `server-test-${process.pid}`);
const mainJs = join(outDir, 'main.js');

const children: ChildProcess[] = [];

beforeAll(() => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(repoRoot, 'server', 'tsconfig.json'), '--outDir', outDir], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
}, 120_000);

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup();
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [mainJs], {
    cwd: repoRoot,
    // The relay's database in a temporary directory (cleaned by cleanup()), not data/ of the repository.
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', DATA_DIR: makeTempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Resolves with the URL once the server prints it. */
function started(r: Run): Promise<string> {
  return new Promise((res, rej) => {
    const check = (): void => {
      const m = /Weft is running at (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(r.stdout());
      if (m) {
        r.child.stdout!.off('data', check);
        res(m[1]!);
      }
    };
    r.child.stdout!.on('data', check);
    void r.exit.then(({ code }) => rej(new Error(`exited with ${code}: ${r.stderr()}`)));
  });
}

function site(): string {
  const dir = makeTempDir();
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Weft</title>');
  return dir;
}

describe('node build/server/main.js', () => {
  it('prints its URL, serves, and on SIGTERM closes WebSockets with 1001 and exits 0', async () => {
    const r = run({ PORT: '0', STATIC_DIR: site() });
    const url = await started(r);
    const port = Number(new URL(url).port);
    expect((await rawRequest(port, '/note/x')).status).toBe(200);
    const client = await TestClient.open(`ws://127.0.0.1:${port}/signal`);
    await client.sync();

    r.child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await r.exit).toEqual({ code: 0, signal: null });
    expect(r.stdout()).toContain('SIGTERM: shutting down');
    await expect(rawRequest(port, '/')).rejects.toThrow();
  });

  it('exits 0 on SIGINT too', async () => {
    const r = run({ PORT: '0', STATIC_DIR: site() });
    await started(r);
    r.child.kill('SIGINT');
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it('forces exit 1 on a second signal while shutdown waits for a stalled download', async () => {
    const dir = site();
    writeFileSync(join(dir, 'big.txt'), Buffer.alloc(32 * 1024 * 1024, 'a'));
    const r = run({ PORT: '0', STATIC_DIR: dir });
    const port = Number(new URL(await started(r)).port);
    const res = await new Promise<IncomingMessage>((ok, fail) => {
      request({ host: '127.0.0.1', port, path: '/big.txt', agent: false }, ok).on('error', fail).end();
    });
    res.pause(); // the download stalls, so the graceful shutdown cannot finish
    res.on('error', () => {});
    const stopping = new Promise<void>((ok) => {
      const check = (): void => {
        if (r.stdout().includes('shutting down')) ok();
      };
      r.child.stdout!.on('data', check);
    });
    r.child.kill('SIGTERM');
    await stopping;
    r.child.kill('SIGINT');
    expect(await r.exit).toEqual({ code: 1, signal: null });
    expect(r.stdout()).toContain('SIGINT again: forcing exit');
    res.destroy();
  });

  it('refuses an invalid environment with a clear message, exit code 1 and no stack trace', async () => {
    const r = run({ PORT: 'eighty', STATIC_DIR: site() });
    expect(await r.exit).toEqual({ code: 1, signal: null });
    expect(r.stderr()).toContain('configuration error: PORT must be an integer from 0 to 65535 (got "eighty").');
    expect(r.stderr()).not.toMatch(/\n\s+at /);

    const ice = run({ ICE_SERVERS: '[{"urls":"http://x"}]' });
    expect((await ice.exit).code).toBe(1);
    expect(ice.stderr()).toContain('ICE_SERVERS[0].urls');
  });

  it('says so when the port is taken', async () => {
    const first = run({ PORT: '0', STATIC_DIR: site() });
    const port = new URL(await started(first)).port;
    const second = run({ PORT: port, STATIC_DIR: site() });
    expect((await second.exit).code).toBe(1);
    expect(second.stderr()).toContain('already in use');
  });

  it('answers 503 with build instructions when STATIC_DIR has no build', async () => {
    const r = run({ PORT: '0', STATIC_DIR: join(makeTempDir(), 'nothing') });
    const port = Number(new URL(await started(r)).port);
    const res = await rawRequest(port, '/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('npm run build');
  });
});
