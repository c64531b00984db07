#!/usr/bin/env node
// `npm test`: every check the project has, in order, with one summary line at
// the end ("N passed, N failed") that CI reads. Typecheck and lint count as
// one check each; Vitest and Playwright contribute their own test counts
// (read from their JSON reporters, so the numbers are theirs, not ours).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'test-results');
mkdirSync(out, { recursive: true });

let passed = 0;
let failed = 0;
const failures = [];
const failedTests = [];

function run(cmd, args, env = {}) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(name, cmd, args) {
  if (run(cmd, args)) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Runs a test runner whose JSON report gives the counts; a crash with no report counts as one failure. */
function suite(name, cmd, args, reportFile, count, env, failedNames = () => []) {
  rmSync(reportFile, { force: true });
  const ok = run(cmd, args, env);
  const report = existsSync(reportFile) ? readJson(reportFile) : null;
  if (!report) {
    failed++;
    failures.push(`${name} (no report)`);
    return;
  }
  const c = count(report);
  passed += c.passed;
  failed += c.failed;
  if (c.failed > 0 || (!ok && c.failed === 0)) {
    if (c.failed === 0) failed++;
    failures.push(name);
    // Repeated at the end of the run: CI keeps only the tail of a long log.
    for (const test of failedNames(report)) failedTests.push(`${name}: ${test}`);
  }
}

check('typecheck', 'npm', ['run', '--silent', 'typecheck']);
check('lint', 'npm', ['run', '--silent', 'lint']);

const vitestReport = join(out, 'vitest.json');
suite(
  'unit',
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestReport}`],
  vitestReport,
  (r) => ({ passed: r.numPassedTests ?? 0, failed: r.numFailedTests ?? 0 }),
  {},
  (r) =>
    (r.testResults ?? []).flatMap((file) => {
      const where = file.name.slice(root.length);
      const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
      if (tests.length === 0 && file.status === 'failed') return [`${where} (${String(file.message).split('\n')[0]})`];
      return tests.map((t) => `${where} > ${t.fullName}: ${String(t.failureMessages?.[0] ?? '').split('\n')[0]}`);
    }),
);

check('build', 'npm', ['run', '--silent', 'build']);

const pwReport = join(out, 'playwright.json');
suite(
  'e2e',
  'npx',
  ['playwright', 'test', '--reporter=list,json'],
  pwReport,
  (r) => ({
    passed: (r.stats?.expected ?? 0) + (r.stats?.flaky ?? 0),
    failed: (r.stats?.unexpected ?? 0),
  }),
  { PLAYWRIGHT_JSON_OUTPUT_NAME: pwReport },
  (r) => {
    const names = [];
    const walk = (suiteNode, path) => {
      for (const spec of suiteNode.specs ?? []) {
        for (const test of spec.tests ?? []) {
          if (test.status !== 'unexpected') continue;
          // The first line, where it failed, and what was expected and received: CI keeps only the tail.
          const error = test.results?.at(-1)?.error ?? {};
          const lines = String(error.message ?? '').split('\n');
          const detail = lines.filter((line) => /^\s*(Expected|Received)\b/.test(line)).map((line) => line.trim());
          const at = error.location ? ` (line ${error.location.line})` : '';
          names.push(`${spec.file} > ${[...path, spec.title].join(' > ')}${at}: ${[lines[0], ...detail].join(' · ')}`);
        }
      }
      for (const child of suiteNode.suites ?? []) walk(child, child.title && !child.title.endsWith('.ts') ? [...path, child.title] : path);
    };
    for (const s of r.suites ?? []) walk(s, []);
    return names;
  },
);

if (existsSync(join(root, 'bench', 'run.mjs'))) check('bench --quick', 'npm', ['run', '--silent', 'bench', '--', '--quick']);

const summary = `${passed} passed, ${failed} failed`;
writeFileSync(join(out, 'summary.txt'), summary + '\n');
if (failures.length) console.log(`\nFailed: ${failures.join(', ')}`);
// eslint-disable-next-line no-control-regex
for (const test of failedTests) console.log(`  ✘ ${test.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 600)}`);
console.log(`\n${summary}`);
process.exit(failed === 0 ? 0 : 1);
