/**
 * Where actions are stored: a live action is one document in ActionLive (its executions in
 * ActionExecutionLive); the transition that ends it moves it and its executions into the history collections.
 * Every reader (get, status, list, cancel) finds the action wherever it is — including one stored in the
 * earlier layout (an Action document from creation plus the changing fields in ActionLive).
 */
import { jest } from '@jest/globals';
import { liveFieldsOf } from '../../src/storage/action-state.js';
import { Action, ActionExecution, ActionExecutionLive, ActionLive } from '../../src/storage/models.js';
import { startTestService, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

const scope = () => ({ spaceId: svc.creds.spaceId });
const listed = async (status?: 'awaiting_confirmation' | 'cancelled') => (await svc.services.actions.list(scope(), { limit: 50, ...(status ? { status } : {}) })).actions.map((a) => [a._id.toString(), a.status]);

test('a live action is in the live collections; once it ends it is in history, and every reader finds it', async () => {
  const { body } = await svc.order();
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation'); // the demo chain's email step waits for the café
  expect(await ActionLive.exists({ _id: id })).toBeTruthy();
  expect(await Action.exists({ _id: id })).toBeNull();
  expect(await ActionExecutionLive.countDocuments({ actionId: id })).toBe(1);
  expect(await listed('awaiting_confirmation')).toContainEqual([id, 'awaiting_confirmation']);

  await svc.services.actions.cancel(scope(), id);
  expect(await ActionLive.exists({ _id: id })).toBeNull();
  expect(await Action.findById(id).lean()).toMatchObject({ status: 'cancelled', phase: 'done' });
  expect(await ActionExecutionLive.countDocuments({ actionId: id })).toBe(0);
  expect(await ActionExecution.countDocuments({ actionId: id })).toBe(1);

  const status = await svc.status(id);
  expect(status.action.status).toBe('cancelled');
  expect(status.action.executions).toHaveLength(1);
  expect(status.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'awaiting_confirmation', 'cancelled']);
  expect(await listed()).toContainEqual([id, 'cancelled']);
  expect(await listed('cancelled')).toContainEqual([id, 'cancelled']);
  expect(await listed('awaiting_confirmation')).not.toContainEqual([id, expect.anything()]);
});

test('an action stored in the earlier layout is read with its live state and ends in the new one', async () => {
  const { body } = await svc.order();
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  // The earlier layout: the Action document as inserted at creation, the changing fields alone in ActionLive.
  const live = (await ActionLive.findById(id).lean())!;
  await Action.collection.insertOne({ ...live, status: 'queued', phase: 'ready', stepSeq: 0 } as never);
  await ActionLive.deleteOne({ _id: id });
  await ActionLive.collection.insertOne({ _id: live._id, spaceId: live.spaceId, ...liveFieldsOf(live as unknown as Record<string, unknown>) } as never);

  expect((await svc.status(id)).action.status).toBe('awaiting_confirmation');
  expect(await listed('awaiting_confirmation')).toContainEqual([id, 'awaiting_confirmation']);
  await svc.services.actions.cancel(scope(), id);
  expect(await ActionLive.exists({ _id: id })).toBeNull();
  expect(await Action.findById(id).lean()).toMatchObject({ status: 'cancelled', phase: 'done', userId: live.userId });
  expect(await Action.countDocuments({ _id: id })).toBe(1);
  expect((await svc.status(id)).action.status).toBe('cancelled');
});

test('an action without the list of its executions (created before it) still moves them when it ends', async () => {
  const { body } = await svc.order();
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  await ActionLive.updateOne({ _id: id }, { $unset: { executionIds: 1 } });
  await svc.services.actions.cancel(scope(), id);
  expect(await ActionExecutionLive.countDocuments({ actionId: id })).toBe(0);
  expect(await ActionExecution.countDocuments({ actionId: id })).toBe(1);
  expect((await svc.status(id)).action.executions).toHaveLength(1);
});
