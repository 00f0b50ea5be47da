/**
 * The fallback chain: retries with backoff on the same handler, fall-through on permanent failure or
 * exhausted retries, confirmation timeouts, and manual as the last stop — with email down (SMTP refused).
 */
import { jest } from '@jest/globals';
import { freePort } from '../../src/db/ferretdb.js';
import { HandlerError } from '../../src/engine/types.js';
import { Action, ActionExecution, ActionExecutionLive, Integration } from '../../src/storage/models.js';
import { createFixtureHandler, permanent, transient } from '../support/fixture-handler.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
let script: (n: number) => ReturnType<typeof transient> = () => transient();
const flaky = createFixtureHandler('flaky-pos', 'api', (_call, n) => script(n));

beforeAll(async () => {
  const closedPort = await freePort(); // nothing listens here: every SMTP connection is refused
  svc = await startTestService({
    env: { SMTP_URL: `smtp://127.0.0.1:${closedPort}` },
    extraHandlers: [flaky],
    retryPolicies: { 'flaky-pos': { maxAttempts: 3, initialDelayMs: 200, factor: 2 }, email: { maxAttempts: 2, initialDelayMs: 100 } },
  });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'flaky-pos', priority: 1, enabled: true, config: {} });
});
afterAll(async () => { await svc?.close(); });
beforeEach(() => { flaky.calls.length = 0; });

async function manualTaskFor(actionId: string) {
  return waitFor(async () => {
    const r = await svc.api<{ tasks: Array<{ id: string; actionId: string }> }>('GET', '/manual-tasks');
    return r.body.tasks.find((t) => String(t.actionId) === actionId);
  }, 'a manual task');
}

test('transient failures retry the same handler with growing delays, then fall through; email down → operator completes', async () => {
  script = () => transient('POS returned 503');
  const { body } = await svc.order();
  const id = body.action.id;
  const task = await manualTaskFor(id);

  expect(flaky.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
  expect(new Set(flaky.calls.map((c) => c.idempotencyKey)).size).toBe(1); // stable across attempts
  const gaps = flaky.calls.slice(1).map((c, i) => c.at - flaky.calls[i]!.at);
  expect(gaps[0]).toBeGreaterThanOrEqual(180); // 200 ms ±10% jitter
  expect(gaps[1]).toBeGreaterThanOrEqual(360); // 400 ms ±10%

  await svc.api('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op-7' } });
  await svc.api('POST', `/manual-tasks/${task.id}/complete`, { body: { operatorId: 'op-7', readyInMinutes: 5 } });
  const status = await waitForStatus(svc, id, 'completed');
  expect(status.action.executions.map((e) => `${e.handlerName}#${e.attempt}:${e.status}`)).toEqual([
    'flaky-pos#1:retrying', 'flaky-pos#2:retrying', 'flaky-pos#3:failed', 'email#1:retrying', 'email#2:failed', 'manual#1:completed',
  ]);
  expect(status.action.executions[4]!.error).toMatchObject({ code: 'unavailable' });
  const messages = status.statusUpdates.map((u) => u.message);
  expect(messages.some((m) => /retrying in \d+ s \(attempt 2 of 3\)/.test(m))).toBe(true);
  expect(messages.some((m) => m.includes("The POS didn't answer after 3 tries"))).toBe(true);
  expect(status.action.receipts).toHaveLength(1);
  expect(status.action.orderNumber).toMatch(/^DC-\d+$/);
  // The action lists the six executions it started; the transition that ended it moved each one, by that id.
  const ids = status.action.executions.map((e) => (e as unknown as { id: string }).id);
  expect((await Action.findById(id, { executionIds: 1 }).lean())?.executionIds).toEqual(ids);
  expect(await ActionExecutionLive.countDocuments({ actionId: id })).toBe(0);
  expect(await ActionExecution.countDocuments({ actionId: id })).toBe(6);
});

test('a permanent failure falls through at once, without retries', async () => {
  script = () => permanent('Square rejected the access token');
  const { body } = await svc.order();
  await manualTaskFor(body.action.id);
  expect(flaky.calls).toHaveLength(1);
  const status = await svc.status(body.action.id);
  expect(status.action.executions[0]).toMatchObject({ handlerName: 'flaky-pos', status: 'failed', error: { code: 'bad_request', message: 'Square rejected the access token' } });
  expect(status.statusUpdates.map((u) => u.message).join('\n')).not.toContain('access token');
});

test('Retry-After from the provider overrides the backoff delay', async () => {
  script = (n) => (n === 1 ? { kind: 'retryable', error: HandlerError.transient('rate_limited', '429 Too Many Requests'), retryAfterMs: 900 } : { kind: 'completed', externalRef: 'pos-1' });
  const { body } = await svc.order();
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(flaky.calls).toHaveLength(2);
  expect(flaky.calls[1]!.at - flaky.calls[0]!.at).toBeGreaterThanOrEqual(880);
  expect(status.action.receipts[0]!.data).toMatchObject({ total: '$8.75' });
});

test('an awaiting step that is never confirmed times out to the next handler', async () => {
  script = () => ({ kind: 'awaiting', externalRef: 'pending-1', message: 'Waiting for the POS to accept...', timeoutMs: 400 });
  const { body } = await svc.order();
  await manualTaskFor(body.action.id);
  const status = await svc.status(body.action.id);
  expect(status.action.executions[0]).toMatchObject({ handlerName: 'flaky-pos', status: 'timed_out' });
  expect(status.statusUpdates.map((u) => u.message)).toEqual(expect.arrayContaining([expect.stringContaining('No confirmation from the POS in time')]));
});

test('an operator failing the manual task fails the action, with action.failed recorded', async () => {
  script = () => permanent('nope');
  const { body } = await svc.order();
  const task = await manualTaskFor(body.action.id);
  const failed = await svc.api('POST', `/manual-tasks/${task.id}/fail`, { body: { operatorId: 'op-1', reason: 'café is closed' } });
  expect(failed.status).toBe(200);
  const status = await waitForStatus(svc, body.action.id, 'failed');
  // The reason is for the team: on the execution, not in the customer's status message.
  expect(status.statusUpdates.at(-1)!.message).toBe("Sorry, we couldn't place your order.");
  expect(status.action.executions.at(-1)).toMatchObject({ handlerName: 'manual', error: { message: 'café is closed' } });
  expect(status.action.receipts).toHaveLength(0);
});
