/**
 * ROLE=worker: an API process (ROLE=api, the Slack bot's HTTP endpoint) and a separate worker process, both
 * with the chat add-on as `npm start` builds it. The order falls through to the operator in the worker, so
 * the card is posted by the worker (the API process runs no steps and no jobs); the operator's clicks arrive
 * at the API process, which edits the card through the same outbox, lane and card record.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { createSlackDriver, startSlackSimulator, type SlackDriver, type SlackSimulator } from '../simulator/index.js';
import { Integration } from '../../../src/storage/models.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../../../test/support/harness.js';
import { slackWithOperators } from '../../../test/support/operators.js';
import { kill, startWorker } from '../../../test/support/workers.js';
import { ACTION, FIELD, VIEW } from './card.js';

jest.setTimeout(120_000);

let svc: TestService;
let slack: SlackSimulator;
let driver: SlackDriver;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  slack = await startSlackSimulator();
  svc = await startTestService({ env: { ROLE: 'api' }, extensions: slackWithOperators(slack) });
  driver = createSlackDriver(slack, { kind: 'http', url: `${svc.baseUrl}/slack/events` }, { subscriptions: [] });
  // No provider integration: the chain is the operator alone, so the worker's first step opens the task.
  await Integration.updateMany({ spaceId: svc.creds.spaceId }, { $set: { enabled: false } });
  worker = await startWorker({
    MONGODB_URI: process.env.TEST_MONGODB_URI!, TEST_DB_NAME: svc.dbName, DATA_DIR: svc.dataDir, LOG_LEVEL: 'silent',
    LINK_SIGNING_SECRET: 'test-link-secret-0123456789', AGENDA_PROCESS_EVERY_MS: '200', AGENDA_LOCK_LIFETIME_MS: '10000',
    SLACK_BOT_TOKEN: slack.workspace.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: slack.apiUrl,
  }, 'test/support/chat-worker-process.ts');
});
afterAll(async () => {
  if (worker) await kill(worker);
  await svc?.close();
  await slack?.close();
});

test('the worker that opens the task posts its card; the API process that takes the clicks edits the same card', async () => {
  const ana = slack.addUser({ name: 'ana' });
  const ops = slack.addChannel({ name: 'ops', members: [ana.id] }).id;
  expect((await svc.api('PUT', '/operators', { body: { channel: { id: ops, workspaceId: slack.workspace.teamId } } })).status).toBe(200);

  const { body } = await svc.order();
  const actionId = body.action.id;
  const taskId = `${actionId}:0:1`; // the operator is the chain's only (first) step
  const card = await waitFor(() => slack.messages({ channel: ops }).find((m) => JSON.stringify(m.blocks ?? []).includes(JSON.stringify(taskId))), 'the card posted by the worker', 30_000);
  expect(card.text).toMatch(/^Manual order: 1× Latte/);

  await driver.clickButton({ user: ana.id, channel: ops, messageTs: card.ts, actionId: ACTION.claim });
  await waitFor(() => slack.message(ops, card.ts)!.text.includes('Claimed by'), 'the claim on the same card');
  await driver.clickButton({ user: ana.id, channel: ops, messageTs: card.ts, actionId: ACTION.complete });
  const modal = await waitFor(() => slack.views().find((v) => v.userId === ana.id && v.view['callback_id'] === VIEW.complete), 'the modal');
  await driver.submitView({ user: ana.id, viewId: modal.id, values: { [FIELD.orderNumber]: 'DC-88', [FIELD.readyIn]: '5', [FIELD.note]: '' } });
  await waitForStatus(svc, actionId, 'completed', 30_000);
  await waitFor(() => slack.message(ops, card.ts)!.text.includes('Completed by'), 'the card completed');
  // One card for the task, posted once: every change edited it.
  expect(slack.messages({ channel: ops }).filter((m) => JSON.stringify(m.blocks ?? []).includes(JSON.stringify(taskId)) || m.text.startsWith('Manual order'))).toHaveLength(1);
});
