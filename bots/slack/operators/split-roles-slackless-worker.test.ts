/**
 * Split roles where only the API process has the Slack bot: the worker (ROLE=worker, no Slack settings) runs
 * the step that opens the manual task, so it has no notifier to tell operators. The task change must not be
 * dropped there: its durable job waits for a process with an operator notifier (here the API process), which
 * posts the card; the worker's later changes (the nudge sweep) reach the card the same way.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { startSlackSimulator, type SlackSimulator } from '../simulator/index.js';
import { Integration } from '../../../src/storage/models.js';
import { startTestService, waitFor, type TestService } from '../../../test/support/harness.js';
import { slackWithOperators } from '../../../test/support/operators.js';
import { kill, startWorker } from '../../../test/support/workers.js';

jest.setTimeout(120_000);

let svc: TestService;
let slack: SlackSimulator;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  slack = await startSlackSimulator();
  svc = await startTestService({ env: { ROLE: 'api', AGENDA_PROCESS_EVERY_MS: '200' }, extensions: slackWithOperators(slack) });
  // No provider integration: the chain is the operator alone, so the worker's first step opens the task.
  await Integration.updateMany({ spaceId: svc.creds.spaceId }, { $set: { enabled: false } });
  worker = await startWorker({
    MONGODB_URI: process.env.TEST_MONGODB_URI!, TEST_DB_NAME: svc.dbName, DATA_DIR: svc.dataDir, LOG_LEVEL: 'silent',
    LINK_SIGNING_SECRET: 'test-link-secret-0123456789', AGENDA_PROCESS_EVERY_MS: '200', AGENDA_LOCK_LIFETIME_MS: '10000',
    // No SLACK_* (or TELEGRAM_*) settings: this process has no chat bot, so no operator notifier.
  }, 'test/support/chat-worker-process.ts');
});
afterAll(async () => {
  if (worker) await kill(worker);
  await svc?.close();
  await slack?.close();
});

test('a task opened by a worker without Slack settings gets its card from the API process that has the Slack bot', async () => {
  const ana = slack.addUser({ name: 'ana' });
  const ops = slack.addChannel({ name: 'ops', members: [ana.id] }).id;
  expect((await svc.api('PUT', '/operators', { body: { channel: { id: ops, workspaceId: slack.workspace.teamId } } })).status).toBe(200);

  const { body } = await svc.order();
  const taskId = `${body.action.id}:0:1`; // the operator is the chain's only (first) step
  const card = await waitFor(() => slack.messages({ channel: ops }).find((m) => JSON.stringify(m.blocks ?? []).includes(JSON.stringify(taskId))), 'the card, posted by the API process', 60_000);
  expect(card.text).toMatch(/^Manual order: 1× Latte/);
  expect(slack.messages({ channel: ops }).filter((m) => m.text.startsWith('Manual order'))).toHaveLength(1);
});
