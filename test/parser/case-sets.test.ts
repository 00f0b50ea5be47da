// Runs the labelled case sets in test/parser/cases/ (hurried chat phrasing on nine made-up catalogs in
// different time zones and currencies) with the scorer's exact-match rules. The same files work with
// ../shared/eval/score.mjs; see test/parser/cases/sets.json for each set's catalog and NOW.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser } from '../../src/parser/index.js';
import { mismatches, readCases } from './scoring.js';

interface CaseSet {
  cases: string;
  catalog: string;
  now: string;
}

const CASES_DIR = path.resolve(process.cwd(), 'test/parser/cases');
const sets = JSON.parse(readFileSync(path.join(CASES_DIR, 'sets.json'), 'utf8')) as CaseSet[];
/** The target for held-out sets; our own sets must clear it with room to spare. */
const FLOOR = 0.97;

describe('labelled case sets', () => {
  const results = sets.map((set) => {
    const parser = createParser(CatalogSchema.parse(JSON.parse(readFileSync(path.join(CASES_DIR, set.catalog), 'utf8'))));
    const now = new Date(set.now);
    const cases = readCases(path.join(CASES_DIR, set.cases));
    const failures = cases
      .map((c) => ({ id: c.id, text: c.text, bad: mismatches(c.expected, parser.parse(c.text, now)) }))
      .filter((f) => f.bad.length > 0);
    return { set: set.cases, total: cases.length, failures };
  });

  it.each(results.map((r) => [r.set, r] as const))('%s is at least 97%% exact', (_name, result) => {
    expect(result.total).toBeGreaterThan(0);
    const accuracy = (result.total - result.failures.length) / result.total;
    if (accuracy < FLOOR) console.error(`failing cases in ${result.set}:`, result.failures);
    expect(accuracy).toBeGreaterThanOrEqual(FLOOR);
  });

  it('covers every kind of hurried phrasing on at least four catalogs', () => {
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.reduce((n, r) => n + r.total, 0)).toBeGreaterThanOrEqual(200);
  });
});
