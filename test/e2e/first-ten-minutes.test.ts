/**
 * The demo as a new user meets it: the seed order goes to the demo Square, is confirmed, and after the
 * simulated prep time the kitchen marks it PREPARED, so "ready" and its SMS happen without any code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { readOutbox } from '../../src/outbox/read.js';
import { startDemoSquare } from '../../src/seed/demo-square.js';
import type { SquareSimulator } from '../../handlers/square/simulator.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
let square: SquareSimulator;

beforeAll(async () => {
  svc = await startTestService();
  // 1 s: long enough for the confirmation to be written before the kitchen's webhook arrives, even on a loaded machine.
  square = await startDemoSquare(svc.creds, svc.config.publicBaseUrl, svc.dataDir, { prepSeconds: 1 });
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
  await waitForStatus(svc, id, 'completed', 30_000);
  const status = await waitFor(async () => { const s = await svc.status(id); return s.action.fulfillment === 'ready' ? s : null; }, 'the order to be ready');
  expect(status.statusUpdates.at(-1)).toMatchObject({ status: 'ready' });
  const bodies = await waitFor(async () => { const b = await smsBodies(); return b.length === 2 ? b : null; }, 'two SMS');
  expect(bodies[0]).toContain('confirmed');
  expect(bodies[1]).toBe(`Downtown Café: Order #${status.action.orderNumber} is ready for pickup!`);
  expect(square.orders()[0]?.fulfillments[0]?.state).toBe('PREPARED');
});

test('errors say what is wrong: a key without "Bearer", a body that is not JSON', async () => {
  const bare = await svc.api<{ error: { message: string } }>('GET', '/actions', { key: null, headers: { authorization: svc.creds.apiKey } });
  expect(bare.status).toBe(401);
  expect(bare.body.error.message).toContain('missing the "Bearer" scheme');
  const basic = await svc.api<{ error: { message: string } }>('GET', '/actions', { key: null, headers: { authorization: 'Basic YTpi' } });
  expect(basic.body.error.message).toContain('scheme "Basic" is not supported');

  const form = await fetch(`${svc.baseUrl}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${svc.creds.apiKey}`, 'x-user-id': 'sam', 'content-type': 'application/x-www-form-urlencoded' },
    body: JSON.stringify({ itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER }),
  });
  expect(form.status).toBe(415);

  // Found by Schemathesis: an integration config key with a NUL made the database driver throw (500).
  const { body: list } = await svc.api<{ integrations: Array<{ id: string; name: string; config: Record<string, unknown> }> }>('GET', `/providers/${svc.creds.providerId}/integrations`);
  const email = list.integrations.find((i) => i.name === 'email')!;
  const nul = await svc.api<{ error: { code: string } }>('PATCH', `/providers/${svc.creds.providerId}/integrations/${email.id}`, { raw: JSON.stringify({ config: { 'a\u0000b': 1 } }) });
  expect([nul.status, nul.body.error.code]).toEqual([400, 'invalid_key']); // refused before any route (src/api/input-guards.ts)
  const after = (await svc.api<typeof list>('GET', `/providers/${svc.creds.providerId}/integrations`)).body.integrations.find((i) => i.id === email.id)!;
  expect(after.config).toEqual(email.config);
  // And an array inside an array: FerretDB cannot store it (400 there), MongoDB can (200); never a 500.
  const nested = await svc.api('PATCH', `/providers/${svc.creds.providerId}/integrations/${email.id}`, { body: { config: { a: [[1]] } } });
  expect([200, 400]).toContain(nested.status);
  expect(await form.json()).toEqual({ error: { code: 'unsupported_media_type', message: 'Content-Type "application/x-www-form-urlencoded" is not supported: send JSON with "Content-Type: application/json"', field: 'Content-Type' } });
});

test('the email and operator paths, as the README walks them: Square off → email → Decline → a task another operator holds', async () => {
  const auth = { headers: { 'x-space-id': svc.creds.spaceId } };
  const { body: list } = await svc.api<{ integrations: Array<{ id: string; name: string }> }>('GET', `/providers/${svc.creds.providerId}/integrations`, auth);
  const squareId = list.integrations.find((i) => i.name === 'square')!.id;
  expect((await svc.api('PATCH', `/providers/${svc.creds.providerId}/integrations/${squareId}`, { body: { enabled: false } })).status).toBe(200);

  const created = await svc.order({ ...SEED_ORDER, customer_name: 'Ana' });
  const id = created.body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  const email = await waitFor(async () => (await readOutbox(svc.dataDir)).find((e) => e.kind === 'email'), 'the order email');
  const decline = email.links.find((l) => l.label === 'Decline')!.url;
  const declined = await fetch(decline, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=out of croissants' });
  expect(declined.status).toBe(200);

  const task = await waitFor(async () => (await svc.api<{ tasks: Array<{ id: string; actionId: string }> }>('GET', '/manual-tasks')).body.tasks.find((t) => String(t.actionId) === id), 'a manual task');
  expect((await svc.api('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op-1' } })).status).toBe(200);
  const stolen = await svc.api<{ error: { code: string; message: string } }>('POST', `/manual-tasks/${task.id}/complete`, { body: { operatorId: 'op-2', readyInMinutes: 5 } });
  expect(stolen.status).toBe(409);
  expect(stolen.body.error).toMatchObject({ code: 'claimed_by_another', message: expect.stringContaining('claimed by op-1') });
  const claimedAgain = await svc.api<{ error: { message: string } }>('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op-2' } });
  expect(claimedAgain.body.error.message).toBe('task is already claimed by op-1');

  expect((await svc.api('POST', `/manual-tasks/${task.id}/fail`, { body: { operatorId: 'op-1', reason: 'café closed' } })).status).toBe(200);
  const failed = await waitForStatus(svc, id, 'failed');
  expect(failed.action.error).toContain('café closed');
});
