/**
 * Ends a jest run with one plain line, "tests: N passed, N failed, N skipped", and keeps it in
 * test-artifacts/ so `.ci/run` can repeat it as its closing line (CI reads the last such line; without it,
 * Schemathesis's pytest-style footer would be taken for a run with no tests).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    const dir = join(this.rootDir, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'jest-summary.txt'), `${line}\n`);
    process.stdout.write(`${line}\n`);
  }
}
