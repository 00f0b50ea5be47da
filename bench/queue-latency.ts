/**
 * The engine under load, side by side in one run (each phase on a fresh database of the same server):
 *   paced    one action at a time: submit → executing / completed latency without queueing (BENCH_PACED actions,
 *            default 200 so that p99 is not just the maximum, after 3 uncounted warm-up actions: the first action
 *            of a fresh database creates its collections and fills the process's caches)
 *   burst 4  BENCH_ACTIONS actions from 4 concurrent submitters: throughput
 *   burst 16 the same from 16 submitters
 *   raw      the same database's insert ceiling (small documents, 16 concurrent inserters)
 *   history  burst 4 again after 20,000 finished actions (with executions, status updates, receipts) were
 *            written directly, as stored history
 * plus operations per action (driver command monitoring) and efficiency = actions/s ÷ (raw inserts/s ÷ ops per action),
 * each burst against a raw measurement taken right after it (the load of a shared machine drifts), and CPU ms per
 * action of the embedded database server and of this process (what a shared machine's load disturbs least).
 * The provider is the Square simulator through the real SDK, so "completed" includes a real HTTP order.
 * Knobs: BENCH_ACTIONS (default 200), BENCH_MODE=paced or BENCH_CONCURRENCY=n run that one phase only,
 * BENCH_MODE=burst the two bursts with their raw ceilings (efficiency) only, BENCH_MODE=history the history comparison,
 * BENCH_HISTORY (default 20000). Bounded: every phase stops at its count or after 3 minutes.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { freePort } from '../src/db/ferretdb.js';
import { countOperations, countServerOperations } from '../src/db/op-counter.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/demo.js';
import { demoSquareOptions, demoSquareSignatureKey, pointDemoSquareAt } from '../src/seed/demo-square.js';
import { startService } from '../src/service.js';
import { Action, ActionExecution, ActionStatusUpdate, Integration, Receipt } from '../src/storage/models.js';
import type { ClientReply, ClientRequest } from './client-process.js';

const N = Number(process.env.BENCH_ACTIONS ?? 200);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 20_000);
const PACED = Number(process.env.BENCH_PACED ?? 200);
const pacedPhase = () => phase('paced', { paced: true, warmup: 3, concurrency: 1, n: PACED });
const PHASE_CAP_MS = 3 * 60_000;
const quiet = createLogger('warn');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-bench-'));
const db = process.env.MONGODB_URI ? null : await startEmbeddedDatabase(dir, quiet);
const uri = process.env.MONGODB_URI ?? db!.uri;

/** The submitters and the Square simulator, in their own process (bench/client-process.ts). */
const clientProcess = fork(new URL('./client-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const replies: Array<(r: ClientReply) => void> = [];
clientProcess.on('message', (r: ClientReply) => replies.shift()?.(r));
const client = {
  ask: <K extends ClientReply['kind']>(m: ClientRequest) => new Promise<Extract<ClientReply, { kind: K }>>((resolve) => {
    replies.push(resolve as (r: ClientReply) => void);
    clientProcess.send(m);
  }),
  tell: (m: ClientRequest) => { clientProcess.send(m); },
};
/** Epoch milliseconds with sub-millisecond precision: comparable with the client process's times. */
const now = () => performance.timeOrigin + performance.now();

interface PhaseResult { label: string; submitted: number; completed: number; perSecond: number; opsPerAction: number; toStartP50: number; toStartP99: number; toDoneP50: number; errors: number }

/**
 * CPU seconds the embedded FerretDB has used so far (Linux /proc; null elsewhere or with MONGODB_URI): the cost
 * per action that a busy shared machine disturbs least, unlike throughput.
 */
async function databaseCpuSeconds(): Promise<number | null> {
  if (!db || process.platform !== 'linux') return null;
  const pid = (await fs.readFile(path.join(dir, 'ferretdb', 'ferretdb.pid'), 'utf8').catch(() => '')).trim();
  const stat = pid ? await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null) : null;
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state is field 3
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function phase(label: string, o: { paced?: boolean; warmup?: number; concurrency: number; n: number; history?: number }): Promise<PhaseResult> {
  const port = await freePort();
  const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
  const svc = await startService(config, quiet, { dbName: `bench_${label.replace(/\W/g, '')}_${Date.now()}`, monitorCommands: !!o.paced });
  const creds = await seedDemo(dir, svc.baseUrl);
  const signatureKey = await demoSquareSignatureKey(dir);
  const square = await client.ask<'square'>({ kind: 'start-square', options: demoSquareOptions(creds, config.publicBaseUrl, signatureKey) });
  await pointDemoSquareAt(creds, square, signatureKey);
  await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });
  if (o.history) await writeHistory(o.history, creds);

  const submitted = new Map<string, number>();
  const responded = new Map<string, number>();
  const started = new Map<string, number>();
  const completed = new Map<string, number>();
  svc.bus.subscribe((e) => {
    const at = now();
    if (e.type === 'action.status' && e.status === 'executing' && !started.has(e.actionId)) started.set(e.actionId, at);
    if (e.type === 'action.completed') {
      completed.set(e.actionId, at);
      if (o.paced) client.tell({ kind: 'completed', actionId: e.actionId });
    }
  });
  const deadline = Date.now() + PHASE_CAP_MS;
  let errors = 0;
  const body = JSON.stringify({ itemId: creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk'] }, { name: 'Croissant', quantity: 1 }], customer_name: 'Bench' } });
  const submitAll = async (n: number, paced: boolean) => {
    const ran = await client.ask<'ran'>({ kind: 'run', url: `${svc.baseUrl}/actions`, apiKey: creds.apiKey, body, concurrency: o.concurrency, n, paced, deadline });
    for (const s of ran.submissions) { submitted.set(s.id, s.submittedAt); responded.set(s.id, s.respondedAt); }
    errors += ran.errors;
    return ran.cpuMs / 1000;
  };
  const settle = async () => { while ([...submitted.keys()].some((id) => !completed.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20)); };

  if (o.warmup) { await submitAll(o.warmup, true); await settle(); }
  for (const m of [submitted, responded, started, completed]) m.clear();

  // Operations as the server counts them; the paced phase also lists them by collection (driver command monitoring,
  // which costs the service a second decoding of every reply, so the bursts run without it, as production does).
  const serverOps = await countServerOperations(svc.db.connection);
  const ops = o.paced ? countOperations(svc.db.connection) : null;
  const cpu0 = { db: await databaseCpuSeconds(), node: process.cpuUsage() };
  const t = performance.now();
  const clientCpu = await submitAll(o.n, !!o.paced);
  await settle();
  const wall = performance.now() - t;
  await new Promise((r) => setTimeout(r, 500)); // notifications after completion
  ops?.stop();
  const counted = await serverOps.stop();
  const dbCpu = cpu0.db === null ? null : (await databaseCpuSeconds())! - cpu0.db;
  const nodeCpu = process.cpuUsage(cpu0.node);

  const delays = (m: Map<string, number>) => [...m].filter(([id]) => submitted.has(id)).map(([id, at]) => at - submitted.get(id)!);
  const toStart = delays(started);
  const toDone = delays(completed);
  const perSecond = completed.size / (wall / 1000);
  const opsPerAction = counted.total / Math.max(1, completed.size);
  console.log(`\n[${label}]`);
  console.log(`actions: ${submitted.size} submitted, ${toStart.length} started, ${toDone.length} completed via the Square simulator; ${o.paced ? 'paced (one at a time)' : `${o.concurrency} concurrent submitters`}; ${perSecond.toFixed(1)} actions/s; ${errors} errors${o.warmup ? ` (after ${o.warmup} warm-up actions, not counted)` : ''}`);
  console.log(`POST /actions → 201: p50 ${ms(pct(delays(responded), 50))}  p99 ${ms(pct(delays(responded), 99))}`);
  console.log(`submit → executing: p50 ${ms(pct(toStart, 50))}  p99 ${ms(pct(toStart, 99))}  max ${ms(Math.max(...toStart))}`);
  console.log(`submit → completed: p50 ${ms(pct(toDone, 50))}  p99 ${ms(pct(toDone, 99))}  max ${ms(Math.max(...toDone))}`);
  const perAction = (m: Record<string, number>, top = 60) => JSON.stringify(Object.fromEntries(Object.entries(m).slice(0, top).map(([k, v]) => [k, +(v / Math.max(1, completed.size)).toFixed(2)])));
  console.log(`ops per action: ${opsPerAction.toFixed(1)} (the server's command counts) ${perAction(counted.byCommand)}`);
  if (ops) {
    console.log(`  by collection (driver command monitoring): ${perAction(ops.byKey())}`);
    console.log(`  database ms per action (command sent → reply, summed): ${perAction(ops.msByKey(), 8)}`);
  }
  const perActionMs = (seconds: number) => (1000 * seconds / Math.max(1, completed.size)).toFixed(2);
  console.log(`CPU ms per action: database server ${dbCpu === null ? 'n/a' : perActionMs(dbCpu)}, service process ${perActionMs((nodeCpu.user + nodeCpu.system) / 1e6)}, client process (submitters, Square simulator) ${perActionMs(clientCpu)}`);
  if (o.history) {
    // What a customer's "where is my order" costs once history is stored: the status of finished actions.
    const reads: number[] = [];
    for (const id of [...completed.keys()].slice(0, 50)) {
      const t0 = performance.now();
      const res = await fetch(`${svc.baseUrl}/actions/${id}/status`, { headers: { authorization: `Bearer ${creds.apiKey}` } });
      await res.text();
      if (res.status === 200) reads.push(performance.now() - t0);
    }
    console.log(`GET /actions/:id/status of a finished action (${o.history} more stored): p50 ${ms(pct(reads, 50))}  p99 ${ms(pct(reads, 99))} (${reads.length} reads)`);
    // Reads by other fields, as the chat's "where's my order" and "is DC-n ready" make them (not by _id).
    const scope = { spaceId: creds.spaceId };
    const timed = async (f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
    const latest = await timed(() => svc.services.actions.list({ ...scope, userId: 'bench' }, { limit: 5 }));
    const someNumber = (await svc.services.actions.list(scope, { limit: 1 })).actions[0]?.orderNumber ?? 'DC-1';
    const byNumber = await timed(() => svc.services.actions.statusByOrderNumber(scope, someNumber));
    console.log(`a customer's latest 5 actions (of the ${submitted.size} they placed): ${ms(latest)}; status by order number: ${ms(byNumber)} (one read each)`);
  }
  const { orders } = await client.ask<'square-stopped'>({ kind: 'stop-square' });
  console.log(`square simulator orders: ${orders}`);
  await mongoose.connection.dropDatabase().catch(() => undefined);
  await svc.close();
  return { label, submitted: submitted.size, completed: completed.size, perSecond, opsPerAction, toStartP50: pct(toStart, 50), toStartP99: pct(toStart, 99), toDoneP50: pct(toDone, 50), errors };
}

/** Finished actions as stored history: written directly (not run through the engine), in batches. */
async function writeHistory(count: number, creds: { spaceId: string; providerId: string; itemId: string }): Promise<void> {
  const t = performance.now();
  const day = Date.now() - 24 * 3600_000;
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
      const _id = new mongoose.Types.ObjectId();
      const at = new Date(day + (i + j) * 1000);
      const action = {
        _id, spaceId: creds.spaceId, userId: 'history', itemId: creds.itemId, providerId: creds.providerId, type: 'order',
        parameters: { items: [{ name: 'Latte', quantity: 1 }] },
        order: { lines: [{ sku: 'latte', name: 'Latte', quantity: 1, unitPriceCents: 450, modifiers: [], lineTotalCents: 450 }], totalCents: 450, currency: 'USD', pickupAt: null, customerName: 'History', customerPhone: null, specialInstructions: null },
        origin: { channel: 'api', ref: null }, chain: [{ integrationId: null, type: 'api', name: 'square' }],
        status: 'completed', phase: 'done', stepSeq: 2, orderNumber: `DC-H${i + j}`, completedAt: at, createdAt: at, updatedAt: at,
      };
      return {
        action,
        execution: { _id: `${_id.toString()}:0:1`, actionId: _id, spaceId: creds.spaceId, handlerType: 'api', handlerName: 'square', chainIndex: 0, attempt: 1, idempotencyKey: `${_id.toString()}:square`, status: 'completed', startedAt: at, finishedAt: at, runs: 1 },
        updates: ['queued', 'executing', 'completed'].map((status, k) => ({ _id: `${_id.toString()}:${k === 0 ? 'created' : k - 1}`, actionId: _id, spaceId: creds.spaceId, status, message: status, timestamp: at, events: [] })),
        receipt: { _id, actionId: _id, spaceId: creds.spaceId, status: 'issued', receiptNumber: `RCP-H${i + j}`, data: { total_cents: 450 } },
      };
    });
    await Promise.all([
      Action.collection.insertMany(batch.map((b) => b.action) as never[]),
      ActionExecution.collection.insertMany(batch.map((b) => b.execution) as never[]),
      ActionStatusUpdate.collection.insertMany(batch.flatMap((b) => b.updates) as never[]),
      Receipt.collection.insertMany(batch.map((b) => b.receipt) as never[]),
    ]);
  }
  console.log(`\nhistory: ${count} finished actions (+ executions, ${count * 3} status updates, receipts) written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** The database's own ceiling: small documents inserted by 16 concurrent inserters for a few seconds. */
async function rawInsertCeiling(): Promise<number> {
  const conn = await mongoose.createConnection(uri, { dbName: `bench_raw_${Date.now()}` }).asPromise();
  const coll = conn.db!.collection('raw');
  const stopAt = Date.now() + 5000;
  let n = 0;
  const cpu0 = { db: await databaseCpuSeconds(), node: process.cpuUsage() };
  const t = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (Date.now() < stopAt && n < 20_000) { n++; await coll.insertOne({ n, at: new Date(), payload: 'x'.repeat(200) }); }
  }));
  const perSecond = n / ((performance.now() - t) / 1000);
  const dbCpu = cpu0.db === null ? null : (await databaseCpuSeconds())! - cpu0.db;
  const nodeCpu = process.cpuUsage(cpu0.node);
  await conn.dropDatabase();
  await conn.close();
  console.log(`\n[raw] ${n} single-document inserts from 16 inserters: ${perSecond.toFixed(0)} inserts/s; CPU ms per insert: database server ${dbCpu === null ? 'n/a' : (1000 * dbCpu / n).toFixed(3)}, this process ${((nodeCpu.user + nodeCpu.system) / 1000 / n).toFixed(3)}`);
  return perSecond;
}

console.log(`database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded'}; ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on this machine slows every figure)`);
if (process.env.BENCH_MODE === 'paced') await pacedPhase();
else if (process.env.BENCH_MODE === 'history') {
  // The history comparison alone: burst 4 on an empty database, then burst 4 after HISTORY finished actions.
  const empty = await phase('burst 4', { concurrency: 4, n: N });
  const history = await phase(`history (${HISTORY} finished actions stored), burst 4`, { concurrency: 4, n: N, history: HISTORY });
  console.log(`\nhistory p50 ÷ empty p50 (submit → completed, burst 4): ${(history.toDoneP50 / empty.toDoneP50).toFixed(2)} (${ms(history.toDoneP50)} ÷ ${ms(empty.toDoneP50)}); ${history.perSecond.toFixed(1)} vs ${empty.perSecond.toFixed(1)} actions/s`);
}
else if (process.env.BENCH_CONCURRENCY) await phase(`burst ${process.env.BENCH_CONCURRENCY}`, { concurrency: Number(process.env.BENCH_CONCURRENCY), n: N });
else {
  // BENCH_MODE=burst: the two bursts and their raw ceilings only (the efficiency comparison, in a minute or two).
  const burstsOnly = process.env.BENCH_MODE === 'burst';
  const paced = burstsOnly ? null : await pacedPhase();
  // Not counted: the first phase of a process also pays for compiling its code.
  if (burstsOnly) await phase('warm-up', { concurrency: 4, n: Math.min(N, 50) });
  // The machine's load drifts over minutes (other work): each burst gets its own raw-insert measurement,
  // taken right after it, and efficiency compares the two.
  const b4 = await phase('burst 4', { concurrency: 4, n: N });
  const raw4 = await rawInsertCeiling();
  const b16 = await phase('burst 16', { concurrency: 16, n: N });
  const raw16 = await rawInsertCeiling();
  const history = burstsOnly ? null : await phase(`history (${HISTORY} finished actions stored), burst 4`, { concurrency: 4, n: N, history: HISTORY });
  const rawH = history ? await rawInsertCeiling() : 0;
  const efficiency = (r: PhaseResult, raw: number) => (100 * r.perSecond) / (raw / r.opsPerAction);
  console.log('\nsummary');
  if (paced) console.log(`paced (${paced.completed} actions): submit → executing p50 ${ms(paced.toStartP50)} p99 ${ms(paced.toStartP99)}, submit → completed p50 ${ms(paced.toDoneP50)}`);
  for (const [r, raw] of [[b4, raw4], [b16, raw16], ...(history ? [[history, rawH] as const] : [])] as const) {
    console.log(`${r.label}: ${r.completed}/${r.submitted} completed, ${r.errors} errors, ${r.perSecond.toFixed(1)} actions/s, ${r.opsPerAction.toFixed(1)} ops/action, raw ${raw.toFixed(0)} inserts/s, efficiency ${efficiency(r, raw).toFixed(0)}%, submit → completed p50 ${ms(r.toDoneP50)}`);
  }
  if (history) console.log(`history p50 ÷ empty p50 (submit → completed, burst 4): ${(history.toDoneP50 / b4.toDoneP50).toFixed(2)}`);
}

clientProcess.disconnect();
await db?.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(0);
