// CLI for evaluation and manual testing:
//   npm run --silent parse -- --catalog catalog.json --now 2026-01-15T14:00:00.000Z < cases.jsonl
// Reads {"id","text"} JSON lines on stdin and writes exactly one JSON result line per input on stdout.
// Logs go to stderr only, so stdout stays machine-readable. A line that cannot be answered (no "id")
// is reported on stderr, the rest are still parsed, and the exit code is 1 at the end.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CatalogSchema, createParser, type Parser } from './index.js';

interface CliOptions {
  catalogPath: string;
  now: Date;
}

function readOptions(argv: string[]): CliOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i] ?? '');
    if (!match?.[1]) throw new Error(`unexpected argument ${JSON.stringify(argv[i])}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`missing value for --${match[1]}`);
    values.set(match[1], value);
  }
  const catalogPath = values.get('catalog');
  if (!catalogPath) throw new Error('--catalog PATH is required');
  const nowText = values.get('now');
  const now = nowText === undefined ? new Date() : new Date(nowText);
  if (Number.isNaN(now.getTime())) throw new Error('--now must be an ISO timestamp');
  return { catalogPath, now };
}

function loadParser(catalogPath: string): Parser {
  const catalog = CatalogSchema.parse(JSON.parse(readFileSync(catalogPath, 'utf8')));
  return createParser(catalog);
}

/** Same shape as a parse, for lines that could not be parsed. */
const unknownResult = (id: string): Record<string, unknown> => ({
  id, intent: 'unknown', items: [], pickup_time: null, customer_name: null, special_instructions: null, unrecognized: [],
  summary: 'Message could not be read', clarification: null,
});

const ID_HELP = 'each input line must be a JSON object such as {"id":"1","text":"2 lattes please"}';

/**
 * One output line for one input line; never throws, so one bad line cannot sink the batch. Returns
 * `rejected` for a line that got no output because it has no id to answer with.
 */
function handleLine(line: string, lineNumber: number, parser: Parser, now: Date): string | null | 'rejected' {
  if (!line.trim()) return null;
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    // Salvage the id so the caller still gets a line for it.
    const id = /"id"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    console.error(`parse: line ${lineNumber}: invalid JSON${id ? ` (id ${id})` : ` and no "id" to answer with; ${ID_HELP}`}`);
    return id === undefined ? 'rejected' : JSON.stringify(unknownResult(id));
  }
  const record = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const id = typeof record.id === 'string' || typeof record.id === 'number' ? String(record.id) : null;
  if (id === null) {
    console.error(`parse: line ${lineNumber}: missing "id", line skipped; ${ID_HELP}`);
    return 'rejected';
  }
  if (typeof record.text !== 'string') {
    console.error(`parse: line ${lineNumber}: missing "text" for id ${id}`);
    return JSON.stringify(unknownResult(id));
  }
  try {
    return JSON.stringify({ id, ...parser.parse(record.text, now) });
  } catch (error) {
    console.error(`parse: line ${lineNumber} (id ${id}): ${error instanceof Error ? error.message : String(error)}`);
    return JSON.stringify(unknownResult(id));
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const parser = loadParser(options.catalogPath);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out: string[] = [];
  let lineNumber = 0;
  let rejected = 0;
  for await (const line of lines) {
    const result = handleLine(line, ++lineNumber, parser, options.now);
    if (result === 'rejected') rejected++;
    else if (result !== null) out.push(result);
    if (out.length >= 256) process.stdout.write(`${out.splice(0).join('\n')}\n`);
  }
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  if (rejected) {
    console.error(`parse: ${rejected} line(s) had no "id" and got no output`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`parse: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
