/**
 * The engine services the API and the chat bots share, called directly (as a bot does, with a chat origin):
 * create-and-start, status by order number scoped to space and requester, manual-task release, and a
 * catalog replacement that readers never see half done.
 */
import { jest } from '@jest/globals';
import { RequestError } from '../../src/engine/errors.js';
import { chatOrigin } from '../../src/services/actions.js';
import { loadCatalog, replaceCatalog, type CatalogInput } from '../../src/services/catalog.js';
import { declineWhenAwaiting, SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

const scope = () => ({ spaceId: svc.creds.spaceId });

async function operatorCompletes(actionId: string): Promise<void> {
  const task = await waitFor(async () => (await svc.services.manualTasks.list(scope())).find((t) => String(t.actionId) === actionId), 'a manual task');
  await svc.services.manualTasks.claim(scope(), task.id, 'op-1');
  await svc.services.manualTasks.complete(scope(), task.id, { operatorId: 'op-1', readyInMinutes: 5 });
}

test('a bot creates and starts an action with its chat origin; the same idempotency key replays it', async () => {
  const origin = chatOrigin({ platform: 'slack', workspace: 'T1', channel: 'C9', thread: '1700000000.0001', user: 'U7' });
  const { action, replayed } = await svc.services.actions.createAndStart({
    spaceId: svc.creds.spaceId, userId: 'slack:U7', idempotencyKey: 'slack:T1:C9:1700000000.0001',
    request: { itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER, origin },
  });
  expect(replayed).toBe(false);
  expect(action.origin).toEqual({ channel: 'slack', ref: { workspace: 'T1', channel: 'C9', thread: '1700000000.0001', user: 'U7' } });

  const awaiting = await waitForStatus(svc, action._id.toString(), 'awaiting_confirmation');
  expect(awaiting.action.origin).toEqual({ channel: 'slack', ref: { workspace: 'T1', channel: 'C9', thread: '1700000000.0001', user: 'U7' } });
  expect((await svc.services.actions.cancel(scope(), action._id.toString())).status).toBe('cancelled');
  const again = await svc.services.actions.createAndStart({
    spaceId: svc.creds.spaceId, userId: 'slack:U7', idempotencyKey: 'slack:T1:C9:1700000000.0001',
    request: { itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER, origin },
  });
  expect([again.replayed, again.action._id.toString()]).toEqual([true, action._id.toString()]);
});

test('status by order number is scoped to the space and, when given, the requester', async () => {
  const { body } = await svc.order(SEED_ORDER, { 'x-user-id': 'sam' });
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  // The demo provider emails first; its decline hands the order to an operator.
  const exec = (await svc.status(id)).action.executions.at(-1)!;
  expect(exec.handlerName).toBe('email');
  await declineWhenAwaiting(svc, `${id}:0:1`, 'closed today');
  await operatorCompletes(id);
  const done = await waitForStatus(svc, id, 'completed');
  const orderNumber = done.action.orderNumber!;
  expect(orderNumber).toMatch(/^DC-\d+$/);

  const found = await svc.services.actions.statusByOrderNumber({ ...scope(), userId: 'sam' }, `#${orderNumber.toLowerCase()}`);
  expect(found?.action._id.toString()).toBe(id);
  expect(found?.statusUpdates.at(-1)?.status).toBe('completed');
  expect(found?.receipts).toHaveLength(1);
  expect(await svc.services.actions.statusByOrderNumber({ ...scope(), userId: 'someone-else' }, orderNumber)).toBeNull();
  expect(await svc.services.actions.statusByOrderNumber({ spaceId: '0123456789abcdef01234567' }, orderNumber)).toBeNull();
  await expect(svc.services.actions.get({ ...scope(), userId: 'someone-else' }, id)).rejects.toMatchObject({ status: 404 });
});

test('an operator can release a claimed task; only the claimer can', async () => {
  const { body } = await svc.order();
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  await declineWhenAwaiting(svc, `${id}:0:1`, 'no stock');
  const task = await waitFor(async () => (await svc.services.manualTasks.list(scope())).find((t) => String(t.actionId) === id), 'a manual task');
  await svc.services.manualTasks.claim(scope(), task.id, 'op-1');
  await expect(svc.services.manualTasks.claim(scope(), task.id, 'op-2')).rejects.toMatchObject({ code: 'already_claimed' });
  const notMine = await svc.api<{ error: { code: string } }>('POST', `/manual-tasks/${task.id}/release`, { body: { operatorId: 'op-2' } });
  expect([notMine.status, notMine.body.error.code]).toEqual([409, 'not_claimed_by_you']);
  const released = await svc.api<{ task: { status: string; operatorId: string | null } }>('POST', `/manual-tasks/${task.id}/release`, { body: { operatorId: 'op-1' } });
  expect([released.status, released.body.task.status, released.body.task.operatorId]).toEqual([200, 'open', null]);
  expect((await svc.services.manualTasks.claim(scope(), task.id, 'op-2')).status).toBe('claimed');
  await svc.services.manualTasks.complete(scope(), task.id, { operatorId: 'op-2', orderNumber: 'DC-TILL-9' });
  expect((await waitForStatus(svc, id, 'completed')).action.orderNumber).toBe('DC-TILL-9');
});

test('replacing the catalog: readers see the old menu or the new one, never an empty or mixed one', async () => {
  const menu = (tag: string, n: number): CatalogInput => ({
    items: Array.from({ length: n }, (_, i) => ({ sku: `${tag}-${i}`, name: `${tag} item ${i}`, aliases: [], price_cents: 100 + i })),
    modifiers: [{ id: `${tag}-mod`, name: `${tag} mod`, aliases: [], price_cents: 0 }],
  });
  const providerId = svc.creds.providerId;
  await replaceCatalog(scope(), providerId, menu('a', 30));
  let writing = true;
  const seen: string[] = [];
  const reader = (async () => {
    for (let i = 0; i < 400 && writing; i++) {
      const c = await loadCatalog(scope(), providerId);
      const tags = new Set([...c.items.map((x) => x.sku.split('-')[0]), ...c.modifiers.map((m) => m.id.split('-')[0])]);
      seen.push(`${c.items.length}:${[...tags].join(',')}`);
    }
  })();
  for (let round = 0; round < 6; round++) await replaceCatalog(scope(), providerId, menu(round % 2 ? 'a' : 'b', round % 2 ? 30 : 20));
  writing = false;
  await reader;
  expect(seen.length).toBeGreaterThan(0);
  for (const s of seen) expect(['30:a', '20:b']).toContain(s);
  expect((await loadCatalog(scope(), providerId)).items).toHaveLength(30);
  await expect(replaceCatalog(scope(), providerId, { items: [{ sku: 'x', name: 'X', aliases: [], price_cents: 1 }, { sku: 'X', name: 'X2', aliases: [], price_cents: 1 }], modifiers: [] }))
    .rejects.toBeInstanceOf(RequestError);
  expect((await loadCatalog(scope(), providerId)).items).toHaveLength(30);
});
