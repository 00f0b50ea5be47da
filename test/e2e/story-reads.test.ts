/**
 * Reading a finished action's story (status API, order page) costs lookups by _id only, so it does not grow with
 * the history stored (on FerretDB any other filter reads every document of the collection). Records written
 * before the ids were known (receipts with their own _id, no executionIds) are still found.
 */
import { jest } from '@jest/globals';
import { Action, ActionStatusUpdate, Integration, Receipt } from '../../src/storage/models.js';
import { createFixtureHandler } from '../support/fixture-handler.js';
import { startTestService, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
const instantPos = createFixtureHandler('instant-pos', 'api', () => ({ kind: 'completed', externalRef: 'pos-1' }));

beforeAll(async () => {
  svc = await startTestService({ extraHandlers: [instantPos], monitorCommands: true });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'instant-pos', priority: 0, enabled: true, config: {} });
});
afterAll(async () => { await svc?.close(); });

/** The filters of the find commands sent while `read` runs, by collection. */
async function findsDuring(read: () => Promise<unknown>): Promise<Array<{ collection: string; filter: Record<string, unknown> }>> {
  const client = svc.db.connection.getClient();
  const seen: Array<{ collection: string; filter: Record<string, unknown> }> = [];
  const onStarted = (e: { commandName: string; command: Record<string, unknown> }) => {
    if (e.commandName === 'find') seen.push({ collection: String(e.command.find), filter: (e.command.filter ?? {}) as Record<string, unknown> });
  };
  client.on('commandStarted', onStarted);
  try { await read(); } finally { client.off('commandStarted', onStarted); }
  return seen;
}

test('the status of a finished action is read by _id: its receipt, every status update and every execution', async () => {
  const { body } = await svc.order({ items: [{ name: 'Latte', quantity: 1 }], customer_name: 'Ida' });
  const id = body.action.id;
  await waitForStatus(svc, id, 'completed');
  expect(await Action.exists({ _id: id })).toBeTruthy(); // in history

  let status: Awaited<ReturnType<TestService['status']>> | null = null;
  const finds = await findsDuring(async () => { status = await svc.status(id); });
  expect(status!.action.receipts).toHaveLength(1);
  expect(status!.action.receipts[0]!.receiptNumber).toMatch(/^RCP-/);
  expect(status!.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'completed']);
  expect(status!.action.executions.map((e) => [e.handlerName, e.status, e.externalRef])).toEqual([['instant-pos', 'completed', 'pos-1']]);
  const story = finds.filter((f) => ['receipts', 'actionstatusupdates', 'actionexecutions', 'actionexecutionlives'].includes(f.collection));
  expect(story.length).toBeGreaterThan(0);
  expect(story.filter((f) => Object.keys(f.filter).join() !== '_id')).toEqual([]);

  // The customer's order page reads the same way.
  const trackingUrl = (body.action as { trackingUrl?: string }).trackingUrl!;
  let html = '';
  const pageFinds = await findsDuring(async () => { html = await (await fetch(trackingUrl)).text(); });
  expect(html).toContain(status!.action.receipts[0]!.receiptNumber);
  expect(pageFinds.some((f) => f.collection === 'receipts')).toBe(true);
  expect(pageFinds.filter((f) => ['receipts', 'actionstatusupdates'].includes(f.collection) && Object.keys(f.filter).join() !== '_id')).toEqual([]);
});

test('an action stored before these ids (receipt with its own _id, no executionIds) shows the same story', async () => {
  const { body } = await svc.order({ items: [{ name: 'Latte', quantity: 1 }], customer_name: 'Ola' });
  const id = body.action.id;
  await waitForStatus(svc, id, 'completed');
  const receipt = (await Receipt.findById(id).lean())!;
  await Receipt.deleteOne({ _id: id });
  const { _id: _ignored, ...rest } = receipt;
  await Receipt.collection.insertOne({ ...rest } as never); // a fresh ObjectId, as receipts had before
  await Action.updateOne({ _id: id }, { $unset: { executionIds: 1 } });
  expect(await ActionStatusUpdate.countDocuments({ actionId: id })).toBe(3);

  const status = await svc.status(id);
  expect(status.action.receipts.map((r) => r.receiptNumber)).toEqual([receipt.receiptNumber]);
  expect(status.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'completed']);
  expect(status.action.executions).toHaveLength(1);
});
