/**
 * The demo as a new user meets it: the seed order goes to the demo Square, is confirmed, and after the
 * simulated prep time the kitchen marks it PREPARED, so "ready" and its SMS happen without any code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { startDemoSquare } from '../../src/seed/demo-square.js';
import type { SquareSimulator } from '../../handlers/square/simulator.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
let square: SquareSimulator;

beforeAll(async () => {
  svc = await startTestService();
  square = await startDemoSquare(svc.creds, svc.config.publicBaseUrl, 0.3);
});
afterAll(async () => {
  await square?.close();
  await svc?.close();
});

async function smsBodies(): Promise<string[]> {
  const dir = path.join(svc.dataDir, 'outbox', 'sms');
  const files = (await fs.readdir(dir).catch(() => [])).sort();
  return Promise.all(files.map(async (f) => (JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as { body: string }).body));
}

test('the seed order is confirmed by the demo Square, then turns ready after the prep time, with both SMS', async () => {
  const created = await svc.order({ ...SEED_ORDER, customer_phone: '+14155550123' });
  const id = created.body.action.id;
  await waitForStatus(svc, id, 'completed');
  const status = await waitFor(async () => { const s = await svc.status(id); return s.action.fulfillment === 'ready' ? s : null; }, 'the order to be ready');
  expect(status.statusUpdates.at(-1)).toMatchObject({ status: 'ready' });
  const bodies = await waitFor(async () => { const b = await smsBodies(); return b.length === 2 ? b : null; }, 'two SMS');
  expect(bodies[0]).toContain('confirmed');
  expect(bodies[1]).toBe(`Downtown Café: Order #${status.action.orderNumber} is ready for pickup!`);
  expect(square.orders()[0]?.fulfillments[0]?.state).toBe('PREPARED');
});
