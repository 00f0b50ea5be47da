// The parser CLI's contract (see README "Chat parser"): JSON lines in, one JSON line out per input,
// and a line without an id is an error on stderr with a non-zero exit.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const CATALOG = path.resolve(process.cwd(), 'test/parser/cases/catalog-cafe.json');

function runCli(stdin: string): { status: number | null; stdout: string[]; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/parser/cli.ts', '--catalog', CATALOG, '--now', '2026-01-15T14:00:00.000Z'], {
    input: stdin,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout.split('\n').filter((l) => l.trim()), stderr: result.stderr };
}

describe('parser CLI', () => {
  it('answers every line by id', () => {
    const { status, stdout } = runCli('{"id":"a","text":"2 lattes for 9:30"}\n{"id":7,"text":"/status"}\n');
    expect(status).toBe(0);
    const byId = new Map(stdout.map((line) => JSON.parse(line) as { id: string; intent: string; pickup_time: string | null }).map((o) => [o.id, o]));
    expect(byId.get('a')).toMatchObject({ intent: 'order', pickup_time: '2026-01-15T14:30:00.000Z' });
    expect(byId.get('7')).toMatchObject({ intent: 'status' });
  });

  it('reports a line without an id on stderr, still answers the others, and exits 1', () => {
    const { status, stdout, stderr } = runCli('{"text":"2 lattes"}\n{"id":"b","text":"a mocha"}\n');
    expect(status).toBe(1);
    expect(stdout.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['b']);
    expect(stderr).toContain('line 1: missing "id"');
  });
});
