/**
 * Manual tasks as operators live them, platform-neutral: the task is announced with what a card needs when
 * the chain falls through (POS 503 ×3, email declined), claims race exactly once, only the holder may
 * release/complete/fail, a customer's cancel closes the task, and the sweep nudges and reminds on an
 * injected clock. Changes reach operator notifiers through durable jobs, once per change.
 */
import { jest } from '@jest/globals';
import mongoose from 'mongoose';
import type { OperatorNotifier, OperatorTaskChange, OperatorTaskEvent } from '../../src/operators/events.js';
import type { OperatorTaskView } from '../../src/operators/task-view.js';
import { waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { startOperatorService, type OperatorService } from '../support/operators.js';
import { OPERATOR_JOB } from '../../src/jobs/operator-jobs.js';
import { Claim, ManualTask } from '../../src/storage/models.js';

jest.setTimeout(60_000);

let svc: TestService;
let ops: OperatorService;
let clockOffsetMs = 0;
const delivered: Array<{ change: OperatorTaskChange; task: OperatorTaskView }> = [];
const recorder: OperatorNotifier = { name: 'recorder', notify: async (change, task) => void delivered.push({ change, task }) };
const published: OperatorTaskEvent[] = [];

beforeAll(async () => {
  ops = await startOperatorService({
    env: { OPERATOR_NUDGE_MINUTES: '10', OPERATOR_REMIND_MINUTES: '20' },
    operatorNotifiers: [recorder],
    now: () => new Date(Date.now() + clockOffsetMs),
  });
  svc = ops.svc;
  svc.bus.subscribeTasks((e) => void published.push(e));
});
afterAll(async () => {
  await ops?.close();
});

const fallThrough = () => ops.fallThrough();

const deliveredFor = (taskId: string, type: string) => delivered.filter((d) => d.change.taskId === taskId && d.change.type === type);
const post = (path: string, body: unknown) => svc.api<{ task: { status: string; operatorId: string | null; round: number }; error?: { code: string; message: string } }>('POST', path, { body });

test('a task reaching the manual step is announced with what a card needs, on the bus and to operator notifiers', async () => {
  const { actionId, taskId } = await fallThrough();
  const opened = await waitFor(() => published.find((e) => e.taskId === taskId && e.type === 'task.opened'), 'task.opened on the bus');
  expect(opened.task).toMatchObject({
    id: taskId, actionId, status: 'open', operatorId: null,
    provider: { name: 'Downtown Café', phone: '+12125550147', email: 'orders@downtown-cafe.example', timezone: 'America/New_York' },
    items: [{ quantity: 2, name: 'Latte', modifiers: ['oat milk'], price: '$11.00' }, { quantity: 1, name: 'Croissant', modifiers: [], price: '$3.25' }],
    total: '$14.25', customer: { name: 'Sam', phoneMasked: '+1***23' }, instructions: 'extra hot',
    attempts: ['POS: 503 ×3', 'email: declined — out of oat milk'],
  });
  expect(opened.task.pickup).toMatch(/^\w{3}, \d{1,2}:\d{2} (AM|PM) E[SD]T$/);
  const viaJob = await waitFor(() => deliveredFor(taskId, 'task.opened')[0], 'the durable job to run the notifier');
  expect(viaJob.task.attempts).toEqual(['POS: 503 ×3', 'email: declined — out of oat milk']);
  expect(JSON.stringify(viaJob)).not.toContain('5550123');
  const api = await svc.api<{ task: OperatorTaskView }>('GET', `/manual-tasks/${encodeURIComponent(taskId)}`);
  expect(api.body.task.attempts).toEqual(opened.task.attempts);
});

test('two operators race to claim: exactly one wins, the other is told who holds it', async () => {
  const { taskId } = await fallThrough();
  const [a, b] = await Promise.all([post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' }), post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-bo' })]);
  const winner = a.status === 200 ? 'op-ana' : 'op-bo';
  const loser = a.status === 200 ? b : a;
  expect([a.status, b.status].sort()).toEqual([200, 409]);
  expect(loser.body.error).toMatchObject({ code: 'already_claimed', message: `task is already claimed by ${winner}` });
  // The winner retrying its claim is harmless: still theirs, still one claimed change.
  expect((await post(`/manual-tasks/${taskId}/claim`, { operatorId: winner })).body.task).toMatchObject({ status: 'claimed', operatorId: winner });
  await waitFor(() => deliveredFor(taskId, 'task.claimed').length === 1, 'the claimed change');
  expect(published.filter((e) => e.taskId === taskId && e.type === 'task.claimed')).toHaveLength(1);
});

test('only the holder may release or complete; a released task is open again for anyone', async () => {
  const { taskId } = await fallThrough();
  await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' });
  for (const verb of ['release', 'complete', 'fail']) {
    const r = await post(`/manual-tasks/${taskId}/${verb}`, { operatorId: 'op-bo', reason: 'x' });
    expect(r.status).toBe(409);
    // Release is only the holder's; complete/fail say someone else holds it (they may release it first).
    expect(r.body.error).toMatchObject({ code: verb === 'release' ? 'not_claimed_by_you' : 'claimed_by_another', message: expect.stringContaining('claimed by op-ana') });
  }
  const released = await post(`/manual-tasks/${taskId}/release`, { operatorId: 'op-ana' });
  expect(released.body.task).toMatchObject({ status: 'open', operatorId: null, round: 1 });
  expect((await post(`/manual-tasks/${taskId}/release`, { operatorId: 'op-ana' })).status).toBe(409); // no longer theirs
  const claimed = await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-bo' });
  expect(claimed.body.task).toMatchObject({ status: 'claimed', operatorId: 'op-bo', round: 1 });
  await waitFor(() => deliveredFor(taskId, 'task.released').length === 1 && deliveredFor(taskId, 'task.claimed').length === 2, 'released then claimed again');
});

test('completing through the API completes the action once, even when the request is repeated', async () => {
  const { actionId, taskId } = await fallThrough();
  await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' });
  const body = { operatorId: 'op-ana', orderNumber: 'DC-9001', readyInMinutes: 7, note: 'phoned it in' };
  const first = await post(`/manual-tasks/${taskId}/complete`, body);
  expect(first.status).toBe(200);
  const again = await post(`/manual-tasks/${taskId}/complete`, body);
  expect(again.status).toBe(200);
  const status = await waitForStatus(svc, actionId, 'completed');
  expect(status.action.receipts).toHaveLength(1);
  expect(status.action.orderNumber).toBe('DC-9001');
  expect(status.statusUpdates.filter((u) => u.status === 'completed')).toHaveLength(1);
  const done = await waitFor(() => deliveredFor(taskId, 'task.completed')[0], 'the completed change');
  expect(done.task).toMatchObject({ status: 'completed', operatorId: 'op-ana', outcome: { orderNumber: 'DC-9001', readyInMinutes: 7, note: 'phoned it in' } });
  // One change (notifiers dedupe on its key; a repeated request may hand them the same key again).
  expect(new Set(deliveredFor(taskId, 'task.completed').map((d) => d.change.key)).size).toBe(1);
  expect((await post(`/manual-tasks/${taskId}/fail`, { operatorId: 'op-ana', reason: 'too late' })).body.error).toMatchObject({ code: 'task_closed' });
});

test('failing a claimed task fails the action: the team reason is recorded, the customer reads the operator\'s message', async () => {
  const { actionId, taskId } = await fallThrough();
  await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' });
  const r = await post(`/manual-tasks/${taskId}/fail`, { operatorId: 'op-ana', reason: 'café closed early', customerMessage: 'Sorry, the café closed early today.' });
  expect(r.status).toBe(200);
  const status = await waitForStatus(svc, actionId, 'failed');
  expect(status.statusUpdates.at(-1)!.message).toBe('Sorry, the café closed early today.'); // the customer's words, not the team's
  expect(status.action.error).toContain('café closed early');
  const failed = await waitFor(() => deliveredFor(taskId, 'task.failed')[0], 'the failed change');
  expect(failed.task).toMatchObject({ status: 'failed', outcome: { failureReason: 'café closed early' } });
});

test('a customer cancelling while the task is claimed closes the task, and operators are told', async () => {
  const { actionId, taskId } = await fallThrough();
  await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' });
  expect((await svc.api('POST', `/actions/${actionId}/cancel`)).status).toBe(200);
  const cancelled = await waitFor(() => deliveredFor(taskId, 'task.cancelled')[0], 'the cancelled change');
  expect(cancelled.task.status).toBe('cancelled');
  expect((await post(`/manual-tasks/${taskId}/complete`, { operatorId: 'op-ana' })).body.error).toMatchObject({ code: 'task_closed' });
});

test('the sweep re-announces an unclaimed task once after N minutes and reminds the claimer once after M', async () => {
  const { taskId } = await fallThrough();
  const settings = { nudgeAfterMs: 10 * 60_000, remindAfterMs: 20 * 60_000 };
  const mine = () => delivered.filter((d) => d.change.taskId === taskId);
  await svc.services.manualTasks.sweep(settings);
  expect(mine().some((d) => d.change.type === 'task.nudge')).toBe(false); // not yet
  clockOffsetMs += 11 * 60_000;
  await svc.services.manualTasks.sweep(settings);
  await svc.services.manualTasks.sweep(settings);
  await waitFor(() => mine().some((d) => d.change.type === 'task.nudge'), 'the nudge');
  await post(`/manual-tasks/${taskId}/claim`, { operatorId: 'op-ana' });
  await svc.services.manualTasks.sweep(settings);
  clockOffsetMs += 21 * 60_000;
  await svc.services.manualTasks.sweep(settings);
  await svc.services.manualTasks.sweep(settings);
  const reminder = await waitFor(() => mine().find((d) => d.change.type === 'task.reminder'), 'the reminder');
  expect(reminder.change.operatorId).toBe('op-ana');
  await new Promise((r) => setTimeout(r, 300)); // any duplicate job would have run by now
  expect(mine().filter((d) => d.change.type === 'task.nudge')).toHaveLength(1);
  expect(mine().filter((d) => d.change.type === 'task.reminder')).toHaveLength(1);
  clockOffsetMs = 0; // the engine schedules its jobs on this clock too
});

test('a nudge is recorded before it is published: a sweep that died in between is finished by the next one, and it is told once', async () => {
  const { taskId } = await fallThrough();
  const settings = { nudgeAfterMs: 10 * 60_000, remindAfterMs: 20 * 60_000 };
  const nudges = () => delivered.filter((d) => d.change.taskId === taskId && d.change.type === 'task.nudge');
  // A sweep decided the nudge (the record is there) and died before publishing it.
  await Claim.create({ _id: `manual-task:${taskId}:nudge:0`, by: 'system' });
  clockOffsetMs += 11 * 60_000;
  try {
    expect((await svc.services.manualTasks.sweep(settings)).nudged).toBe(0); // not decided by this sweep...
    await waitFor(() => nudges().length === 1, 'the nudge published by the next sweep'); // ...but published by it
    await svc.services.manualTasks.sweep(settings);
    await new Promise((r) => setTimeout(r, 300));
    expect(nudges()).toHaveLength(1);
    expect(await Claim.exists({ _id: `manual-task:${taskId}:nudge:0:published` })).not.toBeNull();
  } finally {
    clockOffsetMs = 0;
  }
});

test('operator jobs have lock limits of their own, below the worker\'s job slots', () => {
  const defs = svc.agenda.definitions as Record<string, { lockLimit: number; concurrency: number }>;
  const slots = svc.config.AGENDA_CONCURRENCY;
  for (const name of [OPERATOR_JOB.change, OPERATOR_JOB.sweep]) {
    expect(defs[name]!.lockLimit).toBeGreaterThan(0);
    expect(defs[name]!.lockLimit).toBeLessThan(slots);
    expect(defs[name]!.concurrency).toBeLessThan(slots);
  }
});

test('operators of a space: the channel and an optional list, set and read through the API', async () => {
  const bad = await svc.api<{ error: { code: string; field: string } }>('PUT', '/operators', { body: { channel: { id: 'not a channel' } } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('channel.id');
  const set = await svc.api<{ operators: unknown }>('PUT', '/operators', { body: { channel: { platform: 'slack', id: 'C0OPS', workspaceId: 'T0DEMO' }, operators: ['slack:T0DEMO:U0ANA'] } });
  expect(set.status).toBe(200);
  expect((await svc.api<{ operators: unknown }>('GET', '/operators')).body.operators).toEqual({ channel: { platform: 'slack', id: 'C0OPS', workspaceId: 'T0DEMO' }, operators: ['slack:T0DEMO:U0ANA'] });
  const dir = svc.services.operators;
  expect(await dir.spaceOfChannel('slack', 'C0OPS')).toBe(svc.creds.spaceId);
  expect(await dir.isOperator(svc.creds.spaceId, 'slack:T0DEMO:U0ANA')).toBe(true);
  expect(await dir.isOperator(svc.creds.spaceId, 'slack:T0DEMO:U0BO')).toBe(false);
  // Without a list, the channel's members are the operators (the platform supplies the lookup).
  await svc.api('PUT', '/operators', { body: { channel: { id: 'C0OPS' } } });
  dir.useChannelMembers('slack', async (c) => (c.id === 'C0OPS' ? ['slack:T0DEMO:U0BO'] : []));
  expect(await dir.isOperator(svc.creds.spaceId, 'slack:T0DEMO:U0BO')).toBe(true);
  expect(await dir.isOperator(svc.creds.spaceId, 'slack:T0DEMO:U0ANA')).toBe(false);
});

test('a task stored without its optional fields is still listed with them (null), as the API documents', async () => {
  const id = '0123456789abcdef0123abcd:9:1';
  await ManualTask.collection.insertOne({ _id: id as never, actionId: new mongoose.Types.ObjectId(), spaceId: new mongoose.Types.ObjectId(svc.creds.spaceId), providerId: new mongoose.Types.ObjectId(svc.creds.providerId), status: 'open', summary: 'bare' });
  const listed = (await svc.api<{ tasks: Array<Record<string, unknown>> }>('GET', '/manual-tasks')).body.tasks.find((t) => t.id === id);
  expect(listed).toMatchObject({ id, operatorId: null, claimedAt: null, completedAt: null });
  await ManualTask.deleteOne({ _id: id });
});
