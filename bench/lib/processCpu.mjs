/**
 * CPU time of a Chromium process tree, read from /proc (Linux): the browser process that
 * Playwright launched on a profile (found by its `--user-data-dir`), and every process below it
 * (zygotes, renderers, the network and storage utilities). utime + stime, in seconds; /proc counts
 * in clock ticks of 1/100 s (USER_HZ on Linux), so a reading is good to 10 ms per process.
 */
import { readFileSync, readdirSync } from 'node:fs';

const USER_HZ = 100;

/** Every live process: pid → { ppid, ticks } (processes that exit while read are skipped). */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The pid of the Chromium launched with `--user-data-dir=<profileDir>`; throws when there is none. */
export function browserPid(profileDir) {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let args;
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes(`--user-data-dir=${profileDir}`) && !args.some((a) => a.startsWith('--type='))) return Number(name);
  }
  throw new Error(`no browser process runs on the profile ${profileDir}`);
}

/** CPU seconds (user + system) used so far by `rootPid` and every live process below it. */
export function treeCpuSeconds(rootPid) {
  const table = processTable();
  const children = new Map();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop();
    ticks += table.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks / USER_HZ;
}
