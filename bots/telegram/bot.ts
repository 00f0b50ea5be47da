/**
 * The Telegram bot (telegraf): turns updates into the conversation's inbound calls and sends its replies
 * through `createTelegramTransport`. `/start <code>` joins a chat to a space; `/order …`, other commands and
 * plain text in a private chat, and @mentions or replies to the bot in groups, are customer messages; inline
 * buttons are answered at once (`answerCallbackQuery`) and then handed over. Updates arrive on a webhook at
 * `/telegram/webhook` (checked against the secret token) when the public URL is https, else by long polling.
 * Dedupe of repeated `update_id`s is the runtime's (eventId = `<bot id>:<update_id>`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorBody, errors, json, noAuth, ok, op } from '../../src/api/openapi.js';
import { Telegraf, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import type { Message, Update, User } from 'telegraf/types';
import { telegramUserId, type ChatInbound, type ChatUser } from '../conversation/types.js';
import type { PlatformBot, PlatformBotFactory } from '../platform.js';
import { threadForCard, threadForMessage } from './threads.js';
import { createTelegramTransport } from './transport.js';

export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';
const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
/** How long the polling loop waits for an update before fetching the next batch (see below). */
const POLLING_HEAD_START_MS = 500;

export interface TelegramBotOptions {
  token: string;
  /** Bot API root (the simulator in the demo and tests); Telegram's by default. */
  apiRoot?: string;
  inbound: ChatInbound;
  /** When https (or when mode is 'webhook'), Telegram is told to POST updates to `<publicBaseUrl>/telegram/webhook`. */
  publicBaseUrl?: string | null;
  webhookSecret?: string;
  /** Defaults to webhook for an https public URL, else polling. */
  mode?: 'webhook' | 'polling';
  logger: Logger;
}

export interface TelegramBot extends PlatformBot {
  readonly platform: 'telegram';
  readonly mode: 'webhook' | 'polling';
  readonly telegraf: Telegraf;
  /** [POST /telegram/webhook]: 401 without the secret token; otherwise handled, then 200 (500 lets Telegram retry). */
  readonly routers: Router[];
  /** Webhook: registers it with Telegram. Polling: starts the loop (which deletes any webhook first). */
  start(): Promise<string[]>;
  close(): Promise<void>;
  /** The bot's @username once started (for t.me deep links). */
  username(): string | null;
}

/** [POST /telegram/webhook] in the service's OpenAPI document. */
const telegramWebhookPaths: ZodOpenApiPathsObject = {
  [TELEGRAM_WEBHOOK_PATH]: {
    post: op('Inbound chat', 'Telegram delivers bot updates (webhook mode)', {
      security: noAuth,
      requestParams: { header: z.object({ 'x-telegram-bot-api-secret-token': z.string().meta({ description: 'The secret_token given to setWebhook (TELEGRAM_WEBHOOK_SECRET)' }) }) },
      requestBody: { content: { 'application/json': { schema: z.object({ update_id: z.number().int() }).loose() } } },
      responses: {
        ...ok(z.object({ ok: z.literal(true) }), 'Handled'),
        '500': { description: 'Not handled: Telegram delivers it again', content: json(ErrorBody) },
        ...errors(400, 401, 413),
      },
    }),
  },
};

/** The webhook's secret token when none is configured: stable across restarts and processes, and not the token itself. */
export function defaultWebhookSecret(botToken: string): string {
  return createHmac('sha256', botToken).update('rouh telegram webhook').digest('hex');
}

function displayName(user: User): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ');
}

function chatUser(user: User): ChatUser {
  return { id: telegramUserId(user.id), displayName: displayName(user) };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The text with the bot's @mention removed, or null when the message does not mention the bot. */
function withoutMention(msg: Message.TextMessage, botUsername: string, botId: number): string | null {
  let found = false;
  let text = msg.text;
  for (const entity of [...(msg.entities ?? [])].sort((a, b) => b.offset - a.offset)) {
    const mentioned = entity.type === 'mention'
      ? msg.text.slice(entity.offset, entity.offset + entity.length).toLowerCase() === `@${botUsername.toLowerCase()}`
      : entity.type === 'text_mention' && entity.user.id === botId;
    if (!mentioned) continue;
    found = true;
    text = `${text.slice(0, entity.offset)}${text.slice(entity.offset + entity.length)}`;
  }
  return found ? text.replace(/\s+/g, ' ').trim() : null;
}

/** "/menu@rouh_bot" → "menu"; null for a command addressed to another bot. */
function commandAsWords(text: string, botUsername: string): string | null {
  const match = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return text;
  const [, command = '', addressee, rest = ''] = match;
  if (addressee && addressee.toLowerCase() !== botUsername.toLowerCase()) return null;
  return `${command} ${rest}`.trim();
}

export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const botId = Number(options.token.split(':')[0]);
  const secret = options.webhookSecret ?? defaultWebhookSecret(options.token);
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/$/, '') ?? null;
  const mode = options.mode ?? (publicBaseUrl?.startsWith('https://') ? 'webhook' : 'polling');
  const log = options.logger.child({ component: 'telegram' });
  // webhookReply off: every call is a real API call, so its errors are seen (and we answer the webhook ourselves).
  const telegraf = new Telegraf(options.token, { telegram: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), webhookReply: false } });
  const transport = createTelegramTransport(telegraf.telegram, botId);
  const { inbound } = options;
  let polling: Promise<void> | null = null;
  let pollingEnded = true;

  const eventId = (ctx: Context): string => `${botId}:${ctx.update.update_id}`;

  // Long polling: telegraf fetches the next batch only when the whole previous one is handled, so one slow
  // update (placing an order on a slow database) would hold up every other chat. Each update gets a short
  // head start, then the loop moves on while it finishes in the background (close() waits for it).
  const background = new Set<Promise<void>>();
  if (mode === 'polling') {
    telegraf.use((ctx, next) => {
      const work = next().catch((error: unknown) => {
        log.error({ err: error, updateId: ctx.update.update_id }, 'telegram update failed');
      });
      background.add(work);
      void work.finally(() => background.delete(work));
      return Promise.race([work, new Promise<void>((resolve) => setTimeout(resolve, POLLING_HEAD_START_MS).unref())]);
    });
  }

  // Answer a button press at once, ahead of the chat's queue: the client shows a spinner until then, and the
  // query goes stale after a few seconds.
  telegraf.use(async (ctx, next) => {
    if (ctx.callbackQuery) await ctx.answerCbQuery().catch((error: unknown) => log.warn({ err: error }, 'answerCallbackQuery failed'));
    return next();
  });

  // One chat's updates are handled one after another, in update order: telegraf runs a polled batch
  // concurrently, and a customer's "make it 3" must not overtake the order it changes.
  const chatQueues = new Map<number, Promise<void>>();
  telegraf.use(async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return next();
    const turn = (chatQueues.get(chatId) ?? Promise.resolve()).then(() => next());
    const settled = turn.catch(() => undefined);
    chatQueues.set(chatId, settled);
    try {
      await turn;
    } finally {
      if (chatQueues.get(chatId) === settled) chatQueues.delete(chatId);
    }
  });

  async function onCustomerText(ctx: Context, msg: Message.TextMessage, text: string): Promise<void> {
    if (!msg.from || msg.from.is_bot) return;
    const replied = msg.reply_to_message;
    const thread = await threadForMessage({
      botId,
      chatId: msg.chat.id,
      isPrivate: msg.chat.type === 'private',
      messageId: msg.message_id,
      replyTo: replied ? {
        messageId: replied.message_id,
        ...('reply_to_message' in replied && replied.reply_to_message ? { replyToMessageId: (replied.reply_to_message as Message).message_id } : {}),
        ...(replied.from?.id === botId ? { ours: { sentAt: replied.date * 1000 } } : {}),
      } : undefined,
    });
    await inbound.handleMessage({ thread, user: chatUser(msg.from), text, eventId: eventId(ctx), messageId: String(msg.message_id) });
  }

  telegraf.start(async (ctx) => {
    const code = ctx.payload.trim();
    if (code === '') return onCustomerText(ctx, ctx.message, 'help');
    const thread = await threadForMessage({ botId, chatId: ctx.chat.id, isPrivate: ctx.chat.type === 'private', messageId: ctx.message.message_id });
    await inbound.handleLink({ thread, user: chatUser(ctx.from), code, eventId: eventId(ctx) });
  });

  telegraf.on(message('text'), async (ctx) => {
    const msg = ctx.message;
    const username = ctx.botInfo.username;
    const isPrivate = msg.chat.type === 'private';
    // Commands in any chat ("/order 2 lattes" keeps its command: the conversation reads it as an order).
    if (msg.text.startsWith('/')) {
      const words = commandAsWords(msg.text, username);
      if (words === null) return;
      return onCustomerText(ctx, msg, words.startsWith('order') ? `/${words}` : words);
    }
    if (isPrivate) return onCustomerText(ctx, msg, msg.text);
    // Groups: only what is addressed to the bot — an @mention, or a reply to one of its messages.
    const text = withoutMention(msg, username, botId);
    if (text !== null) return onCustomerText(ctx, msg, text);
    if (msg.reply_to_message?.from?.id === botId) return onCustomerText(ctx, msg, msg.text);
  });

  telegraf.on('callback_query', async (ctx) => {
    const query = ctx.callbackQuery;
    if (!('data' in query) || !query.message || !('chat' in query.message)) return;
    const card = query.message as Message;
    const thread = await threadForCard(botId, card.chat.id, card.chat.type === 'private', {
      messageId: card.message_id,
      ...('reply_to_message' in card && card.reply_to_message ? { replyToMessageId: card.reply_to_message.message_id } : {}),
    });
    await inbound.handleButton({ thread, user: chatUser(query.from), value: query.data, eventId: eventId(ctx) });
  });

  telegraf.catch((error, ctx) => {
    log.error({ err: error, updateId: ctx.update.update_id }, 'telegram update failed');
    // In webhook mode the failure reaches the route, which answers 500 so that Telegram delivers it again.
    if (mode === 'webhook') throw error;
  });

  const router = express.Router();
  router.post(
    TELEGRAM_WEBHOOK_PATH,
    (req: Request, res: Response, next: NextFunction) => {
      if (!sameSecret(req.get('x-telegram-bot-api-secret-token') ?? '', secret)) {
        res.status(401).json({ error: { code: 'unauthorized', message: 'Missing or wrong secret token' } });
        return;
      }
      next();
    },
    express.json({ limit: '1mb' }),
    async (req: Request, res: Response) => {
      const update = req.body as Update | undefined;
      if (typeof update !== 'object' || update === null || typeof update.update_id !== 'number') {
        res.status(400).json({ error: { code: 'invalid_update', message: 'Body must be a Telegram update', field: 'update_id' } });
        return;
      }
      try {
        await telegraf.handleUpdate(update);
        res.status(200).json({ ok: true });
      } catch {
        res.status(500).json({ error: { code: 'internal', message: 'Could not handle the update' } });
      }
    },
  );

  return {
    platform: 'telegram',
    mode,
    transport,
    telegraf,
    routers: [router],
    openApiPaths: telegramWebhookPaths,
    username: () => telegraf.botInfo?.username ?? null,
    async start() {
      telegraf.botInfo ??= await telegraf.telegram.getMe();
      const name = `@${telegraf.botInfo.username}`;
      if (mode === 'webhook') {
        if (!publicBaseUrl) throw new Error('Telegram webhook mode needs PUBLIC_BASE_URL');
        await telegraf.telegram.setWebhook(`${publicBaseUrl}${TELEGRAM_WEBHOOK_PATH}`, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
        log.info({ botId }, 'telegram bot receiving updates by webhook');
        return [`  Telegram: ${name} receives updates at ${publicBaseUrl}${TELEGRAM_WEBHOOK_PATH}`];
      }
      pollingEnded = false;
      polling = telegraf.launch({ allowedUpdates: [...ALLOWED_UPDATES] }).catch((error: unknown) => {
        log.error({ err: error }, 'telegram long polling stopped');
      }).finally(() => {
        pollingEnded = true;
      });
      log.info({ botId }, 'telegram bot receiving updates by long polling');
      return [`  Telegram: ${name} receives updates by long polling`];
    },
    async close() {
      if (!polling) return;
      const running = polling;
      polling = null;
      // telegraf refuses stop() until its loop has begun (after getMe and deleteWebhook); then it ends the long poll.
      await retryFor(() => {
        if (!pollingEnded) telegraf.stop('shutdown');
      }, 5000);
      await running;
      await Promise.all([...background]);
    },
  };
}

/** Options for the bot that come from configuration rather than from the chat extension. */
export type TelegramBotSettings = Omit<TelegramBotOptions, 'inbound' | 'logger' | 'publicBaseUrl'>;

/** The chat extension builds the bot with its runtime as the inbound side (bots/index.ts). */
export function telegramPlatform(settings: TelegramBotSettings): PlatformBotFactory {
  return ({ inbound, logger, publicBaseUrl }) => createTelegramBot({ ...settings, inbound, logger, publicBaseUrl });
}

async function retryFor(attempt: () => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
