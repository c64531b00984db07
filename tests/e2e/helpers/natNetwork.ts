/**
 * A small internet of Linux network namespaces, for the NAT test (issue 18):
 *
 *   home A (10.1.0.2) ── router A (NAT) ── 203.0.113.2 ┐
 *                                                      ├── public: routes between them; serves 203.0.113.10
 *   home B (10.2.0.2) ── router B (NAT) ── 198.51.100.2 ┘          (the Weft server, coturn)
 *
 * Only documentation addresses (203.0.113.0/24, 198.51.100.0/24) on the public side and
 * private ones in the homes, all inside namespaces this run created (unique names); nothing
 * routes out of them. Each router masquerades with nftables, in one of two modes:
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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROME_PATH } from '../../../scripts/chromium.mjs';

export type NatKind = 'cone' | 'symmetric';
export type Home = 'A' | 'B';

/** The address the public namespace serves (the Weft server, coturn). */
export const PUBLIC_SERVICE_ADDRESS = '203.0.113.10';
/** Each command that builds or changes the network must finish within this. */
const COMMAND_TIMEOUT_MS = 10_000;

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';
const NFT = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

export interface NatNetwork {
  readonly names: { readonly public: string; readonly routerA: string; readonly routerB: string; readonly homeA: string; readonly homeB: string };
  /** The home's address (its private one), for messages. */
  homeAddress(home: Home): string;
  /** The router's public address: what peers see of the home behind it. */
  publicAddressOf(home: Home): string;
  /** Sets router `home`'s NAT mode, for flows that start from now on. */
  setNat(home: Home, kind: NatKind): void;
  /** Starts `command` inside the public namespace. */
  spawnPublic(command: string, args: readonly string[], env?: Record<string, string>): ChildProcess;
  /** The argument prefix that runs a command in the public namespace (`ip netns exec <ns>`). */
  readonly publicPrefix: readonly string[];
  /** An executable that runs Chromium inside the home's namespace (Playwright's `executablePath`). */
  chromiumIn(home: Home): string;
  destroy(): void;
}

/** Why namespaces cannot be made here (not root, no iproute2/nftables), or null when they can. */
export function namespaceProblem(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root (network namespaces need CAP_NET_ADMIN)';
  for (const [tool, args] of [[IP, ['-V']], [NFT, ['--version']]] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `${tool} is not available (apt-get install iproute2 nftables; .ci/run does it)`;
  }
  const probe = `wprobe${randomBytes(3).toString('hex')}`;
  const added = spawnSync(IP, ['netns', 'add', probe], { encoding: 'utf8' });
  spawnSync(IP, ['netns', 'del', probe]);
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
  return null;
}

function run(args: readonly string[], input?: string): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', input, timeout: COMMAND_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message || ''}`);
}

/**
 * The nftables ruleset of a router in `kind` mode. Unsolicited packets from the internet are
 * dropped, as a home router does. That matters beyond security: a packet accepted to the
 * router itself would leave a conntrack entry that takes the very port pair the home's own
 * answer needs, and the NAT would then map that answer to another port (a clash that turns
 * any NAT symmetric for that peer). A dropped packet's entry is never confirmed.
 */
const natRules = (kind: NatKind): string => `flush ruleset
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
    iifname "wan" ct state new drop
  }
}
`;

/** Builds the network. Throws (after removing what it built) when a step fails. */
export function createNatNetwork(): NatNetwork {
  const id = randomBytes(3).toString('hex');
  // Interface names are at most 15 characters: "w" + 6 hex + a role of up to 3.
  const names = { public: `w${id}pub`, routerA: `w${id}ra`, routerB: `w${id}rb`, homeA: `w${id}ha`, homeB: `w${id}hb` };
  const all = Object.values(names);
  const dir = mkdtempSync(join(tmpdir(), 'weft-nat-'));
  const created: string[] = [];
  const nsExec = (ns: string, ...args: string[]) => run([IP, 'netns', 'exec', ns, ...args]);
  const nsIp = (ns: string, ...args: string[]) => run([IP, '-n', ns, ...args]);

  let destroyed = false;
  const destroy = (): void => {
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
  const onSignal = (signal: NodeJS.Signals): void => {
    destroy();
    process.kill(process.pid, signal);
  };
  process.on('exit', destroy);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const link = (a: string, aName: string, b: string, bName: string): void => {
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
  } as const;

  try {
    for (const ns of all) {
      run([IP, 'netns', 'add', ns]);
      created.push(ns);
      nsIp(ns, 'link', 'set', 'lo', 'up');
    }
    nsIp(names.public, 'addr', 'add', `${PUBLIC_SERVICE_ADDRESS}/32`, 'dev', 'lo');
    nsExec(names.public, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
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

  const wrappers = new Map<Home, string>();
  const publicPrefix = [IP, 'netns', 'exec', names.public] as const;
  return {
    names,
    publicPrefix,
    homeAddress: (home) => `${homes[home].lan}.2`,
    publicAddressOf: (home) => homes[home].wan,
    setNat: (home, kind) => {
      // Flows mapped under the old rules keep their mapping; every scenario starts new browsers.
      run([IP, 'netns', 'exec', homes[home].router, NFT, '-f', '-'], natRules(kind));
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
