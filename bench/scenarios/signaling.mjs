/**
 * Scenario 8: the signaling server under load, in Node. Opens `sockets` WebSocket clients spread
 * over `rooms` topics, then publishes `rate` messages per second (from random members, each
 * relayed to the room) for `seconds`, and measures publish-to-receive latency at every receiver,
 * the server's resident memory (from /proc), and dropped connections. Runs Weft's server
 * (build/server/main.js) and y-webrtc's reference server the same way, one after the other.
 */
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { summarize } from '../lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.1';
/** Sockets opened at once while connecting. */
const CONNECT_CONCURRENCY = 100;

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The bench's own quotas for Weft's server: every bench socket comes from one address, which
 * the production per-address quotas (server/signalingLimits.ts) would refuse past 64
 * connections and 1,024 topics. Raised to what the run opens, no more.
 */
const benchEnv = ({ sockets }) => ({
  MAX_CONNECTIONS_PER_ADDRESS: String(sockets),
  MAX_TOPICS_PER_ADDRESS: String(sockets),
});

/** Spawns a server process and resolves once its port accepts connections. */
async function startServer(kind, port, params) {
  // The relay's database goes to a temporary directory, not data/ of the repository.
  const dataDir = mkdtempSync(join(tmpdir(), 'weft-bench-signal-'));
  const env = { ...process.env, HOST, PORT: String(port), STATIC_DIR: `${ROOT}dist`, DATA_DIR: dataDir, ...(kind === 'weft' ? benchEnv(params) : {}) };
  const args = kind === 'weft' ? [`${ROOT}build/server/main.js`] : [`${ROOT}bench/scenarios/ywebrtcServerOnLoopback.mjs`];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))).then((result) => {
    rmSync(dataDir, { recursive: true, force: true });
    return result;
  });
  // If the bench itself is stopped, never leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} server exited: ${output}`);
    if (/running|listening/i.test(output)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, HOST, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  });
}

async function runAgainst(kind, { sockets, rooms, rate, seconds }) {
  const port = await freePort();
  const server = await startServer(kind, port, { sockets });
  const url = kind === 'weft' ? `ws://${HOST}:${port}/signal` : `ws://${HOST}:${port}`;
  const rssIdleKb = rssKb(server.pid);
  const clients = [];
  const latencies = [];
  let closedUnexpectedly = 0;
  let connectFailures = 0;
  let stopping = false;
  let received = 0;
  const connectOne = (i) =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, headers: { Origin: `http://${HOST}:${port}` } });
      const room = `bench-room-${i % rooms}`;
      const c = { ws, room, open: false, id: i };
      ws.on('open', () => {
        c.open = true;
        ws.send(JSON.stringify({ type: 'subscribe', topics: [room] }));
        resolve(c);
      });
      ws.on('message', (data) => {
        received++;
        let msg;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (msg.type === 'publish' && typeof msg.sentAt === 'number' && msg.from !== i) latencies.push(performance.now() - msg.sentAt);
      });
      ws.on('error', () => {
        if (!c.open) {
          connectFailures++;
          resolve(null);
        }
      });
      ws.on('close', () => {
        if (c.open && !stopping) closedUnexpectedly++;
      });
    });
  const t0 = performance.now();
  for (let i = 0; i < sockets; i += CONNECT_CONCURRENCY) {
    const batch = [];
    for (let j = i; j < Math.min(sockets, i + CONNECT_CONCURRENCY); j++) batch.push(connectOne(j));
    for (const c of await Promise.all(batch)) if (c) clients.push(c);
  }
  const connectMs = performance.now() - t0;
  // Subscriptions are in flight; give the server a moment to register them.
  await new Promise((r) => setTimeout(r, 500));
  const rssConnectedKb = rssKb(server.pid);

  // Publish at `rate` per second, spread evenly, from random open members.
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  let sent = 0;
  let peakRssKb = rssConnectedKb ?? 0;
  const start = performance.now();
  const serverCpu0 = cpuSeconds(server.pid);
  const clientCpu0 = process.cpuUsage();
  const payload = 'x'.repeat(200); // about the size of an encrypted y-webrtc announce
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; sent < due; sent++) {
      const c = clients[(sent * 7919) % clients.length];
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(JSON.stringify({ type: 'publish', topic: c.room, from: c.id, sentAt: performance.now(), data: payload }));
    }
    if (sent % 200 === 0) peakRssKb = Math.max(peakRssKb, rssKb(server.pid) ?? 0);
    await new Promise((r) => setTimeout(r, 1));
    if (performance.now() - start > seconds * 1000 * 3 + 5000) break; // bounded even if the loop falls behind
  }
  const publishMs = performance.now() - start;
  // Drain: wait (bounded) until every expected delivery arrived or nothing moves any more.
  const expectedDeliveries = sent * (sockets / rooms - 1);
  for (let last = -1, waited = 0; latencies.length < expectedDeliveries && latencies.length !== last && waited < 10_000; waited += 500) {
    last = latencies.length;
    await new Promise((r) => setTimeout(r, 500));
  }
  const serverCpu = cpuSeconds(server.pid) - serverCpu0;
  const clientCpuUs = process.cpuUsage(clientCpu0);
  const wallS = (performance.now() - start) / 1000;
  peakRssKb = Math.max(peakRssKb, rssKb(server.pid) ?? 0);
  const alive = server.alive();
  stopping = true;
  for (const c of clients) c.ws.terminate();
  await server.stop();
  return {
    serverCpuShare: serverCpu / wallS,
    clientCpuShare: (clientCpuUs.user + clientCpuUs.system) / 1e6 / wallS,
    server: kind,
    survived: alive,
    sockets: clients.length,
    connectFailures,
    closedUnexpectedly,
    connectMs,
    published: sent,
    achievedRate: sent / (publishMs / 1000),
    delivered: latencies.length,
    expectedDeliveries,
    latencyMs: summarize(latencies),
    rssIdleMb: rssIdleKb === null ? null : rssIdleKb / 1024,
    rssConnectedMb: rssConnectedKb === null ? null : rssConnectedKb / 1024,
    rssPeakMb: peakRssKb / 1024,
    receivedFrames: received,
  };
}

export async function signalingScenario({ quick, params = null }) {
  const want = params ?? (quick ? { sockets: 50, rooms: 10, rate: 100, seconds: 1 } : { sockets: 5000, rooms: 500, rate: 1000, seconds: 10 });
  if (!existsSync(`${ROOT}build/server/main.js`)) throw new Error('build/server/main.js is missing: run npm run build');
  // Each client socket is a file descriptor here and one in the server process.
  const notes = [];
  const results = [];
  for (const kind of ['weft', 'y-webrtc']) {
    try {
      results.push(await runAgainst(kind, want));
    } catch (error) {
      results.push({ server: kind, survived: false, error: String(error?.message ?? error) });
    }
  }
  return { params: want, results, notes };
}
