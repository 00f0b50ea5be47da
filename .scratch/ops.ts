/** Scratch: FerretDB CPU per operation kind, with documents shaped like the engine's (not committed). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-ops-'));
const db = await startEmbeddedDatabase(dir, createLogger('warn'));
const conn = await mongoose.createConnection(db.uri, { dbName: 'ops' }).asPromise();
const d = conn.db!;
const cpu = async () => {
  const pid = (await fs.readFile(path.join(dir, 'ferretdb', 'ferretdb.pid'), 'utf8')).trim();
  const f = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const tmpl = JSON.parse(await fs.readFile(process.env.TEMPLATES ?? '/tmp/effic/templates.json', 'utf8'), (k, v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? new Date(v) : v));
const N = Number(process.env.N ?? 1500);
const C = Number(process.env.C ?? 8);
async function measure(label: string, op: (i: number) => Promise<unknown>, n = N) {
  if (process.env.ONLY && !label.includes(process.env.ONLY) && !label.startsWith('insert live action')) { for (let i = 0; i < (label.startsWith('insert live') ? n : 0); i++) await op(i); return; }
  if (process.env.ONLY && !label.startsWith('insert live action')) await profile(label);
  const c0 = await cpu(); const t = performance.now(); let i = 0;
  await Promise.all(Array.from({ length: C }, async () => { while (i < n) await op(i++); }));
  const c1 = await cpu();
  console.log(`${label.padEnd(58)} ${((c1 - c0) / n).toFixed(3)} ms db CPU/op  ${(n / ((performance.now() - t) / 1000)).toFixed(0)} ops/s`);
}
async function profile(label: string) {
  const pid = (await fs.readFile(path.join(dir, 'ferretdb', 'ferretdb.pid'), 'utf8')).trim();
  const { execSync } = await import('node:child_process');
  const ports = execSync(`ss -ltnp | grep "pid=${pid}," | awk '{print $4}' | cut -d: -f2`).toString().trim().split('\n');
  for (const p of ports) {
    const ok = await fetch(`http://127.0.0.1:${p}/debug/pprof/`).then((r) => r.ok, () => false);
    if (ok) { void fetch(`http://127.0.0.1:${p}/debug/pprof/profile?seconds=${process.env.PSECS ?? 5}`).then((r) => r.arrayBuffer()).then((b) => fs.writeFile(`/tmp/effic/op-${label.replace(/\W+/g, '_').slice(0, 30)}.prof`, Buffer.from(b))); return; }
  }
}
const oid = () => new mongoose.Types.ObjectId();
await measure('insert small {n, at, payload 200}', (n) => d.collection('raw').insertOne({ n, at: new Date(), payload: 'x'.repeat(200) }));
for (const [name, doc] of Object.entries(tmpl as Record<string, Record<string, unknown>>)) {
  const size = JSON.stringify(doc).length;
  await measure(`insert ${name} (${size} B json)`, (i) => d.collection(`t_${name}`).insertOne({ ...doc, _id: `${name}-${i}` } as never));
}
// live action: N docs present (backlog), update by {_id, stepSeq}, delete by _id
const live = tmpl.live as Record<string, unknown>;
const ids = Array.from({ length: N }, () => oid());
await measure('insert live action', (i) => d.collection('live').insertOne({ ...live, _id: ids[i]!, stepSeq: 0 } as never));
await measure(`update live {_id, stepSeq} $set 5 fields (${N} docs)`, (i) => d.collection('live').updateOne({ _id: ids[i]!, stepSeq: 0 }, { $set: { stepSeq: 1, phase: 'running', status: 'executing', leaseUntil: new Date(), wakeAt: new Date() } }));
await measure(`update live {_id} $set 5 fields`, (i) => d.collection('live').updateOne({ _id: ids[i]! }, { $set: { stepSeq: 2, phase: 'running', status: 'executing', leaseUntil: new Date(), wakeAt: new Date() } }));
await measure(`find live {_id}`, (i) => d.collection('live').findOne({ _id: ids[i]! }));
await measure(`delete live {_id}`, (i) => d.collection('live').deleteOne({ _id: ids[i]! }));
// executions live: ~10 docs present
const ex = tmpl.execution as Record<string, unknown>;
for (let k = 0; k < 10; k++) await d.collection('exl').insertOne({ ...ex, _id: `keep-${k}`, actionId: oid() } as never);
const aids = Array.from({ length: N }, () => oid());
await measure('insert execution live (10 others)', (i) => d.collection('exl').insertOne({ ...ex, _id: `e-${i}`, actionId: aids[i]! } as never));
await measure(`update execution {_id} $set result (${N + 10} docs)`, (i) => d.collection('exl').updateOne({ _id: `e-${i}` }, { $set: { status: 'completed', result: { kind: 'completed', externalRef: 'sq_123', orderNumber: null }, finishedAt: new Date(), durationMs: 12 } }));
await d.collection('exl').deleteMany({ _id: { $regex: '^e-' } });
await measure('insert+find{actionId}+deleteMany{actionId} exec (10 others) /3', async (i) => {
  await d.collection('exl').insertOne({ ...ex, _id: `f-${i}`, actionId: aids[i]! } as never);
  await d.collection('exl').find({ actionId: aids[i]! }).toArray();
  await d.collection('exl').deleteMany({ actionId: aids[i]! });
}, N);
await conn.close();
await db.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(0);
