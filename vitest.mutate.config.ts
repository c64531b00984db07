import { defineConfig } from 'vitest/config';

/**
 * The unit tests of the pure modules StrykerJS mutates (stryker.config.mjs):
 * only these run against each mutant, so `npm run mutate` stays within reach
 * on a small machine. Integration suites (real y-webrtc, the editor binding)
 * also exercise these modules, but each of them runs for seconds per mutant.
 * Same settings as vitest.config.ts otherwise.
 */
export default defineConfig({
  test: {
    include: [
      'tests/unit/doc/*.test.ts',
      'tests/unit/sync/{chunking,compression,peerMessage,peerMessage.edges,shareLink,keys,presence,presence.edges,syncConfig,signalingMessage,routeSignal,updateFirewall}.test.ts',
      'tests/unit/server/{signalingProtocol,TopicRegistry,TokenBucket}.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    // The retention property test replays 1,000 churn sequences in `npm test`; against each
    // mutant, 50 of them (tests/unit/doc/versionRetention.test.ts).
    env: { WEFT_CHURN_SEQUENCES: '50' },
  },
});
