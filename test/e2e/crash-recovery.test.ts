/**
 * Durability across processes: a worker killed (SIGKILL) while its step is locked and the provider has
 * already accepted the order; a second worker takes the step over after the lock expires and finishes the
 * action exactly once — one provider order, one receipt, one completion.
 */
import { jest } from '@jest/globals';
import { ActionStatusUpdate, Receipt } from '../../src/storage/models.js';
import { executionsOf } from '../../src/storage/executions.js';
import { listen, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { addPosIntegration, startPos, type TestPos } from '../support/pos.js';
import { kill, Workers, workerEnv } from '../support/workers.js';

jest.setTimeout(90_000);

let svc: TestService;
let pos: TestPos;
const workers = new Workers();

beforeAll(async () => {
  pos = await startPos({ withholdFirstAnswer: true });
  svc = await startTestService({ env: { ROLE: 'api' } });
  await addPosIntegration(svc);
});
afterAll(async () => {
  await workers.killAll();
  await svc?.close();
  await pos?.close();
});

test('a worker killed mid-step is replaced; the order is placed once and completed once', async () => {
  const env = workerEnv(svc, { POS_URL: pos.url });
  const first = await workers.one(env);
  const socket = await listen(svc); // connected to the API process; the work happens in worker processes
  const { body } = await svc.order();
  const id = body.action.id;

  await waitFor(() => pos.orders.size === 1, 'the POS to accept the order');
  await kill(first);
  const execution = (await executionsOf(id))[0];
  expect(execution).toMatchObject({ status: 'running', runs: 1 }); // the crash left the step in flight

  await workers.one(env);
  const status = await waitForStatus(svc, id, 'completed', 30_000);

  expect(pos.orders.size).toBe(1); // one order at the provider…
  expect(pos.requestCount()).toBe(2); // …though it was asked twice, with the same idempotency key
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
