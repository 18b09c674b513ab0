/**
 * Prints the one closing line CI reads: `N passed, N failed[, N skipped]`.
 * CI does not parse vitest's own summary, so this line is the contract (see .ci/run).
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A file that failed with no failed test (a syntax error, a failing beforeAll whose tests
      // are then skipped) counts once: otherwise the line read "N passed, 0 failed" for a red run.
      failed += failedHere || (mod.state() === 'failed' ? 1 : 0);
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
