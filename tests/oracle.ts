/**
 * Oracle counters: proof that a randomized test's checks actually ran.
 *
 * A fuzz test promises checks in its title ("what it accepts applies without throwing"); when
 * its generator never reaches the branch that makes the check, the test passes having checked
 * nothing. Count every check where it runs and assert the counts at the end:
 *
 *   const hits = oracleCounter('peerMessage fuzz', ['never-throws', 'accepted-applies']);
 *   …  hits.hit('accepted-applies'); expect(…)  …
 *   hits.assertAtLeast({ 'accepted-applies': 100 });   // every other check: at least 1
 *
 * `assertAtLeast` prints the counts (one line, `oracle <name>: check=N …`) and fails for every
 * check below its floor — so a generator that stops reaching a branch is caught.
 */
export interface OracleCounter<K extends string> {
  /** Records that `check` ran (once, or `times` for counts kept elsewhere); call it where the check's `expect` runs. */
  hit(check: K, times?: number): void;
  /** The counts so far. */
  readonly counts: Readonly<Record<K, number>>;
  /** Prints the counts; throws when a check ran fewer times than its floor (default 1). */
  assertAtLeast(floors?: Partial<Record<K, number>>): void;
}

export function oracleCounter<const K extends string>(name: string, checks: readonly K[]): OracleCounter<K> {
  const counts = Object.fromEntries(checks.map((check) => [check, 0])) as Record<K, number>;
  return {
    counts,
    hit(check, times = 1) {
      if (!(check in counts)) throw new Error(`oracle ${name}: unknown check ${check}`);
      counts[check] += times;
    },
    assertAtLeast(floors = {}) {
      console.log(`oracle ${name}: ${checks.map((check) => `${check}=${counts[check]}`).join(' ')}`);
      const short = checks.filter((check) => counts[check] < (floors[check] ?? 1));
      if (short.length > 0) {
        throw new Error(
          `oracle ${name}: ${short.map((check) => `${check} ran ${counts[check]} times (floor ${floors[check] ?? 1})`).join('; ')}`,
        );
      }
    },
  };
}
