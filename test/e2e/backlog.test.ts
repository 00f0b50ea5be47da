/**
 * The queue always drains: a backlog of actions already due when three worker processes start (no crash, no kill).
 * Every action completes, and no step runs twice: the POS sees each idempotency key once, and every
 * execution record shows a single run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { startEmbeddedDatabase } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import mongoose from 'mongoose';
import { Action, ActionExecution, ActionLive, Receipt } from '../../src/storage/models.js';
import { startTestService, waitFor, type TestService } from '../support/harness.js';
import { addPosIntegration, startPos, type TestPos } from '../support/pos.js';
import { Workers, workerEnv } from '../support/workers.js';

jest.setTimeout(600_000);
/**
 * The size: 500 due actions. It drained in 125–182 s on the embedded FerretDB of a 2-core machine at load
 * average ~20 (a step's writes touch only live-sized collections, so finishing actions does not slow the rest).
 * BACKLOG_ACTIONS=n runs another size.
 */
const BACKLOG = Number(process.env.BACKLOG_ACTIONS ?? 500);

let svc: TestService;
let pos: TestPos;
const workers = new Workers();

let ownDb: { dir: string; server: { uri: string; stop(): Promise<void> } } | null = null;

beforeAll(async () => {
  // Its own database server when the run's is the embedded one: SQLite serializes writes, and three workers
  // draining 500 actions for minutes would slow every other test file sharing it.
  if (!process.env.MONGODB_URI) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-backlog-db-'));
    ownDb = { dir, server: await startEmbeddedDatabase(dir, createLogger('warn')) };
  }
  pos = await startPos();
  svc = await startTestService({ env: { ROLE: 'api' }, ...(ownDb ? { uri: ownDb.server.uri } : {}) });
  await addPosIntegration(svc);
});
afterAll(async () => {
  await workers.killAll();
  await svc?.close();
  await pos?.close();
  await ownDb?.server.stop();
  if (ownDb) await fs.rm(ownDb.dir, { recursive: true, force: true });
});

test(`a backlog of ${BACKLOG} due actions drains with three workers, each step run once`, async () => {
  // One action through the API (no worker runs yet), then copies of it written directly: a backlog already due.
  const { body } = await svc.order();
  const template = (await ActionLive.findById(body.action.id).lean())!;
  const copies = Array.from({ length: BACKLOG - 1 }, () => ({ ...template, _id: new mongoose.Types.ObjectId(), createdAt: new Date(), updatedAt: new Date() }));
  for (let i = 0; i < copies.length; i += 100) await ActionLive.insertMany(copies.slice(i, i + 100));
  expect(await ActionLive.countDocuments({ phase: 'ready' })).toBe(BACKLOG);

  // Three steps at a time per worker: the embedded FerretDB serializes writes, and more concurrent writers
  // only wait on each other (see README, "The embedded database's limits").
  const env = workerEnv(svc, { POS_URL: pos.url, AGENDA_LOCK_LIFETIME_MS: '10000', STEP_TIMEOUT_MS: '5000', AGENDA_CONCURRENCY: '3' });
  await workers.start(env, 3);

  // findOne, not countDocuments: a count scans the collection on FerretDB, and this polls while workers run.
  const t0 = Date.now();
  let reported = t0;
  await waitFor(async () => {
    if (process.env.BACKLOG_PROGRESS && Date.now() - reported > 30_000) {
      reported = Date.now();
      process.stdout.write(`backlog: ${pos.requests.size} of ${BACKLOG} placed after ${Math.round((reported - t0) / 1000)} s\n`);
    }
    return !(await ActionLive.findOne({}, { _id: 1 }).lean());
  }, 'the backlog to drain', 480_000, 1000);
  if (process.env.BACKLOG_PROGRESS) process.stdout.write(`backlog: drained in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  expect(await Action.countDocuments({ status: 'completed' })).toBe(BACKLOG);
  expect(await Receipt.countDocuments()).toBe(BACKLOG);
  expect(pos.requests.size).toBe(BACKLOG);
  expect([...pos.requests.values()].filter((n) => n !== 1)).toEqual([]); // no step ran twice
  expect(await ActionExecution.countDocuments({ runs: { $ne: 1 } })).toBe(0);
  const status = await svc.status(body.action.id);
  expect(status.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'completed']);
});
