/**
 * A customer orders in a Slack DM through the real @slack/bolt (HTTP mode, signed requests from the Slack
 * simulator's driver): card in the thread → Place order → placing → receipt → ready when the café's Square
 * marks it PREPARED. Plus follow-ups, status/cancel/menu/help, other customers' orders, and repeats.
 */
import { jest } from '@jest/globals';
import { storedActions, findStoredAction } from '../../src/storage/action-state.js';
import { waitFor } from '../support/harness.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';
import type { SimSlackMessage } from '../../bots/slack/simulator/index.js';

jest.setTimeout(60_000);

let t: ChatTestService;
beforeAll(async () => { t = await startChatTestService(); });
afterAll(async () => { await t?.close(); });

const threadText = (channel: string, ts: string) => t.slack.thread(channel, ts).map((m) => m.text).join('\n');
const repliesOf = (channel: string, ts: string) => t.slack.thread(channel, ts).filter((m) => m.botId && m.ts !== ts);
/** Thread replies other than the order card (the card is edited to the same words as the news). */
const newsOf = (channel: string, ts: string) => repliesOf(channel, ts).filter((m) => !JSON.stringify(m.blocks ?? []).includes('"header"'));
const cardIn = (channel: string, ts: string) => waitFor(() => repliesOf(channel, ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the order card');

async function dm(user: string, text: string, threadTs?: string) {
  const channel = t.slack.openDm(user).id;
  const { message, deliveries } = await t.driver.sendMessage({ user, channel, text, ...(threadTs ? { threadTs } : {}) });
  expect(deliveries.every((d) => d.ok)).toBe(true);
  return { channel, message, deliveries };
}

test('DM order → card → Place order → placing → receipt (DC-n, $8.75) → ready on PREPARED', async () => {
  const sam = t.slack.addUser({ name: 'sam' });
  const { channel, message } = await dm(sam.id, "an oat latte with an extra shot and a croissant, name's Sam");
  const card = await cardIn(channel, message.ts);
  expect(card.text).toContain('$8.75');
  expect(card.text).toMatch(/1× Latte \((extra shot, oat milk|oat milk, extra shot)\) \$5\.50/);
  expect(card.text).toContain('for Sam');

  const click = await t.driver.clickButton({ user: sam.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  expect(click.ok).toBe(true);

  await waitFor(() => threadText(channel, message.ts).includes('Placing your order with Downtown Café'), 'placing');
  const receipt = await waitFor(() => newsOf(channel, message.ts).find((m) => /Confirmed! Order #DC-\d+/.test(m.text)), 'the receipt');
  expect(receipt.text).toContain('$8.75');
  expect(receipt.text).toMatch(/Receipt RCP-/);
  const action = await waitFor(() => findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${sam.id}` }), 'the action');
  expect(action.origin).toMatchObject({ channel: 'slack', ref: { workspace: t.slack.workspace.teamId, channel, thread: message.ts, user: `slack:${t.slack.workspace.teamId}:${sam.id}` } });
  // The receipt links the customer's live order page ("Track your order"), which opens without an API key.
  const trackingUrl = JSON.stringify(receipt.blocks ?? []).match(/<(http[^|>]+\/o\/[\w-]+)\|Track your order>/)?.[1] ?? '';
  expect(trackingUrl).not.toBe('');
  expect(receipt.text).toContain(`Track your order: ${trackingUrl}`);
  const page = await fetch(trackingUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(action.orderNumber!);

  // The card shows the live state: confirmed with the order number, no more Place order.
  await waitFor(() => { const c = t.slack.message(channel, card.ts)!; return /Confirmed! Order #DC-/.test(c.text) && !JSON.stringify(c.blocks).includes('rouh_place'); }, 'the card edited to confirmed');

  const squareOrder = t.square.orders().at(-1)!;
  await t.square.advanceFulfillment(squareOrder.id, 'PREPARED');
  await waitFor(() => newsOf(channel, message.ts).find((m) => /is ready for pickup/.test(m.text)), 'ready');

  // Order in the thread: placing, then the receipt, then ready — each once.
  const texts = repliesOf(channel, message.ts).filter((m) => m.ts !== card.ts).map((m) => m.text);
  const placing = texts.findIndex((x) => x.startsWith('Placing your order'));
  const confirmed = texts.findIndex((x) => x.startsWith('Confirmed!'));
  const ready = texts.findIndex((x) => x.includes('is ready for pickup'));
  expect(placing).toBeGreaterThanOrEqual(0);
  expect(confirmed).toBeGreaterThan(placing);
  expect(ready).toBeGreaterThan(confirmed);
  expect(texts.filter((x) => x.startsWith('Confirmed!'))).toHaveLength(1);
  expect(texts.join('\n')).not.toMatch(/Error|TypeError|Square call/);
});

test('nothing orderable → a question; follow-ups in the thread edit the same draft; then the order', async () => {
  const ana = t.slack.addUser({ name: 'ana' });
  const { channel, message } = await dm(ana.id, 'a unicorn frappe please');
  await waitFor(() => repliesOf(channel, message.ts).find((m) => /no unicorn frappe on the menu/i.test(m.text)), 'the question');

  await dm(ana.id, '2 lattes then', message.ts);
  const card = await cardIn(channel, message.ts);
  expect(card.text).toContain('2× Latte');
  for (const text of ['make it 3', 'oat milk on the latte', "for 9:30, name's Ana"]) await dm(ana.id, text, message.ts);
  await waitFor(() => { const c = t.slack.message(channel, card.ts)!; return c.text.includes('3× Latte (oat milk)') && c.text.includes('for Ana') && /9:30/.test(c.text) ? c : null; }, 'the card edited by follow-ups');
  // One card, edited in place.
  expect(repliesOf(channel, message.ts).filter((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place'))).toHaveLength(1);

  await t.driver.clickButton({ user: ana.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  await waitFor(() => newsOf(channel, message.ts).find((m) => /Confirmed! Order #DC-\d+, \$16\.50/.test(m.text)), 'the receipt for 3 lattes');
});

test('status, menu, help; another customer\'s order is not shown; cancel asks first', async () => {
  const lee = t.slack.addUser({ name: 'lee' });
  const max = t.slack.addUser({ name: 'max' });
  const first = await dm(lee.id, 'a croissant');
  const card = await cardIn(first.channel, first.message.ts);
  await t.driver.clickButton({ user: lee.id, channel: first.channel, messageTs: card.ts, actionId: 'rouh_place' });
  const receipt = await waitFor(() => newsOf(first.channel, first.message.ts).find((m) => /Confirmed! Order #(DC-\d+)/.test(m.text)), 'lee\'s receipt');
  const orderNumber = /#(DC-\d+)/.exec(receipt.text)![1]!;

  const status = await dm(lee.id, "where's my order");
  await waitFor(() => repliesOf(status.channel, status.message.ts).find((m) => m.text.includes(`Order #${orderNumber}`)), 'lee\'s status');

  const spy = await dm(max.id, `is ${orderNumber} ready`);
  const answer = await waitFor(() => repliesOf(spy.channel, spy.message.ts)[0], 'max\'s answer');
  expect(answer.text).toContain(`can't find order ${orderNumber}`);
  expect(answer.text).not.toContain('Confirmed');

  const menu = await dm(max.id, 'menu');
  const menuReply = await waitFor(() => repliesOf(menu.channel, menu.message.ts)[0], 'the menu');
  expect(menuReply.text).toContain('Latte $5.50');
  const help = await dm(max.id, 'help');
  expect((await waitFor(() => repliesOf(help.channel, help.message.ts)[0], 'help')).text).toContain('Place order');

  // Cancel: nothing cancellable for a completed order → says where it stands.
  const cancel = await dm(lee.id, 'cancel my order');
  const cancelReply = await waitFor(() => repliesOf(cancel.channel, cancel.message.ts)[0], 'cancel answer');
  expect(cancelReply.text).toMatch(/no order that can still be cancelled/);
});

test('cancel from chat while the café has not confirmed: confirm button → the engine cancels → the thread says so', async () => {
  const kim = t.slack.addUser({ name: 'kim' });
  // The café's POS is down: the order waits for the email confirmation, so it can still be cancelled.
  t.square.setFault({ kind: 'bad_token' });
  const { channel, message } = await dm(kim.id, 'an americano');
  const card = await cardIn(channel, message.ts);
  await t.driver.clickButton({ user: kim.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  await waitFor(() => newsOf(channel, message.ts).find((m) => /Waiting for Downtown Café to confirm/.test(m.text)), 'waiting for the café');
  t.square.setFault(null);

  const ask = await dm(kim.id, 'cancel');
  const question = await waitFor(() => repliesOf(ask.channel, ask.message.ts).find((m) => /^Cancel /.test(m.text)), 'the cancel question');
  await t.driver.clickButton({ user: kim.id, channel: ask.channel, messageTs: question.ts, actionId: 'rouh_cancel_confirm' });
  await waitFor(() => repliesOf(ask.channel, ask.message.ts).find((m) => /was cancelled/.test(m.text)), 'cancelled in the asking thread');
  await waitFor(() => repliesOf(channel, message.ts).find((m) => /was cancelled/.test(m.text)), 'cancelled in the order thread');
  const action = await findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${kim.id}` });
  expect(action?.status).toBe('cancelled');
});

test('a retried event and a double tap on Place order make one action', async () => {
  const zoe = t.slack.addUser({ name: 'zoe' });
  const { channel, message, deliveries } = await dm(zoe.id, 'a cappuccino');
  const card = await cardIn(channel, message.ts);
  const retried = await t.driver.redeliver(deliveries[0]!, { reason: 'http_timeout' });
  expect(retried.ok).toBe(true);

  const taps = await Promise.all([1, 2, 3].map(() => t.driver.clickButton({ user: zoe.id, channel, messageTs: card.ts, actionId: 'rouh_place' })));
  expect(taps.every((d) => d.ok)).toBe(true);
  await waitFor(() => newsOf(channel, message.ts).find((m) => /Confirmed!/.test(m.text)), 'the receipt');
  await new Promise((r) => setTimeout(r, 500));
  expect((await storedActions({ userId: `slack:${t.slack.workspace.teamId}:${zoe.id}` })).length).toBe(1);
  const cards = repliesOf(channel, message.ts).filter((m: SimSlackMessage) => m.ts === card.ts || JSON.stringify(m.blocks ?? []).includes('rouh_place'));
  expect(cards).toHaveLength(1);
  expect(repliesOf(channel, message.ts).filter((m) => /^Placing/.test(m.text))).toHaveLength(1);
});

test('forged signature or stale timestamp → 401 and nothing written', async () => {
  const eve = t.slack.addUser({ name: 'eve' });
  const channel = t.slack.openDm(eve.id).id;
  const before = (await storedActions({})).length;
  const forged = await t.driver.sendMessage({ user: eve.id, channel, text: 'a latte' }, { signingSecret: 'not-the-secret' });
  expect(forged.deliveries[0]!.status).toBe(401);
  const stale = await t.driver.sendMessage({ user: eve.id, channel, text: 'a latte' }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
  expect(stale.deliveries[0]!.status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  expect(t.slack.messages({ channel }).filter((m) => m.botId)).toHaveLength(0);
  expect((await storedActions({})).length).toBe(before);
  const { ChatInboundEvent } = await import('../../bots/storage/models.js');
  expect(await ChatInboundEvent.countDocuments({ _id: { $in: forged.deliveries.concat(stale.deliveries).map((d) => `slack:${d.eventId}`) } })).toBe(0);
});

test('the chat API and the Slack Request URL are in /openapi.json; a method they lack answers 405', async () => {
  const doc = await (await fetch(`${t.svc.baseUrl}/openapi.json`)).json() as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
  expect(Object.keys(doc.paths['/chat/bindings']!).sort()).toEqual(['get', 'put']);
  expect(doc.paths['/chat/connections/{id}']).toHaveProperty('delete');
  expect(doc.paths['/slack/events']!.post!.parameters!.map((p) => p.name).sort()).toEqual(['x-slack-request-timestamp', 'x-slack-signature']);
  const wrongMethod = await fetch(`${t.svc.baseUrl}/chat/bindings`, { method: 'POST' });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toBe('GET, PUT, HEAD');
});
