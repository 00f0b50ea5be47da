// Runs the labelled dev set through createParser and applies the scorer's exact-match rules
// (../shared/eval/score.mjs), so a regression shows up in `jest` before it shows up in evaluation.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser, type ParseResult } from '../../src/parser/index.js';

interface Expected {
  intent: string;
  items: { sku: string; quantity: number; modifications: string[] }[];
  pickup_time: string | null;
  customer_name: string | null;
  special_instructions_contains: string | null;
  unrecognized: string[];
}

interface DevCase {
  id: string;
  text: string;
  expected: Expected;
}

const EVAL_DIR = path.resolve(process.cwd(), '../shared/eval');
const NOW = new Date('2026-01-15T14:00:00.000Z');

const norm = (s: string): string => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
const itemKeys = (items: { sku: string; quantity: number; modifications: string[] }[]): string[] =>
  items.map((i) => `${i.sku}×${i.quantity}[${[...i.modifications].sort().join(',')}]`).sort();

/** Field-by-field comparison mirroring score.mjs; returns the names of the fields that differ. */
function mismatches(expected: Expected, got: ParseResult): string[] {
  const bad: string[] = [];
  if (norm(got.intent) !== expected.intent) bad.push('intent');
  if (JSON.stringify(itemKeys(expected.items)) !== JSON.stringify(itemKeys(got.items))) bad.push('items');
  const timeOk = expected.pickup_time === null
    ? isBlank(got.pickup_time)
    : got.pickup_time !== null && Math.abs(Date.parse(got.pickup_time) - Date.parse(expected.pickup_time)) <= 60_000;
  if (!timeOk) bad.push('time');
  const nameOk = expected.customer_name === null ? isBlank(got.customer_name) : got.customer_name !== null && norm(got.customer_name) === norm(expected.customer_name);
  if (!nameOk) bad.push('name');
  const instrOk = expected.special_instructions_contains === null
    ? isBlank(got.special_instructions)
    : got.special_instructions !== null && norm(got.special_instructions).includes(norm(expected.special_instructions_contains));
  if (!instrOk) bad.push('instr');
  const unrecognized = got.unrecognized.map(norm);
  const unrecOk = expected.unrecognized.length === 0 ? unrecognized.length === 0 : expected.unrecognized.every((e) => unrecognized.some((g) => g.includes(norm(e))));
  if (!unrecOk) bad.push('unrec');
  return bad;
}

function readEvalFile(name: string): string {
  const file = path.join(EVAL_DIR, name);
  if (!existsSync(file)) throw new Error(`dev evaluation file missing: ${file} (run jest from the repo root, next to ../shared/eval)`);
  return readFileSync(file, 'utf8');
}

describe('dev set accuracy', () => {
  it('matches at least 93% of the labelled dev cases exactly', () => {
    const cases: DevCase[] = readEvalFile('dev.jsonl').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as DevCase);
    expect(cases.length).toBeGreaterThan(0);
    const parser = createParser(CatalogSchema.parse(JSON.parse(readEvalFile('catalog-cafe.json'))));

    const failures = cases
      .map((c) => ({ id: c.id, text: c.text, bad: mismatches(c.expected, parser.parse(c.text, NOW)) }))
      .filter((f) => f.bad.length > 0);
    const accuracy = (cases.length - failures.length) / cases.length;
    if (accuracy < 0.93) console.error('failing dev cases:', failures);
    expect(accuracy).toBeGreaterThanOrEqual(0.93);
  });
});
