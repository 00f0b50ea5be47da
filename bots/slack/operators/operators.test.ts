/**
 * Operators work the manual queue from Slack: the real @slack/bolt app (HTTP receiver, signed requests)
 * against the Slack simulator, the real service (engine, Agenda, FerretDB) behind it. An order falls through
 * (POS 503 ×3, email declined) and the card appears in #ops; operators claim, complete and fail through
 * modals, release, get refused when it is not theirs, and the card and App Home keep telling the truth.
 */
import { jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { ManualTask } from '../../../src/storage/models.js';
import { waitFor, waitForStatus, type TestService } from '../../../test/support/harness.js';
import { startOperatorService, type OperatorService } from '../../../test/support/operators.js';
import { ChatOutbox } from '../../delivery/outbox.js';
import { createSlackDriver, type SlackDelivery, type SlackDriver } from '../simulator/driver.js';
import { startSlackSimulator, type SimSlackMessage, type SimSlackUser, type SlackSimulator } from '../simulator/simulator.js';
import { ACTION, FIELD, VIEW } from './card.js';
import { createSlackOperators } from './index.js';

jest.setTimeout(90_000);

let svc: TestService;
let ops$: OperatorService;
let sim: SlackSimulator;
let driver: SlackDriver;
let server: Server;
let ana: SimSlackUser;
let bo: SimSlackUser;
let cy: SimSlackUser;
let ops: string;
let clockOffsetMs = 0;
const quiet = { logLevel: LogLevel.ERROR };
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

beforeAll(async () => {
  sim = await startSlackSimulator();
  ops$ = await startOperatorService({ env: { ADMIN_TOKEN }, now: () => new Date(Date.now() + clockOffsetMs) });
  svc = ops$.svc;

  ana = sim.addUser({ name: 'ana' });
  bo = sim.addUser({ name: 'bo' });
  cy = sim.addUser({ name: 'cy' });
  ops = sim.addChannel({ name: 'ops', members: [ana.id, bo.id] }).id;
  const teamId = sim.workspace.teamId;
  expect((await svc.api('PUT', '/operators', { body: { channel: { platform: 'slack', id: ops, workspaceId: teamId } } })).status).toBe(200);

  const client = new WebClient(sim.workspace.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, ...quiet });
  // The same durable outbox as customer messages carries the cards (its sweeper is driven by the tests here).
  const outbox = new ChatOutbox({ logger: pino({ level: 'silent' }), backoff: { initialMs: 50, factor: 2, maxMs: 200 } });
  const operators = createSlackOperators({ tasks: svc.services.manualTasks, directory: svc.services.operators, outbox, client: () => client, logger: pino({ level: 'silent' }), membersTtlMs: 0 });
  svc.operatorNotifiers.add(operators.notifier);
  const receiver = new ExpressReceiver({ signingSecret: sim.signingSecret, processBeforeResponse: true, ...quiet });
  const app = new App({ receiver, token: sim.workspace.botToken, clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } }, ...quiet });
  operators.register(app);
  server = receiver.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  driver = createSlackDriver(sim, { kind: 'http', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` }, { subscriptions: ['app_home_opened'] });
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await ops$?.close();
  await sim?.close();
});

const fallThrough = () => ops$.fallThrough();

const holds = (m: SimSlackMessage, taskId: string) => JSON.stringify(m.blocks ?? []).includes(JSON.stringify(taskId));
const cardTs = new Map<string, string>();
/** The task's card in #ops (found by its buttons once, then by ts), once `check` holds for it. */
async function card(taskId: string, check: (m: SimSlackMessage) => boolean = () => true): Promise<SimSlackMessage> {
  return waitFor(() => {
    const ts = cardTs.get(taskId);
    const m = ts ? sim.message(ops, ts) : sim.messages({ channel: ops }).find((x) => !x.threadTs && x.text.startsWith('Manual order') && holds(x, taskId));
    if (m) cardTs.set(taskId, m.ts);
    return m && check(m) ? m : null;
  }, `the card of ${taskId}`);
}
const buttonsOf = (m: SimSlackMessage) => [...JSON.stringify(m.blocks ?? []).matchAll(/"action_id":"(op_\w+)"/g)].map((x) => x[1]);
const ephemerals = (user: SimSlackUser) => sim.messages({ channel: ops, includeEphemeral: true }).filter((m) => m.ephemeralTo === user.id).map((m) => m.text);
const click = (user: SimSlackUser, m: SimSlackMessage, actionId: string) => driver.clickButton({ user: user.id, channel: ops, messageTs: m.ts, actionId });
const modalFor = (user: SimSlackUser, callbackId: string) => waitFor(() => sim.views().filter((v) => v.userId === user.id && v.view['callback_id'] === callbackId).at(-1), `a ${callbackId} modal`);
const taskDoc = (taskId: string) => ManualTask.findById(taskId).lean();

test('the card appears in the operator channel with everything needed to phone the order in, and a Claim button', async () => {
  const { taskId } = await fallThrough();
  const m = await card(taskId);
  const all = JSON.stringify(m.blocks);
  for (const fact of ['Downtown Café', '+12125550147', 'orders@downtown-cafe.example', '2× *Latte* — oat milk', '$14.25', 'Sam · +1***23', 'extra hot', 'POS: 503 ×3 · email: declined — out of oat milk', 'Open']) {
    expect(all).toContain(fact);
  }
  expect(all).toMatch(/\*Pickup\*\\n\w{3}, \d{1,2}:\d{2} (AM|PM) E[SD]T/);
  expect(all).not.toContain('5550123');
  expect(buttonsOf(m)).toEqual([ACTION.claim]);
});

test('two operators race to claim: one wins, the card says who, the other is told privately', async () => {
  const { taskId } = await fallThrough();
  const m = await card(taskId);
  const results = await Promise.all([click(ana, m, ACTION.claim), click(bo, m, ACTION.claim)]);
  expect(results.map((r) => r.status)).toEqual([200, 200]);
  const task = await waitFor(async () => { const t = await taskDoc(taskId); return t?.status === 'claimed' ? t : null; }, 'the claim');
  const [winner, loser] = task.operatorId === `slack:${sim.workspace.teamId}:${ana.id}` ? [ana, bo] : [bo, ana];
  const claimed = await card(taskId, (x) => x.text.includes('Claimed by'));
  expect(JSON.stringify(claimed.blocks)).toContain(`Claimed by <@${winner.id}>`);
  expect(buttonsOf(claimed)).toEqual([ACTION.complete, ACTION.fail, ACTION.release]);
  await waitFor(() => ephemerals(loser).some((t) => t === `Already claimed by <@${winner.id}>.`), 'the loser told who holds it');
  expect(ephemerals(winner).filter((t) => t.includes('Already claimed'))).toHaveLength(0);
});

test('a non-operator is refused privately and changes nothing; a non-holder cannot complete', async () => {
  const { taskId } = await fallThrough();
  const m = await card(taskId);
  await click(cy, m, ACTION.claim);
  await waitFor(() => ephemerals(cy).some((t) => t.startsWith('Only operators')), 'the refusal');
  expect((await taskDoc(taskId))?.status).toBe('open');
  await click(ana, m, ACTION.claim);
  const claimed = await card(taskId, (x) => x.text.includes('Claimed by'));
  const before = sim.views().length;
  await click(bo, claimed, ACTION.complete);
  await waitFor(() => ephemerals(bo).some((t) => t === `Only <@${ana.id}> can do that: they hold this order.`), 'the holder named');
  expect(sim.views().length).toBe(before); // no modal for a non-holder
});

test('complete through the modal: a bad value is shown in the modal, a good one completes the order and the card', async () => {
  const { actionId, taskId } = await fallThrough();
  await click(ana, await card(taskId), ACTION.claim);
  await click(ana, await card(taskId, (x) => x.text.includes('Claimed by')), ACTION.complete);
  const modal = await modalFor(ana, VIEW.complete);
  const bad = await driver.submitView({ user: ana.id, viewId: modal.id, values: { [FIELD.orderNumber]: '1547', [FIELD.readyIn]: 'soon', [FIELD.note]: '' } });
  expect(bad.status).toBe(200);
  expect(JSON.parse(bad.responseBody!)).toEqual({ response_action: 'errors', errors: { [FIELD.readyIn]: expect.stringMatching(/whole minutes/i) } });
  expect((await taskDoc(taskId))?.status).toBe('claimed'); // nothing happened
  const good = await driver.submitView({ user: ana.id, viewId: modal.id, values: { [FIELD.orderNumber]: 'DC-7001', [FIELD.readyIn]: '12', [FIELD.note]: 'phoned Maria' } });
  expect([good.status, good.responseBody]).toEqual([200, '']);
  const status = await waitForStatus(svc, actionId, 'completed');
  expect(status.action.orderNumber).toBe('DC-7001');
  expect(status.action.receipts).toHaveLength(1); // the receipt the customer's thread / SMS is sent
  expect(status.statusUpdates.at(-1)!.message).toContain('Order #DC-7001, ready in 12 minutes');
  const done = await card(taskId, (x) => x.text.includes('Completed by'));
  expect(JSON.stringify(done.blocks)).toContain('order #DC-7001, ready in 12 min');
  expect(buttonsOf(done)).toEqual([]);
  // The same submission delivered again changes nothing.
  await driver.redeliver(good);
  await new Promise((r) => setTimeout(r, 300));
  expect((await svc.status(actionId)).statusUpdates.filter((u) => u.status === 'completed')).toHaveLength(1);
});

test('fail through the modal: the team keeps the reason, the customer reads the operator\'s words', async () => {
  const { actionId, taskId } = await fallThrough();
  await click(bo, await card(taskId), ACTION.claim);
  await click(bo, await card(taskId, (x) => x.text.includes('Claimed by')), ACTION.fail);
  const modal = await modalFor(bo, VIEW.fail);
  const empty = await driver.submitView({ user: bo.id, viewId: modal.id, values: { [FIELD.reason]: '  ', [FIELD.customerMessage]: '' } });
  expect(JSON.parse(empty.responseBody!)).toMatchObject({ response_action: 'errors', errors: { [FIELD.reason]: expect.any(String) } });
  await driver.submitView({ user: bo.id, viewId: modal.id, values: { [FIELD.reason]: 'café closed early', [FIELD.customerMessage]: 'Sorry, the café closed early today.' } });
  const status = await waitForStatus(svc, actionId, 'failed');
  expect(status.statusUpdates.at(-1)!.message).toBe('Sorry, the café closed early today.');
  const failed = await card(taskId, (x) => x.text.includes('Failed by'));
  expect(JSON.stringify(failed.blocks)).toContain('café closed early');
  expect(buttonsOf(failed)).toEqual([]);
});

test('release puts the task back to open; a retried click changes nothing', async () => {
  const { taskId } = await fallThrough();
  const claim = await click(ana, await card(taskId), ACTION.claim);
  await click(ana, await card(taskId, (x) => x.text.includes('Claimed by')), ACTION.release);
  const reopened = await card(taskId, (x) => x.text.includes('Open again'));
  expect(buttonsOf(reopened)).toEqual([ACTION.claim]);
  // Slack delivers the old Claim click again: it must not claim the task a second time.
  const again: SlackDelivery = await driver.redeliver(claim);
  expect(again.status).toBe(200);
  await new Promise((r) => setTimeout(r, 300));
  expect(await taskDoc(taskId)).toMatchObject({ status: 'open', round: 1, operatorId: null });
});

test('completed through the HTTP API or cancelled by the customer: the card is updated and its buttons removed', async () => {
  const a = await fallThrough();
  await card(a.taskId);
  await svc.api('POST', `/manual-tasks/${a.taskId}/claim`, { body: { operatorId: 'till-3' } });
  await svc.api('POST', `/manual-tasks/${a.taskId}/complete`, { body: { operatorId: 'till-3', readyInMinutes: 5 } });
  const done = await card(a.taskId, (x) => x.text.includes('Completed by'));
  expect(buttonsOf(done)).toEqual([]);

  const b = await fallThrough();
  await click(bo, await card(b.taskId), ACTION.claim);
  await card(b.taskId, (x) => x.text.includes('Claimed by'));
  await svc.api('POST', `/actions/${b.actionId}/cancel`);
  const cancelled = await card(b.taskId, (x) => x.text.includes('Cancelled by the customer'));
  expect(buttonsOf(cancelled)).toEqual([]);
});

test('nudge and reminder on an injected clock: re-announced once in the channel, then a reminder to the claimer in the card thread', async () => {
  const { taskId } = await fallThrough();
  const m = await card(taskId);
  const settings = { nudgeAfterMs: 10 * 60_000, remindAfterMs: 20 * 60_000 };
  try {
    await nudgeThenRemind(taskId, m, settings);
  } finally {
    clockOffsetMs = 0; // the engine schedules jobs on the same clock: later tests need the real one
  }
});

async function nudgeThenRemind(taskId: string, m: SimSlackMessage, settings: { nudgeAfterMs: number; remindAfterMs: number }) {
  clockOffsetMs += 11 * 60_000;
  await svc.services.manualTasks.sweep(settings);
  await svc.services.manualTasks.sweep(settings);
  const nudge = await waitFor(() => sim.messages({ channel: ops }).find((x) => !x.threadTs && x.text.startsWith('Still waiting for an operator') && holds(x, taskId)), 'the nudge');
  expect(buttonsOf(nudge)).toEqual([ACTION.claim]);
  await click(ana, m, ACTION.claim);
  await card(taskId, (x) => x.text.includes('Claimed by'));
  clockOffsetMs += 21 * 60_000;
  await svc.services.manualTasks.sweep(settings);
  await svc.services.manualTasks.sweep(settings);
  const reminder = await waitFor(() => sim.thread(ops, m.ts).find((x) => x.text.includes('reminder')), 'the reminder in the thread');
  expect(reminder.text).toContain(`<@${ana.id}> reminder`);
  await new Promise((r) => setTimeout(r, 500));
  expect(sim.messages({ channel: ops }).filter((x) => x.text.startsWith('Still waiting for an operator') && holds(x, taskId))).toHaveLength(1);
  expect(sim.thread(ops, m.ts).filter((x) => x.text.includes('reminder'))).toHaveLength(1);
  // The nudge message follows the card: it shows the claim too.
  expect(sim.message(ops, nudge.ts)!.text).toContain('Claimed by');
}

test('App Home shows the operator\'s tasks and the unclaimed ones, and is republished when a task changes', async () => {
  const { taskId } = await fallThrough();
  const m = await card(taskId);
  await driver.sendEvent(sim.workspace.teamId, { type: 'app_home_opened', user: bo.id, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` });
  const home = () => sim.views().find((v) => v.userId === bo.id && v.view['type'] === 'home');
  await waitFor(() => { const h = home(); return h && JSON.stringify(h.view).includes(JSON.stringify(taskId)) ? h : null; }, 'the home with the unclaimed task');
  await click(bo, m, ACTION.claim);
  await waitFor(() => {
    const blocks = JSON.stringify(home()!.view);
    const mine = blocks.slice(0, blocks.indexOf('Unclaimed ('));
    return mine.includes(JSON.stringify(taskId)) && mine.includes(ACTION.complete);
  }, 'the task under "Your tasks" with its buttons');
  // Someone who is not an operator sees no tasks.
  await driver.sendEvent(sim.workspace.teamId, { type: 'app_home_opened', user: cy.id, channel: 'D0HOME2', tab: 'home', event_ts: `${Date.now() / 1000}` });
  const cyHome = await waitFor(() => sim.views().find((v) => v.userId === cy.id && v.view['type'] === 'home'), 'the home of a non-operator');
  expect(JSON.stringify(cyHome.view)).not.toContain(taskId);
});

test('one workspace serving two spaces: each operator\'s App Home shows the tasks of every space they work for, and the second space\'s card works', async () => {
  // A second space (its own API key, café and menu) whose operator channel is in the same workspace; only ana is in it.
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const space = await svc.api<{ space: { id: string }; apiKey: string }>('POST', '/admin/spaces', { body: { name: 'Harbor' }, headers: admin, key: null });
  const key = space.body.apiKey;
  const provider = await svc.api<{ provider: { id: string }; itemId: string }>('POST', '/providers', { key, body: { name: 'Harbor Coffee', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HC' } });
  const catalog = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/catalog-cafe.json'), 'utf8')) as Record<string, unknown>;
  expect((await svc.api('PUT', `/providers/${provider.body.provider.id}/catalog`, { key, body: { ...catalog, provider: { name: 'Harbor Coffee', timezone: 'America/Los_Angeles', currency: 'USD' } } })).status).toBe(200);
  const harborOps = sim.addChannel({ name: 'ops-harbor', members: [ana.id] }).id;
  expect((await svc.api('PUT', '/operators', { key, body: { channel: { id: harborOps, workspaceId: sim.workspace.teamId } } })).status).toBe(200);

  const downtown = await fallThrough();
  const harborOrder = await svc.api<{ action: { id: string } }>('POST', '/actions', {
    key, headers: { 'x-user-id': 'kim' }, body: { itemId: provider.body.itemId, type: 'order', parameters: { items: [{ name: 'Americano', quantity: 1 }], customer_name: 'Kim' } },
  });
  const harborTask = `${harborOrder.body.action.id}:0:1`; // no integration: the operator is the first step
  const harborCard = await waitFor(() => sim.messages({ channel: harborOps }).find((x) => holds(x, harborTask)), 'the Harbor card in its own channel');

  for (const user of [ana, bo]) {
    await driver.sendEvent(sim.workspace.teamId, { type: 'app_home_opened', user: user.id, channel: `D0H${user.id}`, tab: 'home', event_ts: `${Date.now() / 1000}` });
  }
  const homeOf = (user: SimSlackUser) => JSON.stringify(sim.views().find((v) => v.userId === user.id && v.view['type'] === 'home')?.view ?? {});
  await waitFor(() => homeOf(ana).includes(JSON.stringify(harborTask)) && homeOf(ana).includes(JSON.stringify(downtown.taskId)), 'ana\'s home with both spaces');
  await waitFor(() => homeOf(bo).includes(JSON.stringify(downtown.taskId)), 'bo\'s home');
  expect(homeOf(bo)).not.toContain(harborTask); // bo is not an operator of Harbor

  // ana claims the Harbor task from its card: the click finds the task's space, and both homes follow.
  await driver.clickButton({ user: ana.id, channel: harborOps, messageTs: harborCard.ts, actionId: ACTION.claim });
  await waitFor(() => sim.message(harborOps, harborCard.ts)!.text.includes('Claimed by'), 'the Harbor card claimed');
  await waitFor(() => { const h = homeOf(ana); return h.slice(0, h.indexOf('Unclaimed (')).includes(JSON.stringify(harborTask)); }, 'the Harbor task under ana\'s tasks');
  // bo (an operator of Downtown only) cannot take the Harbor task.
  await driver.clickButton({ user: bo.id, channel: harborOps, messageTs: harborCard.ts, actionId: ACTION.release });
  await waitFor(() => sim.messages({ channel: harborOps, includeEphemeral: true }).some((m) => m.ephemeralTo === bo.id), 'bo refused');
  expect((await taskDoc(harborTask))?.operatorId).toBe(`slack:${sim.workspace.teamId}:${ana.id}`);
});
