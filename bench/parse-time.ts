// Parse-time benchmark: every case, a bounded number of passes, median and p99 per message.
//   npx tsx bench/parse-time.ts [--cases ../shared/eval/dev.jsonl] [--catalog ../shared/eval/catalog-cafe.json] [--passes 20]
//   npx tsx bench/parse-time.ts --sets     (every set in test/parser/cases/sets.json, each with its catalog)
// On a loaded machine p99/max mostly measure the scheduler and GC; the median is the parser.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CatalogSchema, createParser } from '../src/parser/index.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

interface Workload {
  casesPath: string;
  catalogPath: string;
  now: Date;
}

const passes = Math.min(Math.max(Number(option('passes', '20')) || 20, 1), 200);
const setsDir = path.resolve('test/parser/cases');
const workloads: Workload[] = process.argv.includes('--sets')
  ? (JSON.parse(readFileSync(path.join(setsDir, 'sets.json'), 'utf8')) as { cases: string; catalog: string; now: string }[]).map((set) => ({
    casesPath: path.join(setsDir, set.cases), catalogPath: path.join(setsDir, set.catalog), now: new Date(set.now),
  }))
  : [{
    casesPath: path.resolve(option('cases', '../shared/eval/dev.jsonl')),
    catalogPath: path.resolve(option('catalog', '../shared/eval/catalog-cafe.json')),
    now: new Date(option('now', '2026-01-15T14:00:00.000Z')),
  }];

const samples: number[] = [];
let messages = 0;
let buildMs = 0;
for (const { casesPath, catalogPath, now } of workloads) {
  const texts = readFileSync(casesPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { text: string }).text);
  messages += texts.length;
  const buildStart = performance.now();
  const parser = createParser(CatalogSchema.parse(JSON.parse(readFileSync(catalogPath, 'utf8'))));
  buildMs = Math.max(buildMs, performance.now() - buildStart);
  for (let pass = 0; pass < passes; pass++) {
    for (const text of texts) {
      const start = performance.now();
      parser.parse(text, now);
      samples.push(performance.now() - start);
    }
  }
}
samples.sort((a, b) => a - b);
const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;

console.log(`catalog index built in ${buildMs.toFixed(2)} ms (slowest of ${workloads.length})`);
console.log(`${messages} messages x ${passes} passes = ${samples.length} parses`);
console.log(`median ${at(0.5).toFixed(3)} ms   p90 ${at(0.9).toFixed(3)} ms   p99 ${at(0.99).toFixed(3)} ms   max ${(samples[samples.length - 1] ?? 0).toFixed(3)} ms per message`);
