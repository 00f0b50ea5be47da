/**
 * FerretDB 1.24.2 as the embedded MongoDB-wire server when no MongoDB binary is available.
 * Built once from the Go module proxy into a cache folder (the module zip lacks build/version/version.txt,
 * which FerretDB's build embeds, so we add it before `go build`), with FERRET_PATCHES applied.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);
export const FERRETDB_VERSION = 'v1.24.2';

/**
 * Our changes to FerretDB's source, applied before the build. Each must match exactly once, or the build stops
 * (a new FerretDB version needs them checked again). Changing the list changes BUILD_TAG, so caches rebuild.
 */
export const FERRET_PATCHES: ReadonlyArray<{ file: string; from: string; to: string; why: string }> = [{
  file: 'internal/backends/sqlite/metadata/metadata.go',
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: 'IDColumn = DefaultColumn + `->"_id"`',
  // SQLite uses an expression index only for the very expression it was built on. The `_id` index is on
  // `_ferretdb_sjson->"_id"`, but finds, updates and deletes by `_id` asked for `->'$._id'` (same value), so
  // each one scanned the table: at 10,000 documents a find by _id took 11 ms and an update 32 ms; now 0.8 and 1.4.
  why: 'lookups by _id use the _id index',
}, {
  file: 'internal/backends/sqlite/collection.go',
  from: 'if params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause',
  to: 'if params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\twhereClause',
  // FerretDB asks SQLite for the one document only when the filter is exactly {_id: value}; {_id, stepSeq} (every
  // transition of a live action, every lease renewal) read and decoded the whole collection instead. Narrowing
  // to that _id is safe with any other conditions: the handler filters what the query returns in memory anyway
  // (and sets no SQL LIMIT when there is a filter).
  why: 'a filter with _id and other fields reads only that document',
}, {
  file: 'internal/backends/sqlite/collection.go',
  from: 'if params.Filter.Len() == 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = true',
  to: 'if params.Filter.Len() >= 1 {\n\t\tv, _ := params.Filter.Get("_id")\n\t\tswitch v.(type) {\n\t\tcase string, types.ObjectID:\n\t\t\tfilterPushdown = params.Filter.Len() == 1',
  // The same in explain(), so its plan shows what the query does; "filterPushdown" stays true only when SQLite
  // applied the whole filter.
  why: 'explain() shows the _id narrowing of a filter with other fields',
}, {
  file: 'internal/backends/sqlite/collection.go',
  from: '\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n',
  to: '\tif whereClause == "" {\n\t\twhereClause, args = scalarPrefilter(params.Filter)\n\t}\n\n\tq += whereClause\n\tq += prepareOrderByClause(params.Sort)\n',
  // Any filter without an _id value made FerretDB decode every document of the collection in Go and filter in
  // memory (a customer's latest orders, or an order by its number, took 2.5 s with 20,000 finished actions).
  // SQLite now keeps only the rows whose top-level fields hold the filter's string or ObjectID values — or hold
  // an array, which may contain them — before anything is decoded. That is a superset of the matches: the
  // handler still applies the whole filter to what is returned, and sets no SQL LIMIT when there is a filter.
  // Where the field has a single-field index, SQLite reads the index instead of the table (its expression is
  // the one FerretDB indexes). scalarPrefilter is in ferretdb-src/rouh_prefilter.go.
  why: 'a filter on string or ObjectID fields is narrowed by SQLite before documents are decoded',
}, {
  file: 'internal/backends/sqlite/collection.go',
  from: '\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""\n',
  to: '\tif whereClause == "" {\n\t\twhereClause, args = scalarPrefilter(params.Filter)\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""\n',
  // The same narrowing in explain(), so its plan shows whether SQLite reads an index ("SEARCH … USING INDEX") or
  // the whole table ("SCAN") for a filter; filterPushdown stays false (the handler still applies the filter).
  why: 'explain() shows the narrowing of a filter on string or ObjectID fields',
}, {
  file: 'internal/util/resource/resource.go',
  from: 'func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)',
  to: 'func Track(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n\tcheckArgs(obj, token)',
  // FerretDB's leak checker records a stack trace (pprof profile entry) and sets a finalizer for every iterator,
  // row set and transaction it creates, release builds too: ~4% of its CPU under our load, ~10% of a find.
  // Kept for debug builds (built with the ferretdb_debug tag), where a leak should panic.
  why: 'no leak-tracking stack trace per iterator in release builds',
}, {
  file: 'internal/util/resource/resource.go',
  from: 'func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)',
  to: 'func Untrack(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n\tcheckArgs(obj, token)',
  why: 'nothing to untrack when Track kept nothing',
}];
/** Whole files we add to FerretDB's source (from src/db/ferretdb-src/), where a change is more than a line or two. */
const FERRET_SRC = fileURLToPath(new URL('./ferretdb-src/', import.meta.url));
export const FERRET_FILES: ReadonlyArray<{ file: string; from: string }> = [
  { file: 'internal/backends/sqlite/rouh_prefilter.go', from: 'rouh_prefilter.go' }, // scalarPrefilter, used by a patch above
];
const BUILD_TAG = `${FERRETDB_VERSION}-rouh-${createHash('sha256')
  .update(JSON.stringify(FERRET_PATCHES))
  .update(FERRET_FILES.map((f) => readFileSync(path.join(FERRET_SRC, f.from), 'utf8')).join('\n'))
  .digest('hex').slice(0, 8)}`;

export function ferretCacheDir(): string {
  return process.env.ROUH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'rouh-actions');
}

export function ferretBinaryPath(): string {
  return process.env.FERRETDB_BIN ?? path.join(ferretCacheDir(), `ferretdb-${BUILD_TAG}`, 'ferretdb');
}

async function hasGo(): Promise<boolean> {
  try {
    await run('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A build lock older than this is left over from a killed build. */
const STALE_BUILD_LOCK_MS = 20 * 60_000;
const PROGRESS_EVERY_MS = 15_000;

/**
 * Returns the binary path, building it first if needed; null when it cannot be had here (no Go).
 * One build at a time per cache folder (a lock file): a second process waits for the first one's binary.
 */
export async function ensureFerretBinary(logger: Logger): Promise<string | null> {
  const bin = ferretBinaryPath();
  if (existsSync(bin)) return bin;
  if (!(await hasGo())) return null;
  await fs.mkdir(path.dirname(bin), { recursive: true });
  const lock = `${bin}.build-lock`;
  const started = Date.now();
  let lastNote = 0;
  for (;;) {
    if (existsSync(bin)) return bin;
    try {
      await (await fs.open(lock, 'wx')).close();
      break;
    } catch {
      const age = Date.now() - (await fs.stat(lock).then((st) => st.mtimeMs, () => Date.now()));
      if (age > STALE_BUILD_LOCK_MS) { await fs.rm(lock, { force: true }); continue; }
      if (Date.now() - lastNote >= PROGRESS_EVERY_MS) {
        lastNote = Date.now();
        logger.info(`Waiting for another process's FerretDB build (${lock}), ${Math.round((Date.now() - started) / 1000)} s...`);
      }
      await sleep(1000);
    }
  }
  try {
    if (existsSync(bin)) return bin;
    await buildFerret(bin, logger);
    return bin;
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function buildFerret(bin: string, logger: Logger): Promise<void> {
  logger.info(`Building FerretDB ${FERRETDB_VERSION} (with our ${FERRET_PATCHES.length} source patch(es)) with Go into ${path.dirname(bin)} (first run only: 1-5 minutes, ~1 GB of Go module and build caches)...`);
  const started = Date.now();
  let stage = 'downloading the FerretDB module and its dependencies';
  const progress = setInterval(() => logger.info(`Still building FerretDB: ${stage} (${Math.round((Date.now() - started) / 1000)} s)`), PROGRESS_EVERY_MS);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ferretdb-src-'));
  try {
    const { stdout } = await run('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { maxBuffer: 16 << 20 });
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    await fs.cp(moduleDir, work, { recursive: true });
    await run('chmod', ['-R', 'u+w', work]);
    await fs.writeFile(path.join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    await applyPatches(work);
    stage = 'compiling';
    const tmpBin = `${bin}.${process.pid}.tmp`;
    await run('go', ['build', '-o', tmpBin, './cmd/ferretdb'], { cwd: work, maxBuffer: 64 << 20, env: { ...process.env, CGO_ENABLED: '0' } });
    await fs.rename(tmpBin, bin);
  } finally {
    clearInterval(progress);
    await fs.rm(work, { recursive: true, force: true });
  }
  logger.info(`FerretDB built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Applies FERRET_PATCHES and adds FERRET_FILES to a copy of FerretDB's source; throws when a patch no longer matches exactly once. */
export async function applyPatches(sourceDir: string): Promise<void> {
  for (const f of FERRET_FILES) await fs.copyFile(path.join(FERRET_SRC, f.from), path.join(sourceDir, f.file));
  for (const p of FERRET_PATCHES) {
    const file = path.join(sourceDir, p.file);
    const text = await fs.readFile(file, 'utf8');
    const found = text.split(p.from).length - 1;
    if (found !== 1) throw new Error(`FerretDB patch "${p.why}" expects its text once in ${p.file}, found ${found} times`);
    await fs.writeFile(file, text.replace(p.from, () => p.to));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The port FerretDB bound, from its log line `msg="Listening on TCP 127.0.0.1:<port>..."`: it is started on port 0,
 * so no other process can take the port between our choosing it and FerretDB binding it (and answer in its place).
 */
export function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (err: Error | null, port?: number) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    };
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      const m = /Listening on TCP 127\.0\.0\.1:(\d+)\D/.exec(seen); // the whole number: a write may end mid-line
      if (m) done(null, Number(m[1]));
    };
    const onExit = (code: number | null) => done(new Error(`FerretDB exited with code ${code} before listening: ${seen.trim().split('\n').at(-1) ?? ''}`));
    const timer = setTimeout(() => done(new Error(`FerretDB did not listen within ${timeoutMs} ms`)), timeoutMs);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface RunningServer { uri: string; stop(): Promise<void> }

/**
 * A FerretDB left running on this data folder by a run that did not stop cleanly (killed with SIGKILL, say)
 * holds the SQLite files and a port: stop it before starting our own. It is recognised by its pid file and
 * by its command line naming this state folder, so an unrelated process that reused the pid is left alone.
 */
async function stopStaleFerret(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'ferretdb.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  const alive = cmdline === null ? isAlive(pid) && process.platform !== 'linux' : cmdline.includes('ferretdb') && cmdline.includes(`--state-dir=${dataDir}`);
  if (alive) {
    logger.warn({ pid }, 'stopping a FerretDB left running on this data folder by an earlier run');
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await fs.rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startFerret(bin: string, dataDir: string, logger: Logger): Promise<RunningServer> {
  await fs.mkdir(dataDir, { recursive: true });
  await stopStaleFerret(dataDir, logger);
  const child = spawn(bin, [
    // WAL + synchronous=NORMAL: durable across process crashes (the case we design for); a power cut may lose
    // the last commits. FULL (the default) fsyncs every write and made writes ~10x slower here.
    '--handler=sqlite', `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`, '--listen-addr=127.0.0.1:0', `--state-dir=${dataDir}`,
    // INFO: the line that says which port it bound (see listeningPort); its other lines are few (start and stop).
    '--debug-addr=127.0.0.1:0', '--telemetry=disable', '--log-level=INFO', '--log-format=text',
    // Go's garbage collector ran at every doubling of a ~15 MB live heap, ~10% of FerretDB's CPU: letting the heap
    // grow 5x between collections cut its CPU per action by ~25% (peak memory 58 -> 74 MB). GOGC set by the user wins.
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GOGC: process.env.GOGC ?? '400' } });
  child.stderr?.on('data', (chunk: Buffer) => logger.debug({ ferretdb: chunk.toString().trim() }, 'ferretdb'));
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const pidFile = path.join(dataDir, 'ferretdb.pid');
  if (child.pid) await fs.writeFile(pidFile, `${child.pid}\n`);
  const port = await listeningPort(child, 30_000).catch((err: Error) => { child.kill('SIGKILL'); throw err; });
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    async stop() {
      process.off('exit', onExit);
      await fs.rm(pidFile, { force: true });
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}
