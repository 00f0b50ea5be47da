/**
 * The chat bots as one service extension: the conversation runtime, the durable outbox and its jobs, the
 * chat notifier, the connections API and the platform bots (Slack, Telegram). The composition root
 * (`main.ts`) builds it and passes it to `startService`; nothing in src/ imports this folder.
 */
import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import type { ServiceExtension } from '../src/extensions.js';
import { chatApiPaths, chatApiRouter } from './api.js';
import { cleanupChatRecords } from './cleanup.js';
import type { ChatConfig } from './config.js';
import type { OrderingPort } from './conversation/ports.js';
import { createChatNotifier } from './delivery/notifier.js';
import { ChatOutbox } from './delivery/outbox.js';
import { engineOrderingPort } from './engine-port.js';
import type { PlatformBot, PlatformBotFactory } from './platform.js';
import { ChatRuntime, type InboundRetryPolicy } from './runtime.js';
import type { SlackPlatformBot } from './slack/bot.js';
import { CHAT_MODELS } from './storage/models.js';

export const CHAT_JOB = { deliver: 'chat.deliver', retryInbound: 'chat.retry-inbound', sweep: 'chat.sweep', cleanup: 'chat.cleanup' } as const;

export interface ChatExtensionOptions {
  config: ChatConfig;
  /** The platform bots to run (Slack, Telegram), each built with the runtime as its inbound side. */
  platforms: PlatformBotFactory[];
  /** Runs after the platforms started (the demo connects its space here); returns lines to print. */
  onStarted?: (chat: ChatExtension, info: { baseUrl: string }) => Promise<string[] | void>;
  /** Tests: a different engine port. */
  ordering?: OrderingPort;
  /** Tests: faster retries. */
  backoff?: { initialMs: number; factor: number; maxMs: number };
  /** Tests: faster retries of failed inbound updates. */
  inboundRetry?: InboundRetryPolicy;
  sweepEvery?: string;
}

export interface ChatExtension extends ServiceExtension {
  runtime(): ChatRuntime;
  outbox(): ChatOutbox;
  bots(): PlatformBot[];
}

export function createChatExtension(o: ChatExtensionOptions): ChatExtension {
  let runtime: ChatRuntime | null = null;
  let outbox: ChatOutbox | null = null;
  let agenda: Agenda | null = null;
  let logger: Logger | null = null;
  const bots: PlatformBot[] = [];

  return {
    name: 'chat',
    runtime: () => runtime!,
    outbox: () => outbox!,
    bots: () => bots,

    async setup(c) {
      logger = c.logger;
      agenda = c.agenda;
      await Promise.all(CHAT_MODELS.map((m) => m.createIndexes()));
      const ordering = o.ordering ?? engineOrderingPort(c.services);
      outbox = new ChatOutbox({
        logger: c.logger, now: c.now, ...(o.backoff ? { backoff: o.backoff } : {}),
        scheduleDrain: async (threadKey, at) => { await c.agenda.schedule(at, CHAT_JOB.deliver, { threadKey }); },
      });
      runtime = new ChatRuntime({
        ordering, outbox, logger: c.logger, draftTtlMs: o.config.draftTtlMs, now: c.now, ...(o.inboundRetry ? { inboundRetry: o.inboundRetry } : {}),
        scheduleRetry: async (id, at) => { await c.agenda.schedule(at, CHAT_JOB.retryInbound, { id }); },
      });
      for (const factory of o.platforms) {
        const bot = await factory({ inbound: runtime, logger: c.logger.child({ platform: 'chat' }), publicBaseUrl: c.config.publicBaseUrl });
        runtime.useTransport(bot.transport);
        bots.push(bot);
      }
      // Any process with chat bots retries and sweeps its outbox and its inbound updates, whatever its role: with
      // split roles the bots may live only in the API process (a worker without chat settings leaves chat work to it).
      const box = outbox;
      const inbound = runtime;
      c.agenda.define<{ threadKey: string }>(CHAT_JOB.deliver, async (job) => { await box.drain(job.attrs.data.threadKey); }, { removeOnComplete: true });
      c.agenda.define<{ id: string }>(CHAT_JOB.retryInbound, async (job) => { await inbound.retryDue(job.attrs.data.id); }, { removeOnComplete: true });
      c.agenda.define(CHAT_JOB.sweep, async () => { await inbound.sweepInbound(); await box.sweep(); });
      c.agenda.define(CHAT_JOB.cleanup, async () => { await cleanupChatRecords(c.now()); });
      const telegram = () => (bots.find((b) => b.platform === 'telegram') as (PlatformBot & { username?: () => string | null }) | undefined)?.username?.() ?? null;
      const slackInstallUrl = (bots.find((b) => b.platform === 'slack') as SlackPlatformBot | undefined)?.installUrl ?? null;
      const routers = c.servesHttp ? [...bots.flatMap((b) => b.routers), chatApiRouter({ guards: c.apiGuards, now: c.now, telegramUsername: telegram, slackInstallUrl })] : [];
      const openApiPaths = c.servesHttp ? Object.assign({}, chatApiPaths, ...bots.map((b) => b.openApiPaths ?? {})) : {};
      return { notifiers: [createChatNotifier({ ordering, outbox, logger: c.logger, now: c.now })], routers, openApiPaths };
    },

    async start(info) {
      const notes: string[] = [];
      for (const bot of bots) notes.push(...((await bot.start()) ?? []));
      if (agenda) {
        await agenda.every(o.sweepEvery ?? '10 seconds', CHAT_JOB.sweep);
        await agenda.every('1 hour', CHAT_JOB.cleanup);
      }
      notes.push(...((await o.onStarted?.(this as ChatExtension, info)) ?? []));
      logger?.info({ platforms: bots.map((b) => b.platform) }, 'chat bots started');
      return notes;
    },

    async close() {
      for (const bot of bots) await bot.close().catch(() => undefined);
      await runtime?.close();
      await outbox?.close();
    },
  };
}
