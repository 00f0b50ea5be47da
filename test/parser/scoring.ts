// The exact-match rules of ../shared/eval/score.mjs, for running labelled case files inside jest.
import { readFileSync } from 'node:fs';
import type { ParseResult } from '../../src/parser/index.js';

export interface ExpectedParse {
  intent: string;
  items: { sku: string; quantity: number; modifications: string[] }[];
  pickup_time: string | null;
  customer_name: string | null;
  special_instructions_contains: string | null;
  unrecognized: string[];
}

export interface LabelledCase {
  id: string;
  text: string;
  expected: ExpectedParse;
}

const norm = (s: string): string => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
const itemKeys = (items: { sku: string; quantity: number; modifications: string[] }[]): string[] =>
  items.map((i) => `${i.sku}×${i.quantity}[${[...i.modifications].sort().join(',')}]`).sort();

/** Field-by-field comparison mirroring score.mjs; returns the names of the fields that differ. */
export function mismatches(expected: ExpectedParse, got: ParseResult): string[] {
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

export function readCases(file: string): LabelledCase[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelledCase);
}
