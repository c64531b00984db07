// @ts-check
/**
 * Mutation testing of the pure modules (`npm run mutate`; not part of `npm test`:
 * it takes tens of minutes). StrykerJS changes one operator, condition or
 * literal at a time and reruns the unit tests that cover it; a mutant that no
 * test notices ("survived") is a behaviour nothing checks. Scores per module are
 * in the README ("Mutation testing"); the HTML report lands in reports/mutation/.
 * One module: `npm run mutate -- --mutate src/sync/chunking.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutate.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Module-level constants would rerun every test per mutant; their values are pinned by tests that use them.
  ignoreStatic: true,
  mutate: [
    'src/doc/{backup,noteId,noteText,noteEntry,LegacyNotesIndex,removalGuard,versionPolicy,noteSchema}.ts',
    'src/sync/{chunking,compression,peerMessage,shareLink,keys,presence,syncConfig,signalingMessage,routeSignal,updateFirewall}.ts',
    'server/{signalingProtocol,signalingLimits,TopicRegistry,TokenBucket}.ts',
  ],
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Not copied into the sandbox: outputs of other runs (an e2e run may be writing them meanwhile).
  ignorePatterns: ['dist', 'build', 'test-results', 'playwright-report', 'reports', 'bench/results'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
