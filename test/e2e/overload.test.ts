/**
 * Overload is shed, not suffered: with no worker running, the queue falls behind and POST /actions answers
 * 503 with Retry-After (writing nothing); once a worker drains the backlog, every accepted action completes
 * and new ones are accepted again.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { storedActions } from '../../src/storage/action-state.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { kill, startWorker } from '../support/workers.js';
import { addPosIntegration } from '../support/pos.js';

jest.setTimeout(120_000);

let svc: TestService;
let pos: http.Server;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  pos = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pos-${Date.now()}` }))));
  await new Promise<void>((r) => pos.listen(0, '127.0.0.1', () => r()));
  // The queue counts as behind once 2 actions are due (for any time at all): small numbers for a quick test.
  svc = await startTestService({ env: { ROLE: 'api', OVERLOAD_MAX_OVERDUE_ACTIONS: '2', OVERLOAD_OVERDUE_AFTER_MS: '0' } });
  await addPosIntegration(svc);
});
afterAll(async () => {
  if (worker) await kill(worker);
  await svc?.close();
  pos?.closeAllConnections();
  await new Promise((r) => pos?.close(r));
});

const pause = () => new Promise((r) => setTimeout(r, 1100)); // the gate samples the queue once a second

test('a queue that is behind sheds new actions with 503 + Retry-After; the accepted ones all complete', async () => {
  const accepted: string[] = [];
  let refused: Awaited<ReturnType<TestService['order']>> | null = null;
  for (let i = 0; i < 5 && !refused; i++) {
    const res = await svc.order();
    if (res.status === 201) accepted.push(res.body.action.id);
    else refused = res;
    await pause();
  }
  expect(accepted).toHaveLength(2);
  expect(refused!.status).toBe(503);
  expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(refused!.body).toMatchObject({ error: { code: 'overloaded' } });
  expect((await storedActions({})).length).toBe(2); // the refused request wrote nothing

  worker = await startWorker({
    MONGODB_URI: process.env.TEST_MONGODB_URI!, TEST_DB_NAME: svc.dbName, POS_URL: `http://127.0.0.1:${(pos.address() as AddressInfo).port}`,
    DATA_DIR: svc.dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', AGENDA_PROCESS_EVERY_MS: '200',
  });
  for (const id of accepted) await waitForStatus(svc, id, 'completed', 60_000);
  const again = await waitFor(async () => { await pause(); const r = await svc.order(); return r.status === 201 ? r : null; }, 'a new action to be accepted', 30_000);
  await waitForStatus(svc, again.body.action.id, 'completed', 60_000);
});
