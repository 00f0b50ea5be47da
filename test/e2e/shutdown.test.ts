/**
 * Stopping is clean: SIGTERM or SIGINT to `npm start` stops the whole tree (npm → node → FerretDB) and frees
 * the port, so the next start works; a FerretDB left running on the data folder by a killed run is stopped.
 * Runs the real `npm start` on the embedded database (skipped, saying why, when no FerretDB binary is here).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { pino } from 'pino';
import { ferretBinaryPath, freePort, startFerret } from '../../src/db/ferretdb.js';
import { waitFor } from '../support/harness.js';

jest.setTimeout(120_000);

const haveFerret = existsSync(ferretBinaryPath());
if (!haveFerret) process.stdout.write(`shutdown tests skipped: no FerretDB binary at ${ferretBinaryPath()} (npm run build it with src/cli/ensure-ferretdb.ts)\n`);
const maybe = haveFerret ? test : test.skip;

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const listening = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

let dataDir: string;
beforeEach(async () => { dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-stop-')); });
afterEach(async () => { await fs.rm(dataDir, { recursive: true, force: true }); });

async function npmStart(port: number): Promise<{ npmPid: number; ferretPid: number; exited: Promise<void> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', DEMO_SQUARE_SIMULATOR: 'false' };
  delete env.MONGODB_URI;
  const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  await waitFor(() => out.includes('Rouh Actions is running'), `npm start to be running (${out.slice(-300)})`, 90_000, 200);
  const ferretPid = Number((await fs.readFile(path.join(dataDir, 'ferretdb', 'ferretdb.pid'), 'utf8')).trim());
  return { npmPid: child.pid!, ferretPid, exited };
}

describe.each(['SIGTERM', 'SIGINT'] as const)('%s to npm start', (signal) => {
  maybe('stops npm, the app and FerretDB; the port is free and the next start works', async () => {
    const port = await freePort();
    const run = await npmStart(port);
    expect(alive(run.ferretPid)).toBe(true);
    process.kill(run.npmPid, signal);
    await run.exited;
    await waitFor(async () => !(await listening(port)) && !alive(run.ferretPid), 'the port and FerretDB to be released', 20_000, 200);

    const again = await npmStart(port);
    process.kill(again.npmPid, signal);
    await again.exited;
    await waitFor(async () => !(await listening(port)) && !alive(again.ferretPid), 'the second run to stop', 20_000, 200);
  });
});

maybe('a FerretDB left running on the data folder by a killed run is stopped before a new one starts', async () => {
  const logger = pino({ level: 'silent' });
  const dir = path.join(dataDir, 'ferretdb');
  await startFerret(ferretBinaryPath(), dir, logger); // never stopped: as if its parent had been SIGKILLed
  const stale = Number((await fs.readFile(path.join(dir, 'ferretdb.pid'), 'utf8')).trim());
  expect(alive(stale)).toBe(true);
  const fresh = await startFerret(ferretBinaryPath(), dir, logger);
  try {
    await waitFor(() => !alive(stale), 'the stale FerretDB to stop', 10_000);
    const pid = Number((await fs.readFile(path.join(dir, 'ferretdb.pid'), 'utf8')).trim());
    expect(pid).not.toBe(stale);
    expect(alive(pid)).toBe(true);
  } finally {
    await fresh.stop();
  }
});
