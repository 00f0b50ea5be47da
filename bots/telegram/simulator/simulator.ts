/**
 * A local stand-in for the Telegram Bot API at `<apiRoot>/bot<token>/<method>` (telegraf: `telegram: { apiRoot }`).
 * It keeps what people would see (messages per chat with reply chains, keyboards, edits, callback answers),
 * queues updates for getUpdates (offset confirmation, long poll, 409 while a webhook is set or when a second
 * poller comes) or delivers them to a webhook with `X-Telegram-Bot-Api-Secret-Token`, executing any method
 * the bot writes into the webhook's HTTP answer (telegraf's `webhookReply`). Faults make it slow, rate
 * limited, failing or unreachable. People's side is played by the driver (`driver.ts`).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { closeServer, FaultInjector, followMessages, listenOnLoopback, waitForMessage, type SimFault } from '../../simulator-kit.js';
import { createBotApi, plainEntities, tooManyRequests, type TgMethod, type TgParams } from './bot-api.js';
import { badRequest, TelegramApiFailure, TelegramWorld, type SimCallbackQuery, type SimTgMessage, type TgCallbackQuery, type TgChat, type TgMessage, type TgUpdate, type TgUser } from './world.js';

export type { SimCallbackQuery, SimTgMessage, TgCallbackQuery, TgChat, TgMessage, TgUpdate, TgUser } from './world.js';

/** A fault applies to API calls (all, or only `method`) for `count` calls, or until setFault(null); `down` is api.telegram.org unreachable. */
export type TelegramSimFault = SimFault;

export interface TelegramSimulatorOptions {
  port?: number;
  /** `<bot id>:<secret>`; the bot id becomes the bot user's id. */
  token?: string;
  username?: string;
  firstName?: string;
}

export interface SimTgCall {
  method: string;
  params: TgParams;
  /** HTTP status answered (0 when cut or never answered). */
  status: number;
  description?: string;
  fault?: TelegramSimFault['kind'];
  /** Executed from a webhook's HTTP answer rather than called. */
  viaWebhookReply?: boolean;
  /** When the call arrived (ms since the epoch): shows that a retry waited for retry_after. */
  at: number;
}

export interface WebhookDelivery {
  updateId: number;
  /** Our endpoint's status, or null when the POST failed or timed out. */
  status: number | null;
  secretTokenSent?: string;
  /** The method the bot wrote into the answer (webhookReply), and how it went. */
  webhookReply?: { method: string; ok: boolean; description?: string };
}

export interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

export interface TelegramSimulator {
  /** For telegraf's `telegram: { apiRoot }`. */
  apiRoot: string;
  token: string;
  bot: TgUser;
  addUser(input?: Partial<Omit<TgUser, 'is_bot'>>): TgUser;
  addGroup(input: { title: string; type?: 'group' | 'supergroup' }): TgChat;
  chat(id: number): TgChat | undefined;
  user(id: number): TgUser | undefined;
  /** Messages of one chat (or all), oldest first. */
  messages(chatId?: number): SimTgMessage[];
  message(chatId: number, messageId: number): SimTgMessage | undefined;
  /** The reply chain under a message: every message whose replies lead back to it, oldest first. */
  replyChain(chatId: number, rootMessageId: number): SimTgMessage[];
  waitForMessage(predicate: (m: SimTgMessage) => boolean, timeoutMs?: number): Promise<SimTgMessage>;
  /** Calls `listener` for every message sent or edited from now on (the terminal chat shows them); returns unsubscribe. */
  subscribe(listener: (m: SimTgMessage) => void): () => void;
  callbackQueries(): SimCallbackQuery[];
  /** A message as the Bot API shows it (what updates carry). */
  apiMessage(chatId: number, messageId: number): TgMessage;
  /** Makes a callback query answerable (the driver calls this when a button is pressed). */
  registerCallbackQuery(query: TgCallbackQuery): void;
  /** The user blocks (or unblocks) the bot: sendMessage then answers 403. */
  setBlocked(userId: number, blocked: boolean): void;
  /** Records a message a person wrote (the driver then turns it into an update). */
  recordUserMessage(input: { from: number; chatId: number; text: string; replyToMessageId?: number }): SimTgMessage;
  /** Queues an update (polling) or delivers it to the webhook; resolves with the webhook delivery, if any. */
  pushUpdate(update: Omit<TgUpdate, 'update_id'> & { update_id?: number }, opts?: { secretToken?: string }): Promise<{ updateId: number; delivery?: WebhookDelivery }>;
  /** Resolves once a poller has received this update (getUpdates) or the webhook accepted it. */
  waitForDelivered(updateId: number, timeoutMs?: number): Promise<void>;
  /** Updates not yet confirmed (getUpdates offset) or not yet accepted by the webhook. */
  pendingUpdates(): TgUpdate[];
  /** Delivers the pending updates to the webhook again, in order, as Telegram's retries do. */
  retryWebhook(): Promise<WebhookDelivery[]>;
  webhook(): WebhookState | null;
  webhookDeliveries(): WebhookDelivery[];
  calls(): SimTgCall[];
  setFault(fault: TelegramSimFault | null): void;
  close(): Promise<void>;
}

interface Poll { resolve: (updates: TgUpdate[] | TelegramApiFailure) => void; timer: NodeJS.Timeout }

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Telegram waits this long for a webhook to answer (not published; generous, for slow CI). */
const WEBHOOK_TIMEOUT_MS = 10_000;

export async function startTelegramSimulator(opts: TelegramSimulatorOptions = {}): Promise<TelegramSimulator> {
  const token = opts.token ?? '7000000001:AAsim-telegram-demo-token';
  const botId = Number(token.split(':')[0]);
  if (!Number.isInteger(botId) || botId <= 0) throw new Error('Telegram tokens look like "<bot id>:<secret>"');
  const world = new TelegramWorld({ id: botId, first_name: opts.firstName ?? 'Rouh', username: opts.username ?? 'rouh_demo_bot' });
  const botApi = createBotApi(world);
  const calls: SimTgCall[] = [];
  const deliveries: WebhookDelivery[] = [];
  // Telegram's method names are case-insensitive, faults' too.
  const faults = new FaultInjector<TelegramSimFault>((a, b) => a.toLowerCase() === b.toLowerCase());
  let webhook: WebhookState | null = null;
  let pending: TgUpdate[] = [];
  let nextUpdateId = 500_000_000 + Math.floor(Math.random() * 1_000_000);
  let poll: Poll | null = null;
  const delivered = new Set<number>();
  const deliveredWaiters = new Map<number, Set<() => void>>();
  let closed = false;

  function markDelivered(updateId: number): void {
    delivered.add(updateId);
    for (const resolve of deliveredWaiters.get(updateId) ?? []) resolve();
    deliveredWaiters.delete(updateId);
  }

  function answerPoll(result: TgUpdate[] | TelegramApiFailure): void {
    if (!poll) return;
    clearTimeout(poll.timer);
    const { resolve } = poll;
    poll = null;
    resolve(result);
  }

  /** getUpdates: confirm everything below offset, hand out what is left, or wait up to `timeout` seconds. */
  function getUpdates(params: TgParams): Promise<TgUpdate[]> | TgUpdate[] {
    if (webhook) throw new TelegramApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = params['offset'] === undefined ? 0 : Number(params['offset']);
    const limit = Math.min(Math.max(Number(params['limit'] ?? 100) || 100, 1), 100);
    const timeoutSeconds = Math.max(Number(params['timeout'] ?? 0) || 0, 0);
    if (offset > 0) pending = pending.filter((u) => u.update_id >= offset);
    else if (offset < 0) pending = pending.slice(offset);
    // A second poller ends the first one with 409, as Telegram does when two bot instances run.
    answerPoll(new TelegramApiFailure(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
    const ready = pending.slice(0, limit);
    if (ready.length > 0 || timeoutSeconds === 0 || closed) {
      for (const update of ready) markDelivered(update.update_id);
      return ready;
    }
    return new Promise<TgUpdate[]>((resolve, reject) => {
      const timer = setTimeout(() => answerPoll([]), timeoutSeconds * 1000);
      poll = {
        timer,
        resolve: (result) => {
          if (result instanceof TelegramApiFailure) return reject(result);
          const batch = result.length > 0 ? result : pending.slice(0, limit);
          for (const update of batch) markDelivered(update.update_id);
          resolve(batch);
        },
      };
    });
  }

  function setWebhook(params: TgParams): boolean {
    const url = typeof params['url'] === 'string' ? params['url'] : '';
    if (url === '') {
      webhook = null;
      return true;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    // The simulator delivers over loopback only; Telegram itself would also insist on https.
    if (!LOOPBACK.has(parsed.hostname)) throw badRequest('bad webhook: the simulator only delivers to loopback addresses');
    const secretToken = typeof params['secret_token'] === 'string' && params['secret_token'] !== '' ? params['secret_token'] : undefined;
    if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) throw badRequest('secret token contains unallowed characters');
    const maxConnections = params['max_connections'] === undefined ? 40 : Number(params['max_connections']);
    if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100) throw badRequest('bad webhook: max_connections must be between 1 and 100');
    const allowedUpdates = Array.isArray(params['allowed_updates']) ? (params['allowed_updates'] as string[]) : undefined;
    if (params['drop_pending_updates'] === true || params['drop_pending_updates'] === 'true') pending = [];
    webhook = { url, maxConnections, ...(secretToken !== undefined ? { secretToken } : {}), ...(allowedUpdates ? { allowedUpdates } : {}) };
    answerPoll(new TelegramApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"));
    // Updates that waited for a consumer go to the new webhook.
    if (pending.length > 0) void retryWebhook();
    return true;
  }

  const methods: Record<string, TgMethod | ((params: TgParams) => unknown)> = {
    ...botApi,
    getUpdates,
    setWebhook,
    deleteWebhook: (params: TgParams) => {
      webhook = null;
      if (params['drop_pending_updates'] === true || params['drop_pending_updates'] === 'true') pending = [];
      return true;
    },
    getWebhookInfo: () => ({
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: pending.length,
      ...(webhook ? { max_connections: webhook.maxConnections } : {}),
      ...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
      ...(webhook?.lastErrorDate !== undefined ? { last_error_date: webhook.lastErrorDate, last_error_message: webhook.lastErrorMessage } : {}),
    }),
  };
  const methodByLowerName = new Map(Object.entries(methods).map(([name, fn]) => [name.toLowerCase(), { name, fn }]));

  /** Runs a method; Telegram's method names are case-insensitive. */
  async function execute(methodName: string, params: TgParams): Promise<{ status: number; body: Record<string, unknown> }> {
    const found = methodByLowerName.get(methodName.toLowerCase());
    if (!found) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    try {
      const result = await found.fn(params);
      return { status: 200, body: { ok: true, result } };
    } catch (error) {
      if (!(error instanceof TelegramApiFailure)) throw error;
      return { status: error.errorCode, body: { ok: false, error_code: error.errorCode, description: error.description, ...(error.parameters ? { parameters: error.parameters } : {}) } };
    }
  }

  async function deliver(update: TgUpdate, opts: { secretToken?: string } = {}): Promise<WebhookDelivery> {
    const target = webhook;
    if (!target) throw new Error('no webhook set');
    const secret = opts.secretToken ?? target.secretToken;
    const delivery: WebhookDelivery = { updateId: update.update_id, status: null, ...(secret !== undefined ? { secretTokenSent: secret } : {}) };
    deliveries.push(delivery);
    let reply: unknown;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      delivery.status = response.status;
      const raw = await response.text();
      if (response.ok && raw.trim() !== '' && (response.headers.get('content-type') ?? '').includes('application/json')) reply = JSON.parse(raw);
    } catch {
      delivery.status = null;
    }
    if (delivery.status !== null && delivery.status >= 200 && delivery.status < 300) {
      pending = pending.filter((u) => u.update_id !== update.update_id);
      markDelivered(update.update_id);
    } else {
      target.lastErrorDate = Math.floor(Date.now() / 1000);
      target.lastErrorMessage = delivery.status === null ? 'Connection refused' : `Wrong response from the webhook: ${delivery.status}`;
    }
    if (typeof reply === 'object' && reply !== null && typeof (reply as { method?: unknown }).method === 'string') {
      const { method, ...params } = reply as { method: string } & TgParams;
      const outcome = await execute(method, params);
      const description = typeof outcome.body['description'] === 'string' ? outcome.body['description'] : undefined;
      calls.push({ method, params, status: outcome.status, viaWebhookReply: true, at: Date.now(), ...(description ? { description } : {}) });
      delivery.webhookReply = { method, ok: outcome.status === 200, ...(description ? { description } : {}) };
    }
    return delivery;
  }

  async function retryWebhook(): Promise<WebhookDelivery[]> {
    const results: WebhookDelivery[] = [];
    for (const update of [...pending]) {
      if (!webhook) break;
      const result = await deliver(update);
      results.push(result);
      if (result.status === null || result.status >= 300) break;
    }
    return results;
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }), express.urlencoded({ extended: false, limit: '1mb' }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.path);
    if (!match) return next();
    const [, requestToken = '', method = ''] = match;
    const params: TgParams = { ...(req.query as TgParams), ...(typeof req.body === 'object' && req.body !== null ? (req.body as TgParams) : {}) };
    const call: SimTgCall = { method, params, status: 0, at: Date.now() };
    calls.push(call);
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      call.status = status;
      if (typeof body['description'] === 'string') call.description = body['description'];
      res.status(status).set(headers).json(body);
    };
    const run = (): void => {
      if (requestToken !== token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      execute(method, params).then((outcome) => send(outcome.status, outcome.body), next);
    };
    const active = faults.take(method);
    if (active) call.fault = active.kind;
    faults.apply(active, res, {
      rateLimited: (seconds) => {
        const failure = tooManyRequests(seconds);
        send(429, { ok: false, error_code: 429, description: failure.description, parameters: failure.parameters ?? {} }, { 'retry-after': String(seconds) });
      },
      unavailableHtml: '<html><body>Bad Gateway</body></html>',
      record: (status) => { call.status = status; },
      run,
    });
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error_code: 404, description: 'Not Found' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const parseFailed = typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'entity.parse.failed';
    res.status(400).json({ ok: false, error_code: 400, description: parseFailed ? "Bad Request: can't parse JSON" : 'Bad Request' });
  });

  const { server, port } = await listenOnLoopback(app, opts.port);

  function replyChain(chatId: number, rootMessageId: number): SimTgMessage[] {
    const inChain = new Set([rootMessageId]);
    const chain: SimTgMessage[] = [];
    for (const message of world.messages(chatId)) {
      if (message.messageId === rootMessageId || (message.replyToMessageId !== undefined && inChain.has(message.replyToMessageId))) {
        inChain.add(message.messageId);
        chain.push(structuredClone(message));
      }
    }
    return chain;
  }

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot: world.bot,
    addUser: (input) => world.addUser(input),
    addGroup: (input) => world.addGroup(input),
    chat: (id) => world.chat(id),
    user: (id) => world.user(id),
    messages: (chatId) => world.messages(chatId).map((m) => structuredClone(m)),
    message(chatId, messageId) {
      const found = world.find(chatId, messageId);
      return found && structuredClone(found);
    },
    replyChain,
    subscribe: (listener) => followMessages(world, listener),
    waitForMessage: (predicate, timeoutMs = 5000) => waitForMessage(world, world.messages(), predicate, timeoutMs, `no matching Telegram message within ${timeoutMs} ms`),
    callbackQueries: () => [...world.callbackQueries.values()].map((q) => structuredClone(q)),
    apiMessage(chatId, messageId) {
      const found = world.find(chatId, messageId);
      if (!found) throw new Error(`no message ${messageId} in chat ${chatId}`);
      return world.toApi(found);
    },
    registerCallbackQuery(query) {
      world.callbackQueries.set(query.id, { query, createdAt: Date.now(), answered: false });
    },
    setBlocked: (userId, blocked) => world.setBlocked(userId, blocked),
    recordUserMessage(input) {
      const chat = world.chat(input.chatId);
      if (!chat) throw new Error(`no simulated chat ${input.chatId}`);
      if (chat.type === 'private') world.markStarted(input.from);
      return structuredClone(world.add({
        chatId: input.chatId,
        fromId: input.from,
        fromBot: false,
        text: input.text,
        entities: plainEntities(input.text),
        ...(input.replyToMessageId !== undefined ? { replyToMessageId: input.replyToMessageId } : {}),
      }));
    },
    async pushUpdate(input, pushOpts = {}) {
      const update = { ...input, update_id: input.update_id ?? nextUpdateId++ } as TgUpdate;
      if (!pending.some((u) => u.update_id === update.update_id)) pending.push(update);
      if (webhook) return { updateId: update.update_id, delivery: await deliver(update, pushOpts) };
      answerPoll([]);
      return { updateId: update.update_id };
    },
    waitForDelivered(updateId, timeoutMs = 5000) {
      if (delivered.has(updateId)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          deliveredWaiters.get(updateId)?.delete(done);
          reject(new Error(`update ${updateId} was not delivered within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const waiters = deliveredWaiters.get(updateId) ?? new Set();
        waiters.add(done);
        deliveredWaiters.set(updateId, waiters);
      });
    },
    pendingUpdates: () => pending.map((u) => structuredClone(u)),
    retryWebhook,
    webhook: () => (webhook ? { ...webhook } : null),
    webhookDeliveries: () => deliveries.map((d) => structuredClone(d)),
    calls: () => calls.map((c) => ({ ...c })),
    setFault: (next) => faults.set(next),
    async close() {
      closed = true;
      faults.clear();
      answerPoll([]);
      await closeServer(server);
    },
  };
}
