/**
 * The operator tests' common ground: the real service whose demo café's POS always answers 503 (a fixture
 * `flaky-pos` api integration, three quick attempts) and whose emails go to an SMTP sink, and the order that
 * falls through to an operator (POS 503 ×3, then the café declines the email).
 */
import { loadChatConfig } from '../../bots/config.js';
import { createChatExtension, type ChatExtension, type ChatExtensionOptions } from '../../bots/index.js';
import { slackBot } from '../../bots/slack/bot.js';
import { slackOperatorsExtension } from '../../bots/slack/operators/extension.js';
import type { SlackSimulator } from '../../bots/slack/simulator/index.js';
import type { ServiceExtension } from '../../src/extensions.js';
import { Integration } from '../../src/storage/models.js';
import type { ServiceOverrides } from '../../src/service.js';
import { createFixtureHandler, transient } from './fixture-handler.js';
import { startTestService, waitFor, waitForStatus, type TestService } from './harness.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';

export const FALL_THROUGH_ORDER = {
  items: [{ name: 'Latte', quantity: 2, modifications: ['oat milk'] }, { name: 'Croissant', quantity: 1 }],
  pickup_time: '30 minutes', customer_name: 'Sam', customer_phone: '+14155550123', special_instructions: 'extra hot',
};

export interface OperatorService {
  svc: TestService;
  /** Places FALL_THROUGH_ORDER and waits until its manual task is waiting for an operator. */
  fallThrough(): Promise<{ actionId: string; taskId: string }>;
  close(): Promise<void>;
}

export async function startOperatorService(o: ServiceOverrides & { env?: Record<string, string> } = {}): Promise<OperatorService> {
  const smtp: SmtpSink = await startSmtpSink();
  const pos = createFixtureHandler('flaky-pos', 'api', () => transient('Square is unavailable: HTTP 503 (SERVICE_UNAVAILABLE: try later)'));
  const svc = await startTestService({
    ...o,
    env: { SMTP_URL: smtp.url, ...o.env },
    extraHandlers: [pos, ...(o.extraHandlers ?? [])],
    retryPolicies: { 'flaky-pos': { maxAttempts: 3, initialDelayMs: 20, factor: 1 }, ...o.retryPolicies },
  });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'flaky-pos', priority: 1, enabled: true, config: {} });
  return {
    svc,
    async fallThrough() {
      const { body } = await svc.order(FALL_THROUGH_ORDER);
      const actionId = body.action.id;
      const reached = async (handler: string, status?: string) => (await svc.status(actionId)).action.executions.some((e) => e.handlerName === handler && (!status || e.status === status));
      await waitFor(() => reached('email', 'awaiting'), 'the email step to await', 30_000);
      // The decline applies once the step's wait is committed (a busy machine can lag the execution record).
      await waitFor(async () => (await svc.service.decline(`${actionId}:1:1`, 'out of oat milk')).applied || (await reached('manual')), 'the café\'s decline to apply', 30_000);
      await waitFor(() => reached('manual'), 'the manual step', 30_000);
      await waitForStatus(svc, actionId, 'awaiting_confirmation');
      return { actionId, taskId: `${actionId}:2:1` };
    },
    async close() {
      await svc.close();
      await smtp.close();
    },
  };
}

/**
 * The chat extension with the real Slack bot pointed at a simulator, and the operator UI on it: what
 * `npm start` composes (bots/compose.ts), for `startTestService({ extensions })`.
 */
export function slackWithOperators(slack: SlackSimulator, o: Pick<ChatExtensionOptions, 'backoff' | 'sweepEvery'> = {}): ServiceExtension[] {
  let chat: ChatExtension | null = null;
  const operators = slackOperatorsExtension({ outbox: () => chat!.outbox(), membersTtlMs: 0 });
  chat = createChatExtension({
    ...o,
    config: loadChatConfig({}),
    platforms: [slackBot({ botToken: slack.workspace.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl, extend: operators.extend })],
  });
  return [operators, chat];
}
