/**
 * Telegram customers order end to end: telegraf against the Telegram simulator (long polling, then webhook),
 * the chat runtime and its durable outbox, the engine, the Square simulator and its PREPARED webhook.
 */
import { jest } from '@jest/globals';
import { createChatExtension, type ChatExtension } from '../../bots/index.js';
import { loadChatConfig } from '../../bots/config.js';
import { ChatDraft, ChatInboundEvent, ChatInboundPending } from '../../bots/storage/models.js';
import { telegramPlatform, type TelegramBotSettings } from '../../bots/telegram/bot.js';
import { TelegramReplyLink } from '../../bots/telegram/threads.js';
import { createTelegramDriver, startTelegramSimulator, type SimTgMessage, type TelegramDriver, type TelegramSimulator, type TgUser } from '../../bots/telegram/simulator/index.js';
import type { SquareSimulator } from '../../handlers/square/simulator.js';
import { startDemoSquare } from '../../src/seed/demo-square.js';
import { storedActions, findStoredAction } from '../../src/storage/action-state.js';
import { startTestService, waitFor, type TestService } from '../support/harness.js';

jest.setTimeout(90_000);

const ORDER_TEXT = "a latte with oat milk and an extra shot and a croissant, name's Sam";

interface Setup { svc: TestService; tg: TelegramSimulator; square: SquareSimulator; driver: TelegramDriver; chat: ChatExtension }

async function setUp(token: string, settings: Omit<TelegramBotSettings, 'token' | 'apiRoot'>): Promise<Setup> {
  const tg = await startTelegramSimulator({ token });
  const chat = createChatExtension({
    config: loadChatConfig({}),
    platforms: [telegramPlatform({ token: tg.token, apiRoot: tg.apiRoot, ...settings })],
    backoff: { initialMs: 50, factor: 2, maxMs: 500 },
    inboundRetry: { leaseMs: 5_000, retryDelaysMs: [200, 400] },
    sweepEvery: '1 second',
  });
  const svc = await startTestService({ extensions: [chat] });
  const square = await startDemoSquare(svc.creds, svc.baseUrl, svc.dataDir);
  return { svc, tg, square, driver: createTelegramDriver(tg), chat };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  await s?.svc.close();
  await Promise.all([s?.square.close(), s?.tg.close()]);
}

const fromBot = (tg: TelegramSimulator, chatId: number, after = 0): SimTgMessage[] => tg.messages(chatId).filter((m) => m.fromBot && m.messageId > after);
const lastBotMessageId = (tg: TelegramSimulator, chatId: number): number => fromBot(tg, chatId).at(-1)?.messageId ?? 0;
const hasButton = (m: SimTgMessage, label: string): boolean => m.replyMarkup?.inline_keyboard.flat().some((b) => b.text === label) ?? false;

async function joinedCustomer({ svc, tg, driver }: Setup, name: string): Promise<TgUser> {
  const user = tg.addUser({ first_name: name });
  const { body } = await svc.api<{ code: string }>('POST', '/chat/connections/telegram/link', { body: {} });
  await driver.start(user.id, body.code);
  await tg.waitForMessage((m) => m.chatId === user.id && m.fromBot && m.text.startsWith('Connected to'), 10_000);
  return user;
}

async function orderCard({ tg, driver }: Setup, user: TgUser): Promise<SimTgMessage> {
  const before = lastBotMessageId(tg, user.id);
  await driver.sendText({ from: user.id, text: ORDER_TEXT });
  return tg.waitForMessage((m) => m.chatId === user.id && m.fromBot && m.messageId > before && hasButton(m, 'Place order'), 10_000);
}

describe('long polling', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp('7000000101:polling-bot-token', { mode: 'polling' });
  });
  afterAll(async () => tearDown(s));
  beforeEach(() => s.tg.setFault(null));

  test('an update whose handling throws once is handled once by our retry (the poll offset has moved past it)', async () => {
    const { tg, driver, chat } = s;
    const uma = await joinedCustomer(s, 'Uma');
    const before = lastBotMessageId(tg, uma.id);
    const spy = jest.spyOn(chat.runtime().conversation, 'onMessage').mockRejectedValueOnce(new Error('injected fault'));
    try {
      const sent = await driver.sendText({ from: uma.id, text: ORDER_TEXT });
      const card = await tg.waitForMessage((m) => m.chatId === uma.id && m.fromBot && m.messageId > before && hasButton(m, 'Place order'), 10_000);
      expect(card.text).toContain('Sam');
      await waitFor(async () => (await ChatInboundPending.countDocuments({})) === 0, 'the update marked handled');
      await chat.runtime().sweepInbound();
      expect(spy).toHaveBeenCalledTimes(2);
      expect(spy.mock.calls.every(([ctx]) => ctx.eventId === `${tg.bot.id}:${sent.updateId}`)).toBe(true);
      expect(fromBot(tg, uma.id, before).filter((m) => hasButton(m, 'Place order'))).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('order → card → Place order → placing → receipt (DC-n, $8.75) → ready, in the chat', async () => {
    const { tg, square, driver } = s;
    const sam = await joinedCustomer(s, 'Sam');
    const card = await orderCard(s, sam);
    expect(card.text).toContain('1× Latte <i>(extra shot, oat milk)</i> — $5.50');
    expect(card.text).toContain('<b>Total:</b> $8.75');

    await driver.pressButton({ from: sam.id, chatId: sam.id, messageId: card.messageId, text: 'Place order' });
    const receipt = await tg.waitForMessage((m) => m.chatId === sam.id && m.messageId > card.messageId && m.text.startsWith('Confirmed!'), 20_000);
    const orderNumber = /DC-\d+/.exec(receipt.text)?.[0];
    expect(receipt.text).toContain('$8.75');
    expect(orderNumber).toBeDefined();

    const action = await findStoredAction({ orderNumber });
    expect(action?.userId).toBe(`telegram:${sam.id}`);
    const squareOrder = square.orders().find((o) => o.reference_id === String(action?._id)) ?? square.orders().at(-1);
    await square.advanceFulfillment(squareOrder!.id, 'PREPARED');
    await tg.waitForMessage((m) => m.chatId === sam.id && m.messageId > receipt.messageId && m.text.includes('ready for pickup'), 20_000);

    expect(fromBot(tg, sam.id, card.messageId).map((m) => m.text.split('\n')[0])).toEqual([
      'Placing your order with Downtown Café…',
      `Confirmed! Order #${orderNumber}, $8.75, pickup at ${/pickup at ([^.]+)\./.exec(receipt.text)?.[1]}.`,
      `Order #${orderNumber} is ready for pickup at Downtown Café!`,
    ]);
    // The card shows the current state and has lost its buttons.
    const finalCard = tg.message(sam.id, card.messageId);
    expect(finalCard?.text).toContain(`<b>Order #:</b> ${orderNumber}`);
    expect(finalCard?.replyMarkup).toBeUndefined();
    expect(tg.callbackQueries().every((q) => q.answered)).toBe(true);
  });

  test('nothing orderable → a question; follow-ups edit the same card; then the order has what was said', async () => {
    const { tg, driver } = s;
    const ivy = await joinedCustomer(s, 'Ivy');
    const before = lastBotMessageId(tg, ivy.id);
    await driver.sendText({ from: ivy.id, text: 'hello there' });
    const question = await tg.waitForMessage((m) => m.chatId === ivy.id && m.fromBot && m.messageId > before, 10_000);
    expect(question.replyMarkup).toBeUndefined();

    await driver.sendText({ from: ivy.id, text: 'a latte please' });
    const card = await tg.waitForMessage((m) => m.chatId === ivy.id && m.messageId > question.messageId && hasButton(m, 'Place order'), 10_000);
    await driver.sendText({ from: ivy.id, text: 'make it 2' });
    await tg.waitForMessage((m) => m.chatId === ivy.id && m.messageId === card.messageId && m.text.includes('2× Latte'), 10_000);
    await driver.sendText({ from: ivy.id, text: 'oat milk on the latte' });
    const edited = await tg.waitForMessage((m) => m.chatId === ivy.id && m.messageId === card.messageId && m.text.includes('oat milk'), 10_000);
    expect(edited.text).toContain('2× Latte <i>(oat milk)</i>');
    expect(fromBot(tg, ivy.id, card.messageId)).toEqual([]);

    await driver.pressButton({ from: ivy.id, chatId: ivy.id, messageId: card.messageId, text: 'Place order' });
    await tg.waitForMessage((m) => m.chatId === ivy.id && m.text.startsWith('Confirmed!'), 20_000);
    const action = await findStoredAction({ userId: `telegram:${ivy.id}` });
    expect(action?.origin).toMatchObject({ channel: 'telegram' });
    expect(action?.parameters).toMatchObject({ items: [{ sku: 'latte', quantity: 2, modifications: ['oat-milk'] }] });
  });

  test('status, menu, help and cancel from the chat; another customer\'s order is not shown', async () => {
    const { tg, driver } = s;
    const owner = await joinedCustomer(s, 'Owen');
    const card = await orderCard(s, owner);
    await driver.pressButton({ from: owner.id, chatId: owner.id, messageId: card.messageId, text: 'Place order' });
    const receipt = await tg.waitForMessage((m) => m.chatId === owner.id && m.text.startsWith('Confirmed!'), 20_000);
    const orderNumber = /DC-\d+/.exec(receipt.text)?.[0] ?? '';

    const ask = async (user: TgUser, text: string): Promise<string> => {
      const before = lastBotMessageId(tg, user.id);
      await driver.sendText({ from: user.id, text });
      return (await tg.waitForMessage((m) => m.chatId === user.id && m.fromBot && m.messageId > before, 10_000)).text;
    };
    expect(await ask(owner, "where's my order")).toContain(orderNumber);
    expect(await ask(owner, 'menu')).toContain('Croissant');
    expect(await ask(owner, 'cancel')).toMatch(/no order that can still be cancelled|too late|already/i);

    const stranger = await joinedCustomer(s, 'Stan');
    const answer = await ask(stranger, `is ${orderNumber} ready`);
    expect(answer).toContain(`can't find order ${orderNumber}`);
    expect(answer).not.toContain('$8.75');
  });

  test('in a group the conversation is the reply chain under the @mention', async () => {
    const { svc, tg, driver } = s;
    const group = tg.addGroup({ title: 'Office' });
    const zoe = tg.addUser({ first_name: 'Zoe' });
    const { body } = await svc.api<{ code: string }>('POST', '/chat/connections/telegram/link', { body: {} });
    await driver.command({ from: zoe.id, chatId: group.id, command: 'start', args: body.code });
    await tg.waitForMessage((m) => m.chatId === group.id && m.text.startsWith('Connected to'), 10_000);

    await driver.sendText({ from: zoe.id, chatId: group.id, text: 'who wants coffee?' });
    const mention = await driver.mention({ from: zoe.id, chatId: group.id, text: ORDER_TEXT });
    const card = await tg.waitForMessage((m) => m.chatId === group.id && hasButton(m, 'Place order'), 10_000);
    expect(card.replyToMessageId).toBe(mention.message.messageId);
    await driver.sendText({ from: zoe.id, chatId: group.id, text: "name's Zoe", replyToMessageId: card.messageId });
    await tg.waitForMessage((m) => m.chatId === group.id && m.messageId === card.messageId && m.text.includes('<b>Name:</b> Zoe'), 10_000);

    await driver.pressButton({ from: zoe.id, chatId: group.id, messageId: card.messageId, text: 'Place order' });
    await tg.waitForMessage((m) => m.chatId === group.id && m.text.startsWith('Confirmed!'), 20_000);
    const chain = tg.replyChain(group.id, mention.message.messageId);
    expect(chain.filter((m) => m.fromBot).map((m) => m.text.split('\n')[0])).toEqual([
      expect.stringContaining('Order from Downtown Café'),
      'Placing your order with Downtown Café…',
      expect.stringMatching(/^Confirmed! Order #DC-\d+/),
    ]);
    expect(tg.messages(group.id).filter((m) => m.fromBot && !chain.some((c) => c.messageId === m.messageId)).map((m) => m.text)).toEqual([expect.stringMatching(/^Connected to/)]);
  });

  test('in a group, a reply to the card that comes before the card\'s link is recorded still edits that card', async () => {
    const { svc, tg, driver } = s;
    const group = tg.addGroup({ title: 'Studio' });
    const ivy = tg.addUser({ first_name: 'Ivy' });
    const { body } = await svc.api<{ code: string }>('POST', '/chat/connections/telegram/link', { body: {} });
    await driver.command({ from: ivy.id, chatId: group.id, command: 'start', args: body.code });
    await tg.waitForMessage((m) => m.chatId === group.id && m.text.startsWith('Connected to'), 10_000);
    const mention = await driver.mention({ from: ivy.id, chatId: group.id, text: 'a latte with oat milk' });
    const card = await tg.waitForMessage((m) => m.chatId === group.id && m.replyToMessageId === mention.message.messageId && hasButton(m, 'Place order'), 10_000);
    // As if our send were still recording the card's link (a slow database): the customer's reply overtakes it.
    const linkOfCard = { _id: new RegExp(`:${group.id}:${card.messageId}$`) };
    const link = await waitFor(() => TelegramReplyLink.findOne(linkOfCard).lean<{ _id: string; root: string }>(), 'the card\'s link');
    await TelegramReplyLink.deleteOne({ _id: link._id });
    await driver.sendText({ from: ivy.id, chatId: group.id, text: "name's Ivy", replyToMessageId: card.messageId });
    await new Promise((r) => setTimeout(r, 500));
    await TelegramReplyLink.create({ _id: link._id, root: link.root });
    await tg.waitForMessage((m) => m.chatId === group.id && m.messageId === card.messageId && m.text.includes('<b>Name:</b> Ivy'), 10_000);
    expect(tg.replyChain(group.id, mention.message.messageId).filter((m) => m.fromBot && hasButton(m, 'Place order'))).toHaveLength(1);
  });

  test('a duplicate update_id and a double tap on Place order make one action', async () => {
    const { tg, driver } = s;
    const kim = await joinedCustomer(s, 'Kim');
    const card = await orderCard(s, kim);
    const press = await driver.pressButton({ from: kim.id, chatId: kim.id, messageId: card.messageId, text: 'Place order' });
    await driver.resend(press.updateId);
    await tg.waitForDelivered(press.updateId);
    await driver.pressButton({ from: kim.id, chatId: kim.id, messageId: card.messageId, text: 'Place order' }).catch(() => undefined);
    await tg.waitForMessage((m) => m.chatId === kim.id && m.text.startsWith('Confirmed!'), 20_000);
    expect((await storedActions({ userId: `telegram:${kim.id}` })).length).toBe(1);
    expect(fromBot(tg, kim.id, card.messageId).filter((m) => m.text.startsWith('Placing'))).toHaveLength(1);
  });

  test('429 with retry_after: the reply waits as told, then the thread continues in order', async () => {
    const { tg, driver } = s;
    const ana = await joinedCustomer(s, 'Ana');
    const before = lastBotMessageId(tg, ana.id);
    const callsBefore = tg.calls().length;
    tg.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, method: 'sendMessage', count: 1 });
    await driver.sendText({ from: ana.id, text: 'help' });
    await driver.sendText({ from: ana.id, text: 'menu' });
    await waitFor(() => fromBot(tg, ana.id, before).length >= 2, 'both replies', 15_000);

    const sends = tg.calls().slice(callsBefore).filter((c) => c.method === 'sendMessage' && Number(c.params['chat_id']) === ana.id);
    expect(sends.map((c) => c.status)).toEqual([429, 200, 200]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(1000);
    const [help, menu] = fromBot(tg, ana.id, before);
    expect(help?.text).toMatch(/help|order/i);
    expect(menu?.text).toContain('Latte');
    expect(fromBot(tg, ana.id, before)).toHaveLength(2);
  });

  test('Telegram down, then back: the replies arrive once, and the order itself is not held up', async () => {
    const { tg, driver } = s;
    const lee = await joinedCustomer(s, 'Lee');
    const card = await orderCard(s, lee);
    tg.setFault({ kind: 'down', method: 'sendMessage' });
    await driver.pressButton({ from: lee.id, chatId: lee.id, messageId: card.messageId, text: 'Place order' });
    const action = await waitFor(async () => findStoredAction({ userId: `telegram:${lee.id}`, status: 'completed' }), 'the order to complete while Telegram is down', 20_000);
    expect(fromBot(tg, lee.id, card.messageId)).toEqual([]);

    tg.setFault(null);
    await tg.waitForMessage((m) => m.chatId === lee.id && m.text.startsWith('Confirmed!'), 20_000);
    const after = fromBot(tg, lee.id, card.messageId).map((m) => m.text.split('\n')[0]);
    expect(after).toEqual(['Placing your order with Downtown Café…', expect.stringContaining(`Confirmed! Order #${action.orderNumber}`)]);
  });
});

describe('webhook', () => {
  let s: Setup;
  beforeAll(async () => {
    // Another bot: the chat runtime caches which space a chat belongs to for the life of the process.
    s = await setUp('7000000102:webhook-bot-token', { mode: 'webhook', webhookSecret: 'e2e-webhook-secret-0123456789' });
  });
  afterAll(async () => tearDown(s));

  test('a wrong secret token gets 401 and nothing is written; the right one is answered', async () => {
    const { tg, driver } = s;
    expect(tg.webhook()).toMatchObject({ url: `${s.svc.baseUrl}/telegram/webhook`, secretToken: 'e2e-webhook-secret-0123456789' });
    const eve = await joinedCustomer(s, 'Eve');
    const [events, drafts, before] = [await ChatInboundEvent.countDocuments(), await ChatDraft.countDocuments(), lastBotMessageId(tg, eve.id)];

    const forged = await driver.sendText({ from: eve.id, text: ORDER_TEXT }, { secretToken: 'forged-secret-000000000000' });
    expect(forged.delivery?.status).toBe(401);
    expect([await ChatInboundEvent.countDocuments(), await ChatDraft.countDocuments()]).toEqual([events, drafts]);
    expect(fromBot(tg, eve.id, before)).toEqual([]);

    const genuine = await driver.sendText({ from: eve.id, text: ORDER_TEXT });
    expect(genuine.delivery?.status).toBe(200);
    await tg.waitForMessage((m) => m.chatId === eve.id && m.messageId > before && hasButton(m, 'Place order'), 10_000);
  });

  test('the same update delivered twice is handled once', async () => {
    const { tg, driver } = s;
    const max = await joinedCustomer(s, 'Max');
    const before = lastBotMessageId(tg, max.id);
    const first = await driver.sendText({ from: max.id, text: 'menu' });
    const again = await driver.resend(first.updateId);
    expect([first.delivery?.status, again.delivery?.status]).toEqual([200, 200]);
    await tg.waitForMessage((m) => m.chatId === max.id && m.messageId > before && m.text.includes('Latte'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fromBot(tg, max.id, before)).toHaveLength(1);
  });
  test('an update whose handling failed is retried by us while Telegram delivers it again: one action', async () => {
    const { tg, driver, chat } = s;
    const ola = await joinedCustomer(s, 'Ola');
    const card = await orderCard(s, ola);
    // The first Place order fails inside our handling (say the database blinked).
    const spy = jest.spyOn(chat.runtime().conversation, 'onButton').mockRejectedValueOnce(new Error('injected fault'));
    try {
      const press = await driver.pressButton({ from: ola.id, chatId: ola.id, messageId: card.messageId, text: 'Place order' });
      // Recorded for our retry, so Telegram is told it arrived; a redelivery of it is a duplicate.
      expect(press.delivery?.status).toBe(200);
      const duplicate = await driver.resend(press.updateId);
      expect(duplicate.delivery?.status).toBe(200);
      await tg.waitForMessage((m) => m.chatId === ola.id && m.text.startsWith('Confirmed!'), 20_000);
      await waitFor(async () => (await ChatInboundPending.countDocuments({})) === 0, 'the update marked handled');
      expect((await storedActions({ userId: `telegram:${ola.id}` })).length).toBe(1);
      expect(fromBot(tg, ola.id, card.messageId).filter((m) => m.text.startsWith('Placing'))).toHaveLength(1);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});
