/**
 * Durability across processes: a worker killed (SIGKILL) while its step is locked and the provider has
 * already accepted the order; a second worker takes the step over after the lock expires and finishes the
 * action exactly once — one provider order, one receipt, one completion.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { ActionStatusUpdate, Integration, Receipt } from '../../src/storage/models.js';
import { executionsOf } from '../../src/storage/executions.js';
import { listen, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { kill, startWorker } from '../support/workers.js';

jest.setTimeout(90_000);

/** A fake POS that dedupes on Idempotency-Key and never answers the first request (the worker dies meanwhile). */
function startPos() {
  const orders = new Map<string, { id: string }>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const key = String(req.headers['idempotency-key']);
    req.resume().on('end', () => {
      const existing = orders.get(key);
      if (existing) return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(existing));
      orders.set(key, { id: `pos-${orders.size + 1}` }); // accepted… and the answer never comes
    });
  });
  return new Promise<{ url: string; orders: typeof orders; requests: () => number; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, orders, requests: () => requests,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}

let svc: TestService;
let pos: Awaited<ReturnType<typeof startPos>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  pos = await startPos();
  svc = await startTestService({ env: { ROLE: 'api' } });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'http-pos', priority: 1, enabled: true, config: {} });
});
afterAll(async () => {
  for (const w of workers) await kill(w);
  await svc?.close();
  await pos?.close();
});

test('a worker killed mid-step is replaced; the order is placed once and completed once', async () => {
  const env = {
    MONGODB_URI: process.env.TEST_MONGODB_URI!, TEST_DB_NAME: svc.dbName, POS_URL: pos.url, DATA_DIR: svc.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', AGENDA_LOCK_LIFETIME_MS: '3000', AGENDA_PROCESS_EVERY_MS: '200', STEP_TIMEOUT_MS: '2500',
  };
  const first = await startWorker(env);
  workers.push(first);
  const socket = await listen(svc); // connected to the API process; the work happens in worker processes
  const { body } = await svc.order();
  const id = body.action.id;

  await waitFor(() => pos.orders.size === 1, 'the POS to accept the order');
  await kill(first);
  const execution = (await executionsOf(id))[0];
  expect(execution).toMatchObject({ status: 'running', runs: 1 }); // the crash left the step in flight

  workers.push(await startWorker(env));
  const status = await waitForStatus(svc, id, 'completed', 30_000);

  expect(pos.orders.size).toBe(1); // one order at the provider…
  expect(pos.requests()).toBe(2); // …though it was asked twice, with the same idempotency key
  expect(status.action.executions).toHaveLength(1);
  expect((await executionsOf(id))[0]).toMatchObject({ status: 'completed', runs: 2, externalRef: 'pos-1' });
  expect(await Receipt.countDocuments({ actionId: id })).toBe(1);
  expect(await ActionStatusUpdate.countDocuments({ actionId: id, status: 'completed' })).toBe(1);
  const final = await waitFor(async () => { const s = await svc.status(id); return s.statusUpdates.length === 3 ? s : null; }, 'the completed status update');
  expect(final.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'completed']);

  // Events written by the workers reach sockets on the API process (ROLE=api replays them), once each.
  const seen = await waitFor(() => {
    const mine = socket.events.filter((e) => e.payload.actionId === id);
    return mine.some((e) => e.name === 'action.completed') ? mine : null;
  }, 'the completed event on the API process', 5000);
  expect(seen.filter((e) => e.name === 'action.status').map((e) => e.payload.status)).toEqual(['queued', 'executing', 'completed']);
  expect(seen.filter((e) => e.name === 'action.completed')).toHaveLength(1);
  socket.close();
});
