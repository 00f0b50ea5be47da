/**
 * Queue latency: how long from POST /actions until a worker starts executing the action
 * (the "executing" status event), and until it completes, over a few hundred actions on one node.
 * The provider is the Square simulator through the real SDK, so "completed" includes a real HTTP order.
 * Bounded: N actions (BENCH_ACTIONS, default 300), at most BENCH_CONCURRENCY submitters, 5-minute cap.
 * BENCH_MODE=paced submits one action at a time and waits for it to complete (latency on an idle node).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { freePort } from '../src/db/ferretdb.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/demo.js';
import { startDemoSquare } from '../src/seed/demo-square.js';
import { startService } from '../src/service.js';
import { Integration } from '../src/storage/models.js';
import { countOperations } from '../src/db/op-counter.js';

const N = Number(process.env.BENCH_ACTIONS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** paced: one action at a time, each submitted after the previous completed (latency without queueing). */
const PACED = process.env.BENCH_MODE === 'paced';
const DEADLINE = Date.now() + 5 * 60_000;

const quiet = createLogger('warn');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-bench-'));
const db = process.env.MONGODB_URI ? null : await startEmbeddedDatabase(dir, quiet);
const port = await freePort();
const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? db!.uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
const svc = await startService(config, quiet, { dbName: `bench_${Date.now()}` });
const creds = await seedDemo(dir, svc.baseUrl);
const square = await startDemoSquare(creds, config.publicBaseUrl);
await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });

const submitted = new Map<string, number>();
const responded = new Map<string, number>();
const started = new Map<string, number>();
const completed = new Map<string, number>();
svc.bus.subscribe((e) => {
  const at = performance.now();
  if (e.type === 'action.status' && e.status === 'executing' && !started.has(e.actionId)) started.set(e.actionId, at);
  if (e.type === 'action.completed') completed.set(e.actionId, at);
});

const body = JSON.stringify({ itemId: creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk'] }, { name: 'Croissant', quantity: 1 }], customer_name: 'Bench' } });
async function submit(): Promise<void> {
  const t0 = performance.now();
  const res = await fetch(`${svc.baseUrl}/actions`, { method: 'POST', body, headers: { authorization: `Bearer ${creds.apiKey}`, 'x-user-id': 'bench', 'content-type': 'application/json' } });
  if (res.status !== 201) throw new Error(`POST /actions → ${res.status} ${await res.text()}`);
  const id = ((await res.json()) as { action: { id: string } }).action.id;
  submitted.set(id, t0);
  responded.set(id, performance.now());
  while (PACED && !completed.has(id) && Date.now() < DEADLINE) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ops = countOperations(svc.db.connection);
const t = performance.now();
let next = 0;
await Promise.all(Array.from({ length: PACED ? 1 : CONCURRENCY }, async () => {
  while (next < N && Date.now() < DEADLINE) { next++; await submit(); }
}));
while (completed.size < submitted.size && Date.now() < DEADLINE) {
  await new Promise((r) => setTimeout(r, 20));
}
const wall = performance.now() - t;

const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const delays = (m: Map<string, number>) => [...m].filter(([id]) => submitted.has(id)).map(([id, at]) => at - submitted.get(id)!);
const toStart = delays(started);
const toDone = delays(completed);
const f = (x: number) => `${x.toFixed(1)} ms`;
console.log(`actions: ${submitted.size} submitted, ${toStart.length} started, ${toDone.length} completed via the Square simulator; ${PACED ? 'paced (one at a time)' : `${CONCURRENCY} concurrent submitters`}; ${(submitted.size / (wall / 1000)).toFixed(1)} actions/s`);
console.log(`POST /actions → 201: p50 ${f(pct(delays(responded), 50))}  p99 ${f(pct(delays(responded), 99))}`);
console.log(`submit → executing: p50 ${f(pct(toStart, 50))}  p99 ${f(pct(toStart, 99))}  max ${f(Math.max(...toStart))}`);
console.log(`submit → completed: p50 ${f(pct(toDone, 50))}  p99 ${f(pct(toDone, 99))}  max ${f(Math.max(...toDone))}`);
await new Promise((r) => setTimeout(r, 1500));
console.log(`ops per action: ${(ops.total() / Math.max(1, completed.size)).toFixed(1)}`, JSON.stringify(Object.fromEntries(Object.entries(ops.byKey()).map(([k, v]) => [k, +(v / Math.max(1, completed.size)).toFixed(2)]))));
console.log(`square simulator orders: ${square.orders().length}`);
if (process.env.BENCH_COUNTS) {
  const { default: mongoose } = await import('mongoose');
  for (const c of await mongoose.connection.db!.listCollections().toArray()) console.log(c.name, await mongoose.connection.db!.collection(c.name).countDocuments());
}

await square.close();
await svc.close();
await db?.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(0);
