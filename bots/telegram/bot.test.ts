import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { TransportError, type ChatInbound, type ChatTransport, type InboundButton, type InboundLink, type InboundMessage, type Reply } from '../conversation/types.js';
import { cleanupChatRecords } from '../cleanup.js';
import { createTelegramBot, type TelegramBot } from './bot.js';
import { TelegramReplyLink } from './threads.js';
import { createTelegramDriver, startTelegramSimulator, type TelegramSimulator, type TgUser } from './simulator/index.js';

const logger = pino({ level: 'silent' });
const card: Reply = {
  text: 'Your order: 2× Latte $9.00',
  blocks: [{ type: 'header', text: 'Your order' }, { type: 'line', label: '2× Latte', detail: 'oat milk', amount: '$9.00' }, { type: 'fields', fields: [{ label: 'Total', value: '$9.00' }] }],
  buttons: [{ label: 'Place order', value: 'place:1', style: 'primary' }, { label: 'Cancel', value: 'drop:1', style: 'danger' }],
  card: 'order-1',
};

/** Records what the bot hands to the conversation runtime; `fail` makes the next call throw (a database hiccup). */
class RecordingInbound implements ChatInbound {
  readonly messages: InboundMessage[] = [];
  readonly buttons: InboundButton[] = [];
  readonly links: InboundLink[] = [];
  fail = false;
  private check(): void {
    if (this.fail) throw new Error('runtime unavailable');
  }
  async handleMessage(m: InboundMessage): Promise<void> {
    this.check();
    this.messages.push(m);
  }
  async handleButton(b: InboundButton): Promise<void> {
    this.check();
    this.buttons.push(b);
  }
  async handleLink(l: InboundLink): Promise<void> {
    this.check();
    this.links.push(l);
  }
  useTransport(_transport: ChatTransport): void {}
}

async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run tests through `npm test`');
  await mongoose.connect(uri, { dbName: `t_tg_${randomBytes(5).toString('hex')}` });
});
afterAll(async () => {
  await mongoose.connection.dropDatabase().catch(() => undefined);
  await mongoose.disconnect();
});

describe('telegram bot over long polling', () => {
  let sim: TelegramSimulator;
  let inbound: RecordingInbound;
  let bot: TelegramBot;
  let sam: TgUser;

  beforeEach(async () => {
    sim = await startTelegramSimulator();
    inbound = new RecordingInbound();
    sam = sim.addUser({ first_name: 'Sam', last_name: 'Lee' });
    bot = createTelegramBot({ token: sim.token, apiRoot: sim.apiRoot, inbound, logger, publicBaseUrl: 'http://127.0.0.1:3000' });
    await bot.start();
  });
  afterEach(async () => {
    await bot.close();
    await sim.close();
  });

  it('chooses polling for a non-https public URL and turns /start, /order, text and buttons into inbound calls', async () => {
    expect(bot.mode).toBe('polling');
    const driver = createTelegramDriver(sim);
    const start = await driver.start(sam.id, 'JOIN42');
    await eventually(() => inbound.links.length === 1);
    expect(inbound.links[0]).toEqual({
      thread: { platform: 'telegram', workspace: String(sim.bot.id), channel: String(sam.id), thread: null },
      user: { id: `telegram:${sam.id}`, displayName: 'Sam Lee' },
      code: 'JOIN42',
      eventId: `${sim.bot.id}:${start.updateId}`,
    });

    await driver.command({ from: sam.id, command: 'order', args: '2 oat lattes' });
    await driver.sendText({ from: sam.id, text: 'make it 3' });
    await driver.command({ from: sam.id, command: 'menu' });
    await eventually(() => inbound.messages.length === 3);
    expect(inbound.messages.map((m) => m.text)).toEqual(['/order 2 oat lattes', 'make it 3', 'menu']);
    expect(new Set(inbound.messages.map((m) => m.thread.thread))).toEqual(new Set([null]));

    const sent = await bot.transport.post(inbound.messages[0]!.thread, card, { userId: `telegram:${sam.id}` });
    const press = await driver.pressButton({ from: sam.id, chatId: sam.id, messageId: Number(sent.messageId), text: 'Place order' });
    await eventually(() => inbound.buttons.length === 1);
    expect(inbound.buttons[0]).toMatchObject({ value: 'place:1', eventId: `${sim.bot.id}:${press.updateId}`, thread: { thread: null } });
    expect(sim.callbackQueries()[0]).toMatchObject({ answered: true });
  });

  it('in a group hears only mentions and replies to itself, and keeps each conversation on its reply chain', async () => {
    const group = sim.addGroup({ title: 'Office' });
    const driver = createTelegramDriver(sim);
    await driver.sendText({ from: sam.id, chatId: group.id, text: 'lunch anyone?' });
    const mention = await driver.mention({ from: sam.id, chatId: group.id, text: 'a latte please' });
    await eventually(() => inbound.messages.length === 1);
    const thread = inbound.messages[0]!.thread;
    expect(inbound.messages[0]).toMatchObject({ text: 'a latte please', thread: { channel: String(group.id), thread: String(mention.message.messageId) } });

    const posted = await bot.transport.post(thread, card, { userId: null });
    expect(sim.message(group.id, Number(posted.messageId))?.replyToMessageId).toBe(mention.message.messageId);
    await driver.sendText({ from: sam.id, chatId: group.id, text: 'make it oat milk', replyToMessageId: Number(posted.messageId) });
    await eventually(() => inbound.messages.length === 2);
    expect(inbound.messages[1]).toMatchObject({ text: 'make it oat milk', thread });

    await driver.pressButton({ from: sam.id, chatId: group.id, messageId: Number(posted.messageId), data: 'drop:1' });
    await eventually(() => inbound.buttons.length === 1);
    expect(inbound.buttons[0]?.thread).toEqual(thread);
    await driver.command({ from: sam.id, chatId: group.id, command: 'order', args: 'tea' });
    await eventually(() => inbound.messages.length === 3);
    expect(inbound.messages[2]?.thread.thread).not.toBe(thread.thread);
  });
});

describe('reply links', () => {
  it('the chat cleanup job deletes links older than a week and keeps recent ones', async () => {
    const now = new Date();
    await TelegramReplyLink.collection.insertMany([
      { _id: 'cleanup:1:1' as never, root: '1', createdAt: new Date(now.getTime() - 8 * 24 * 3600_000) },
      { _id: 'cleanup:1:2' as never, root: '1', createdAt: new Date(now.getTime() - 3600_000) },
    ]);
    const result = await cleanupChatRecords(now);
    expect(result.replyLinks).toBeGreaterThanOrEqual(1);
    expect((await TelegramReplyLink.find({ _id: { $in: ['cleanup:1:1', 'cleanup:1:2'] } }).lean()).map((l) => l._id)).toEqual(['cleanup:1:2']);
  });
});

describe('telegram bot webhook', () => {
  let sim: TelegramSimulator;
  let inbound: RecordingInbound;
  let bot: TelegramBot;
  let server: Server;
  let sam: TgUser;

  beforeEach(async () => {
    sim = await startTelegramSimulator();
    inbound = new RecordingInbound();
    sam = sim.addUser({ first_name: 'Sam' });
    const app = express();
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const publicBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bot = createTelegramBot({ token: sim.token, apiRoot: sim.apiRoot, inbound, logger, publicBaseUrl, mode: 'webhook', webhookSecret: 'test-secret-0123456789' });
    app.use(...bot.routers);
    await bot.start();
  });
  afterEach(async () => {
    await bot.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sim.close();
  });

  it('registers the webhook with its secret token and handles updates before answering 200', async () => {
    expect(sim.webhook()).toMatchObject({ url: expect.stringMatching(/\/telegram\/webhook$/), secretToken: 'test-secret-0123456789', allowedUpdates: ['message', 'callback_query'] });
    const driver = createTelegramDriver(sim);
    const result = await driver.sendText({ from: sam.id, text: '2 lattes' });
    expect(result.delivery?.status).toBe(200);
    expect(inbound.messages.map((m) => m.text)).toEqual(['2 lattes']);
  });

  it('a wrong or missing secret token gets 401 and nothing is handled', async () => {
    const driver = createTelegramDriver(sim);
    const forged = await driver.sendText({ from: sam.id, text: 'x' }, { secretToken: 'wrong-secret-000000000' });
    expect(forged.delivery?.status).toBe(401);
    const bare = await fetch(sim.webhook()?.url ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged.update) });
    expect(bare.status).toBe(401);
    expect(inbound.messages).toEqual([]);
  });

  it('a failure while handling answers 500, so Telegram delivers the same update again', async () => {
    const driver = createTelegramDriver(sim);
    inbound.fail = true;
    const first = await driver.sendText({ from: sam.id, text: 'tea' });
    expect(first.delivery?.status).toBe(500);
    inbound.fail = false;
    const retried = await sim.retryWebhook();
    expect(retried.map((d) => d.status)).toEqual([200]);
    expect(inbound.messages).toMatchObject([{ text: 'tea', eventId: `${sim.bot.id}:${first.updateId}` }]);
  });
});

describe('telegram transport', () => {
  let sim: TelegramSimulator;
  let bot: TelegramBot;
  let sam: TgUser;

  beforeEach(async () => {
    sim = await startTelegramSimulator();
    sam = sim.addUser({ first_name: 'Sam' });
    sim.recordUserMessage({ from: sam.id, chatId: sam.id, text: 'hi' });
    bot = createTelegramBot({ token: sim.token, apiRoot: sim.apiRoot, inbound: new RecordingInbound(), logger });
  });
  afterEach(async () => {
    await sim.close();
  });

  const privateThread = () => ({ platform: 'telegram' as const, workspace: String(sim.bot.id), channel: String(sam.id), thread: null });

  it('renders the card as HTML with an inline keyboard, and edits it in place', async () => {
    const sent = await bot.transport.post(privateThread(), { ...card, blocks: [...card.blocks, { type: 'context', text: 'no <unicorn> frappe & co' }] }, { userId: null });
    const message = sim.message(sam.id, Number(sent.messageId));
    expect(message?.text).toBe('<b>Your order</b>\n• 2× Latte <i>(oat milk)</i> — $9.00\n<b>Total:</b> $9.00\n<i>no &lt;unicorn&gt; frappe &amp; co</i>');
    expect(message?.replyMarkup?.inline_keyboard).toEqual([[{ text: 'Place order', callback_data: 'place:1' }, { text: 'Cancel', callback_data: 'drop:1' }]]);

    await bot.transport.edit(privateThread(), sent, { text: 'Placing', blocks: [{ type: 'text', text: 'Placing…' }], buttons: [] });
    expect(sim.message(sam.id, Number(sent.messageId))).toMatchObject({ text: 'Placing…', edits: 1 });
    expect(sim.message(sam.id, Number(sent.messageId))?.replyMarkup).toBeUndefined();
  });

  it('classifies failures for the outbox: not modified, rate limited, unavailable, permanent', async () => {
    const sent = await bot.transport.post(privateThread(), card, { userId: null });
    await expect(bot.transport.edit(privateThread(), sent, card)).rejects.toMatchObject({ failure: { kind: 'not_modified' } });

    sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 7, method: 'sendMessage', count: 1 });
    await expect(bot.transport.post(privateThread(), card, { userId: null })).rejects.toMatchObject({ failure: { kind: 'rate_limited', retryAfterMs: 7000 } });
    sim.setFault({ kind: 'status', status: 502, count: 1 });
    await expect(bot.transport.post(privateThread(), card, { userId: null })).rejects.toMatchObject({ failure: { kind: 'unavailable' } });
    sim.setFault({ kind: 'down', count: 1 });
    await expect(bot.transport.post(privateThread(), card, { userId: null })).rejects.toMatchObject({ failure: { kind: 'unavailable' } });
    sim.setBlocked(sam.id, true);
    const blocked = bot.transport.post(privateThread(), card, { userId: null });
    await expect(blocked).rejects.toBeInstanceOf(TransportError);
    await expect(bot.transport.post(privateThread(), card, { userId: null })).rejects.toMatchObject({ failure: { kind: 'permanent', message: 'Forbidden: bot was blocked by the user' } });
    expect(sim.messages(sam.id).filter((m) => m.fromBot)).toHaveLength(1);
  });
});
