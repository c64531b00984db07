/**
 * A small internet of Linux network namespaces, for the NAT test (issue 18) and bench 15:
 *
 *   home A (10.1.0.2) ── router A (NAT) ── 203.0.113.2 ┐
 *                                                      ├── public: routes between them; serves 203.0.113.10
 *   home B (10.2.0.2) ── router B (NAT) ── 198.51.100.2 ┘          (the Weft server, coturn);
 *                                                          default route: a dead end (198.51.100.254)
 *
 * Only documentation addresses (203.0.113.0/24, 198.51.100.0/24) on the public side and
 * private ones in the homes, all inside namespaces this run created (unique names); nothing
 * routes out of them (the public side's default route ends in a veth pair inside it). Each router masquerades with nftables, in one of two modes:
 *
 * - `cone`: plain `masquerade`. Linux keeps the source port when it can, so one socket gets
 *   one public port whatever the destination: endpoint-independent mapping; conntrack lets
 *   in only replies from where it sent (address-and-port-dependent filtering).
 * - `symmetric`: `masquerade random,fully-random`: every new flow (destination) gets its own
 *   random public port: address-and-port-dependent mapping, the NAT that defeats STUN.
 *
 * `destroy()` (also run on SIGINT/SIGTERM and at exit) kills what still runs inside the
 * namespaces and deletes them. Needs root (CAP_NET_ADMIN), iproute2 and nftables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROME_PATH } from './chromium.mjs';

/** The address the public namespace serves (the Weft server, coturn). */
export const PUBLIC_SERVICE_ADDRESS = '203.0.113.10';
/** The public side's default route: its own end and the gateway, a dead end inside the public namespace (see createNatNetwork). */
const INTERNET = { address: '198.51.100.253', gateway: '198.51.100.254' };
/** Each command that builds or changes the network must finish within this. */
const COMMAND_TIMEOUT_MS = 10_000;

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';
const NFT = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

/** Why namespaces cannot be made here (not root, no iproute2/nftables), or null when they can. */
export function namespaceProblem() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root (network namespaces need CAP_NET_ADMIN)';
  for (const [tool, args] of [[IP, ['-V']], [NFT, ['--version']]]) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `${tool} is not available (apt-get install iproute2 nftables; .ci/run does it)`;
  }
  const probe = `wprobe${randomBytes(3).toString('hex')}`;
  const added = spawnSync(IP, ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync(IP, ['netns', 'del', probe]);
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
  return null;
}

function run(args, input) {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', input, timeout: COMMAND_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message || ''}`);
}

/**
 * The nftables ruleset of a router in `kind` mode. Unsolicited packets from the internet are
 * dropped, as a home router does. That matters beyond security: a packet accepted to the
 * router itself would leave a conntrack entry that takes the very port pair the home's own
 * answer needs, and the NAT would then map that answer to another port (a clash that turns
 * any NAT symmetric for that peer). A dropped packet's entry is never confirmed. `cutUdp`: the
 * router also drops every UDP packet it would forward (a path that breaks mid-session, while
 * TCP — the signaling WebSocket — goes on).
 */
const natRules = (kind, cutUdp = false) => `flush ruleset
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade${kind === 'symmetric' ? ' random,fully-random' : ''}
  }
}
table ip filter {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan" ct state new drop${cutUdp ? '\n    meta l4proto udp drop' : ''}
  }
}
`;

/** Builds the network. Throws (after removing what it built) when a step fails. */
export function createNatNetwork() {
  const id = randomBytes(3).toString('hex');
  // Interface names are at most 15 characters: "w" + 6 hex + a role of up to 3.
  const names = { public: `w${id}pub`, routerA: `w${id}ra`, routerB: `w${id}rb`, homeA: `w${id}ha`, homeB: `w${id}hb` };
  const all = Object.values(names);
  const dir = mkdtempSync(join(tmpdir(), 'weft-nat-'));
  const created = [];
  const nsExec = (ns, ...args) => run([IP, 'netns', 'exec', ns, ...args]);
  const nsIp = (ns, ...args) => run([IP, '-n', ns, ...args]);

  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of created) {
      // Whatever still runs in our namespaces (a browser or server a failed test left): we started it.
      const pids = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter((pid) => /^\d+$/.test(pid));
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    for (const ns of created.reverse()) spawnSync(IP, ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', destroy);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (signal) => {
    destroy();
    process.kill(process.pid, signal);
  };
  process.on('exit', destroy);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const link = (a, aName, b, bName) => {
    // Created under temporary names in the root namespace (unique per run), renamed inside.
    const tmpA = `${aName.slice(0, 3)}${id}x`;
    const tmpB = `${bName.slice(0, 3)}${id}y`;
    run([IP, 'link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
    run([IP, 'link', 'set', tmpA, 'netns', a]);
    run([IP, 'link', 'set', tmpB, 'netns', b]);
    nsIp(a, 'link', 'set', tmpA, 'name', aName);
    nsIp(b, 'link', 'set', tmpB, 'name', bName);
  };

  const homes = {
    A: { router: names.routerA, home: names.homeA, wan: '203.0.113.2', up: '203.0.113.1', publicSide: 'toa', lan: '10.1.0' },
    B: { router: names.routerB, home: names.homeB, wan: '198.51.100.2', up: '198.51.100.1', publicSide: 'tob', lan: '10.2.0' },
  };

  try {
    for (const ns of all) {
      run([IP, 'netns', 'add', ns]);
      created.push(ns);
      nsIp(ns, 'link', 'set', 'lo', 'up');
    }
    nsIp(names.public, 'addr', 'add', `${PUBLIC_SERVICE_ADDRESS}/32`, 'dev', 'lo');
    nsExec(names.public, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // The rest of the internet: a default route, as every host out there has, into a veth pair
    // whose far end (also in this namespace) forwards nothing, so packets to addresses no home
    // has (a private host candidate) vanish without an error. Without it a send from coturn's
    // relay to such an address fails with ENETUNREACH, and coturn closes the whole allocation on
    // any failed send from a relay socket: the symmetric, default-policy scenario of nat.spec.ts
    // broke on exactly that. Nothing here reaches outside the namespace.
    link(names.public, 'internet', names.public, 'void');
    nsIp(names.public, 'addr', 'add', `${INTERNET.address}/30`, 'dev', 'internet');
    nsIp(names.public, 'addr', 'add', `${INTERNET.gateway}/30`, 'dev', 'void');
    nsIp(names.public, 'link', 'set', 'internet', 'up');
    nsIp(names.public, 'link', 'set', 'void', 'up');
    nsExec(names.public, 'sysctl', '-qw', 'net.ipv4.conf.void.forwarding=0');
    nsIp(names.public, 'route', 'add', 'default', 'via', INTERNET.gateway, 'dev', 'internet');
    for (const h of Object.values(homes)) {
      link(names.public, h.publicSide, h.router, 'wan');
      nsIp(names.public, 'addr', 'add', `${h.up}/30`, 'dev', h.publicSide);
      nsIp(names.public, 'link', 'set', h.publicSide, 'up');
      nsIp(h.router, 'addr', 'add', `${h.wan}/30`, 'dev', 'wan');
      nsIp(h.router, 'link', 'set', 'wan', 'up');
      nsIp(h.router, 'route', 'add', 'default', 'via', h.up);
      link(h.router, 'lan', h.home, 'eth0');
      nsIp(h.router, 'addr', 'add', `${h.lan}.1/24`, 'dev', 'lan');
      nsIp(h.router, 'link', 'set', 'lan', 'up');
      nsIp(h.home, 'addr', 'add', `${h.lan}.2/24`, 'dev', 'eth0');
      nsIp(h.home, 'link', 'set', 'eth0', 'up');
      nsIp(h.home, 'route', 'add', 'default', 'via', `${h.lan}.1`);
      nsExec(h.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      run([IP, 'netns', 'exec', h.router, NFT, '-f', '-'], natRules('cone'));
    }
  } catch (error) {
    destroy();
    throw error;
  }

  const wrappers = new Map();
  const modes = { A: { kind: 'cone', cutUdp: false }, B: { kind: 'cone', cutUdp: false } };
  const publicPrefix = Object.freeze([IP, 'netns', 'exec', names.public]);
  return {
    names,
    publicPrefix,
    homeAddress: (home) => `${homes[home].lan}.2`,
    publicAddressOf: (home) => homes[home].wan,
    setNat: (home, kind) => {
      // Flows mapped under the old rules keep their mapping; every scenario starts new browsers.
      modes[home] = { kind, cutUdp: false };
      run([IP, 'netns', 'exec', homes[home].router, NFT, '-f', '-'], natRules(kind));
    },
    cutUdp: (home, cut) => {
      // The same NAT (and its conntrack mappings), with UDP through the router dropped or not.
      modes[home] = { ...modes[home], cutUdp: cut };
      run([IP, 'netns', 'exec', homes[home].router, NFT, '-f', '-'], natRules(modes[home].kind, cut));
    },
    spawnPublic: (command, args, env = {}) =>
      spawn(publicPrefix[0], [...publicPrefix.slice(1), command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    chromiumIn: (home) => {
      let wrapper = wrappers.get(home);
      if (wrapper === undefined) {
        wrapper = join(dir, `chromium-${home}`);
        // `exec`: Chromium replaces the shell and ip, so Playwright's pipe and signals reach it directly.
        writeFileSync(wrapper, `#!/bin/sh\nexec ${IP} netns exec ${homes[home].home} ${CHROME_PATH} "$@"\n`);
        chmodSync(wrapper, 0o755);
        wrappers.set(home, wrapper);
      }
      return wrapper;
    },
    destroy,
  };
}

/** How long the server may take to print its URL. */
const SERVER_START_TIMEOUT_MS = 20_000;

/**
 * Weft's built server (`entry`, i.e. build/server/main.js) on 203.0.113.10 inside the public
 * namespace of `net`, serving `staticDir` with `env` added, its relay data in a fresh directory.
 */
export async function startPublicServer(net, { entry, staticDir, cwd, env = {} }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'weft-nat-data-'));
  const child = spawn(net.publicPrefix[0], [...net.publicPrefix.slice(1), process.execPath, entry], {
    cwd,
    env: { ...process.env, ...env, HOST: PUBLIC_SERVICE_ADDRESS, PORT: '0', STATIC_DIR: staticDir, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${SERVER_START_TIMEOUT_MS} ms:\n${output}`)), SERVER_START_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      const match = /Weft is running at (http:\/\/\S+?)\/?\r?\n/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}
