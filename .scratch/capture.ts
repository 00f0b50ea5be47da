import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { freePort } from '../src/db/ferretdb.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/demo.js';
import { startDemoSquare } from '../src/seed/demo-square.js';
import { startService } from '../src/service.js';
import { Integration } from '../src/storage/models.js';

const quiet = createLogger('warn');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-cap-'));
const db = await startEmbeddedDatabase(dir, quiet);
const port = await freePort();
const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: db.uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
const svc = await startService(config, quiet, { dbName: 'cap' });
const creds = await seedDemo(dir, svc.baseUrl);
const square = await startDemoSquare(creds, config.publicBaseUrl, config.dataDir);
await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });
const body = JSON.stringify({ itemId: creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk'] }, { name: 'Croissant', quantity: 1 }], customer_name: 'Bench' } });
let done = 0;
svc.bus.subscribe((e) => { if (e.type === 'action.completed') done++; });
for (let i = 0; i < 3; i++) await fetch(`${svc.baseUrl}/actions`, { method: 'POST', body, headers: { authorization: `Bearer ${creds.apiKey}`, 'x-user-id': 'bench', 'content-type': 'application/json' } });
while (done < 3) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 300));
const c = (n: string) => mongoose.connection.db!.collection(n);
const action = await c('actions').findOne({});
const out: Record<string, unknown> = {
  final: action,
  live: { ...action, phase: 'ready', status: 'queued', completedAt: null, orderNumber: null },
  execution: await c('actionexecutions').findOne({}),
  statusCreated: await c('actionstatusupdates').findOne({ status: 'queued' }),
  statusCompleted: await c('actionstatusupdates').findOne({ status: 'completed' }),
  transitionRunning: await c('transitions').findOne({ seq: 0 }),
  transitionCompleted: await c('transitions').findOne({ seq: 1 }),
  receipt: await c('receipts').findOne({}),
  externalRef: await c('externalrefs').findOne({}),
  orderNumber: await c('ordernumbers').findOne({}),
  allocation: await c('ordernumberallocations').findOne({}),
};
for (const v of Object.values(out)) delete (v as Record<string, unknown>)._id;
await fs.writeFile('/tmp/effic/templates.json', JSON.stringify(out, null, 1));
for (const [k, v] of Object.entries(out)) console.log(k, JSON.stringify(v).length);
await square.close(); await svc.close(); await db.stop();
process.exit(0);
