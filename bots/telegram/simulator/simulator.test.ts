import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Markup, Telegraf, Telegram, TelegramError } from 'telegraf';
import { createTelegramDriver, startTelegramSimulator, type TelegramSimulator, type TgUser } from './index.js';

const keyboard = Markup.inlineKeyboard([Markup.button.callback('Place order', 'place:1'), Markup.button.callback('Cancel', 'cancel:1')]);

/** The simulator is only useful if telegraf accepts its answers: drive it with telegraf's own client. */
describe('telegram simulator: Bot API through telegraf', () => {
  let sim: TelegramSimulator;
  let telegram: Telegram;
  let sam: TgUser;

  beforeEach(async () => {
    sim = await startTelegramSimulator();
    telegram = new Telegram(sim.token, { apiRoot: sim.apiRoot });
    sam = sim.addUser({ first_name: 'Sam', username: 'sam_the_customer' });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('answers getMe and refuses a wrong token with 401', async () => {
    await expect(telegram.getMe()).resolves.toMatchObject({ id: sim.bot.id, is_bot: true, username: 'rouh_demo_bot' });
    const wrong = new Telegram('7000000001:wrong', { apiRoot: sim.apiRoot });
    await expect(wrong.getMe()).rejects.toMatchObject({ code: 401, description: 'Unauthorized' });
  });

  it("refuses to start a conversation, then records replies with message ids and keyboards", async () => {
    await expect(telegram.sendMessage(sam.id, 'hi')).rejects.toMatchObject({ code: 403, description: "Forbidden: bot can't initiate conversation with a user" });
    const hello = sim.recordUserMessage({ from: sam.id, chatId: sam.id, text: '2 oat lattes' });
    const card = await telegram.sendMessage(sam.id, 'Your order', { reply_parameters: { message_id: hello.messageId }, ...keyboard });
    expect(card).toMatchObject({ message_id: hello.messageId + 1, chat: { id: sam.id, type: 'private' }, reply_to_message: { message_id: hello.messageId, text: '2 oat lattes' } });
    expect(sim.message(sam.id, card.message_id)).toMatchObject({ fromBot: true, replyToMessageId: hello.messageId, replyMarkup: { inline_keyboard: [[{ text: 'Place order', callback_data: 'place:1' }, { text: 'Cancel', callback_data: 'cancel:1' }]] } });
    await expect(telegram.sendMessage(sam.id, 'x', { reply_parameters: { message_id: 999 } })).rejects.toMatchObject({ code: 400, description: 'Bad Request: message to be replied not found' });
    await expect(telegram.sendMessage(-42, 'x')).rejects.toMatchObject({ code: 400, description: 'Bad Request: chat not found' });
  });

  it('edits text and keyboard; an identical edit is "message is not modified"', async () => {
    sim.recordUserMessage({ from: sam.id, chatId: sam.id, text: 'hi' });
    const card = await telegram.sendMessage(sam.id, 'Draft', keyboard);
    await telegram.editMessageText(sam.id, card.message_id, undefined, 'Placing…', keyboard);
    const repeat = telegram.editMessageText(sam.id, card.message_id, undefined, 'Placing…', keyboard);
    await expect(repeat).rejects.toBeInstanceOf(TelegramError);
    await expect(telegram.editMessageText(sam.id, card.message_id, undefined, 'Placing…', keyboard)).rejects.toMatchObject({ code: 400, description: expect.stringContaining('Bad Request: message is not modified') });
    await telegram.editMessageReplyMarkup(sam.id, card.message_id, undefined, undefined);
    expect(sim.message(sam.id, card.message_id)).toMatchObject({ text: 'Placing…', edits: 2, textHistory: ['Draft', 'Placing…', 'Placing…'] });
    expect(sim.message(sam.id, card.message_id)?.replyMarkup).toBeUndefined();
  });

  it('rate limits with parameters.retry_after, fails with 5xx, and recovers', async () => {
    sim.recordUserMessage({ from: sam.id, chatId: sam.id, text: 'hi' });
    sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 3, method: 'sendMessage', count: 1 });
    await expect(telegram.sendMessage(sam.id, 'x')).rejects.toMatchObject({ code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    sim.setFault({ kind: 'status', status: 502, count: 1 });
    await expect(telegram.sendMessage(sam.id, 'x')).rejects.toMatchObject({ code: 502 });
    await telegram.sendMessage(sam.id, 'delivered');
    expect(sim.messages(sam.id).map((m) => m.text)).toEqual(['hi', 'delivered']);
  });

  it('getUpdates confirms by offset, long-polls, and is refused with 409 while a webhook is set', async () => {
    const driver = createTelegramDriver(sim);
    const first = await driver.sendText({ from: sam.id, text: 'one' });
    const polled = telegram.getUpdates(1, 100, 0, undefined);
    await expect(polled).resolves.toMatchObject([{ update_id: first.updateId, message: { text: 'one', chat: { id: sam.id } } }]);
    const waiting = telegram.getUpdates(5, 100, first.updateId + 1, undefined);
    const second = await driver.sendText({ from: sam.id, text: 'two' });
    await expect(waiting).resolves.toMatchObject([{ update_id: second.updateId }]);
    expect(second.updateId).toBe(first.updateId + 1);
    await telegram.getUpdates(0, 100, second.updateId + 1, undefined);
    expect(sim.pendingUpdates()).toEqual([]);

    await telegram.setWebhook('http://127.0.0.1:9/telegram/webhook', { secret_token: 'abc' });
    await expect(telegram.getUpdates(0, 100, 0, undefined)).rejects.toMatchObject({ code: 409 });
    await expect(telegram.setWebhook('http://127.0.0.1:9/x', { secret_token: 'not allowed!' })).rejects.toMatchObject({ code: 400, description: 'Bad Request: secret token contains unallowed characters' });
    await expect(telegram.getWebhookInfo()).resolves.toMatchObject({ url: 'http://127.0.0.1:9/telegram/webhook', pending_update_count: 0 });
  });

  it('a second poller ends the first with 409 Conflict', async () => {
    const firstPoll = telegram.getUpdates(5, 100, 0, undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const secondPoll = telegram.getUpdates(0, 100, 0, undefined);
    await expect(firstPoll).rejects.toMatchObject({ code: 409, description: expect.stringContaining('terminated by other getUpdates request') });
    await expect(secondPoll).resolves.toEqual([]);
  });
});

describe('telegram simulator: driver → a real Telegraf bot', () => {
  let sim: TelegramSimulator;
  let bot: Telegraf;
  let sam: TgUser;

  function buildBot(): Telegraf {
    const instance = new Telegraf(sim.token, { telegram: { apiRoot: sim.apiRoot } });
    instance.start(async (ctx) => ctx.reply(`joined ${ctx.payload}`));
    instance.command('order', async (ctx) => ctx.reply(`card for ${ctx.payload}`, { reply_parameters: { message_id: ctx.message.message_id }, ...keyboard }));
    instance.action(/^place:/, async (ctx) => {
      await ctx.answerCbQuery('Placing…');
      await ctx.editMessageText('Placed', Markup.inlineKeyboard([]));
    });
    return instance;
  }

  beforeEach(async () => {
    sim = await startTelegramSimulator();
    sam = sim.addUser({ first_name: 'Sam' });
    bot = buildBot();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('long polling: /start <code>, /order, and a button press answered and edited', async () => {
    const driver = createTelegramDriver(sim);
    void bot.launch();
    try {
      const start = await driver.start(sam.id, 'SPACE42');
      await sim.waitForMessage((m) => m.chatId === sam.id && m.text === 'joined SPACE42');
      expect(start.update.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);

      const order = await driver.command({ from: sam.id, command: 'order', args: '2 lattes' });
      const card = await sim.waitForMessage((m) => m.replyToMessageId === order.message.messageId);
      expect(card.text).toBe('card for 2 lattes');

      const press = await driver.pressButton({ from: sam.id, chatId: sam.id, messageId: card.messageId, text: 'Place order' });
      await sim.waitForMessage((m) => m.messageId === card.messageId && m.text === 'Placed');
      expect(sim.callbackQueries().find((q) => q.query.id === press.callbackQueryId)).toMatchObject({ answered: true, answer: { text: 'Placing…' } });
      expect(sim.replyChain(sam.id, order.message.messageId).map((m) => m.text)).toEqual(['/order 2 lattes', 'Placed']);
    } finally {
      bot.stop('test over');
    }
  });

  describe('webhook mode', () => {
    let server: Server;
    let webhookUrl: string;

    beforeEach(async () => {
      const app = express();
      app.use(bot.webhookCallback('/telegram/webhook', { secretToken: 'the-secret' }));
      app.use((_req, res) => {
        res.status(401).json({ error: { code: 'unauthorized', message: 'bad secret token' } });
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
      await bot.telegram.setWebhook(webhookUrl, { secret_token: 'the-secret' });
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('posts updates with the secret token and runs the method written into the answer (webhookReply)', async () => {
      const driver = createTelegramDriver(sim);
      const order = await driver.command({ from: sam.id, command: 'order', args: 'tea' });
      expect(order.delivery).toMatchObject({ status: 200, secretTokenSent: 'the-secret' });
      const card = await sim.waitForMessage((m) => m.replyToMessageId === order.message.messageId);
      const press = await driver.pressButton({ from: sam.id, chatId: sam.id, messageId: card.messageId, data: 'place:1' });
      // telegraf writes the first answerCbQuery into the HTTP answer instead of calling the API.
      expect(press.delivery).toMatchObject({ status: 200, webhookReply: { method: 'answerCallbackQuery', ok: true } });
      expect(sim.calls().find((c) => c.method === 'answerCallbackQuery')).toMatchObject({ viaWebhookReply: true, status: 200 });
      // The answer ended the HTTP response early: the edit arrives afterwards, as an API call.
      await sim.waitForMessage((m) => m.messageId === card.messageId && m.text === 'Placed');
    });

    it('a wrong secret token is refused; the update stays pending and a retry delivers it once', async () => {
      const driver = createTelegramDriver(sim);
      const forged = await driver.command({ from: sam.id, command: 'order', args: 'x' }, { secretToken: 'forged' });
      expect(forged.delivery?.status).toBe(401);
      expect(sim.pendingUpdates().map((u) => u.update_id)).toEqual([forged.updateId]);
      expect(sim.messages(sam.id).filter((m) => m.fromBot)).toEqual([]);
      await expect(bot.telegram.getWebhookInfo()).resolves.toMatchObject({ pending_update_count: 1, last_error_message: 'Wrong response from the webhook: 401' });

      const retried = await sim.retryWebhook();
      expect(retried.map((d) => [d.updateId, d.status])).toEqual([[forged.updateId, 200]]);
      expect(sim.pendingUpdates()).toEqual([]);
      expect(sim.messages(sam.id).filter((m) => m.fromBot).map((m) => m.text)).toEqual(['card for x']);
    });

    it('resends a duplicate update_id on request', async () => {
      const driver = createTelegramDriver(sim);
      const first = await driver.sendText({ from: sam.id, text: '/order twice' });
      const again = await driver.resend(first.updateId);
      expect(again.updateId).toBe(first.updateId);
      expect(sim.webhookDeliveries().map((d) => d.updateId)).toEqual([first.updateId, first.updateId]);
      // Telegraf does not dedupe: both deliveries ran the handler (dedupe is the bot's job).
      expect(sim.messages(sam.id).filter((m) => m.fromBot)).toHaveLength(2);
    });
  });
});
