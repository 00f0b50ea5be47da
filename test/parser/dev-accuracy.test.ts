// Runs the labelled dev set through createParser and applies the scorer's exact-match rules
// (../shared/eval/score.mjs), so a regression shows up in `jest` before it shows up in evaluation.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser } from '../../src/parser/index.js';
import { mismatches, type LabelledCase } from './scoring.js';

const EVAL_DIR = path.resolve(process.cwd(), '../shared/eval');
const NOW = new Date('2026-01-15T14:00:00.000Z');

function readEvalFile(name: string): string {
  const file = path.join(EVAL_DIR, name);
  if (!existsSync(file)) throw new Error(`dev evaluation file missing: ${file} (run jest from the repo root, next to ../shared/eval)`);
  return readFileSync(file, 'utf8');
}

describe('dev set accuracy', () => {
  // Every dev case passes today; any miss is a regression to look at, not noise.
  it('matches every labelled dev case exactly', () => {
    const cases = readEvalFile('dev.jsonl').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelledCase);
    expect(cases.length).toBeGreaterThan(0);
    const parser = createParser(CatalogSchema.parse(JSON.parse(readEvalFile('catalog-cafe.json'))));

    const failures = cases
      .map((c) => ({ id: c.id, text: c.text, bad: mismatches(c.expected, parser.parse(c.text, NOW)) }))
      .filter((f) => f.bad.length > 0);
    const accuracy = (cases.length - failures.length) / cases.length;
    if (failures.length) console.error('failing dev cases:', failures);
    expect(accuracy).toBe(1);
  });
});
