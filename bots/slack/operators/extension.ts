/**
 * Wires the Slack operator UI into a running service: a ServiceExtension that takes the engine services
 * (manual tasks, operator directory) and hands the engine its operator notifier, plus the `extend` hook the
 * Slack bot calls with its Bolt app and per-workspace clients. Cards go out through the chat extension's
 * outbox. List this extension before the chat extension, so the services are known when the Slack bot is
 * built:
 *
 *   let chat: ChatExtension;
 *   const operators = slackOperatorsExtension({ outbox: () => chat.outbox() });
 *   chat = createChatExtension({ platforms: [slackBot({ ..., extend: operators.extend })], ... });
 *   await startService(config, logger, { extensions: [operators, chat] });
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ServiceExtension } from '../../../src/extensions.js';
import type { OperatorNotifier } from '../../../src/operators/events.js';
import type { EngineServices } from '../../../src/service.js';
import type { ChatOutbox } from '../../delivery/outbox.js';
import { createSlackOperators, type SlackOperators } from './index.js';
import { SLACK_OPERATOR_MODELS } from './store.js';

export interface SlackOperatorsExtension extends ServiceExtension {
  /** Pass as `slackBot({ extend })`. */
  extend(app: App, clientFor: (teamId: string) => Promise<WebClient>): void;
}

export function slackOperatorsExtension(o: { outbox: () => ChatOutbox; membersTtlMs?: number }): SlackOperatorsExtension {
  let ctx: { services: EngineServices; logger: Logger; now: () => Date } | null = null;
  let operators: SlackOperators | null = null;
  // The engine may run a task change before the Slack bot exists (start-up): its fallback job retries it.
  const notifier: OperatorNotifier = {
    name: 'slack-operators',
    async notify(change, task) {
      if (!operators) throw new Error('the Slack bot is not running yet');
      await operators.notifier.notify(change, task);
    },
  };
  return {
    name: 'slack-operators',
    async setup(c) {
      ctx = { services: c.services, logger: c.logger, now: c.now };
      await Promise.all(SLACK_OPERATOR_MODELS.map((m) => m.createIndexes()));
      return { operatorNotifiers: [notifier] };
    },
    extend(app, clientFor) {
      if (!ctx) throw new Error('list slackOperatorsExtension() before the chat extension');
      operators = createSlackOperators({
        tasks: ctx.services.manualTasks, directory: ctx.services.operators, outbox: o.outbox(), client: clientFor, logger: ctx.logger, now: ctx.now,
        ...(o.membersTtlMs !== undefined ? { membersTtlMs: o.membersTtlMs } : {}),
      });
      operators.register(app);
    },
  };
}
