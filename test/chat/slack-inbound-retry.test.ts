/**
 * Inbound Slack events are handled durably: Bolt acks an event before our listener runs, so when handling
 * fails afterwards (or the process dies mid-way) we run it again ourselves, without a redelivery from Slack.
 * Real @slack/bolt in HTTP mode against the Slack simulator; retries after 200 ms and 400 ms (3 attempts).
 */
import { jest } from '@jest/globals';
import { ChatInboundEvent, ChatInboundPending } from '../../bots/storage/models.js';
import { INBOUND_APOLOGY } from '../../bots/runtime.js';
import { slackUserId } from '../../bots/conversation/types.js';
import { storedActions } from '../../src/storage/action-state.js';
import { Claim } from '../../src/storage/models.js';
import { waitFor } from '../support/harness.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';

jest.setTimeout(60_000);

let t: ChatTestService;
beforeAll(async () => { t = await startChatTestService(); });
afterAll(async () => { await t?.close(); });

const repliesOf = (channel: string, ts: string) => t.slack.thread(channel, ts).filter((m) => m.botId && m.ts !== ts);
const cardsOf = (channel: string, ts: string) => repliesOf(channel, ts).filter((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place'));
const noPending = async () => (await ChatInboundPending.countDocuments({})) === 0;

test('an event whose handling throws once after the ack is retried by us: one card, no Slack retry needed', async () => {
  const lee = t.slack.addUser({ name: 'lee' });
  const spy = jest.spyOn(t.chat.runtime().conversation, 'onMessage').mockRejectedValueOnce(new Error('injected fault'));
  try {
    const channel = t.slack.openDm(lee.id).id;
    const { message, deliveries } = await t.driver.sendMessage({ user: lee.id, channel, text: "a latte, name's Lee" });
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    const card = await waitFor(() => cardsOf(channel, message.ts)[0], 'the card from our retry');
    expect(card.text).toContain('for Lee');
    expect(spy).toHaveBeenCalledTimes(2);
    await waitFor(noPending, 'the update marked handled');

    // A late Slack retry of the same event is a duplicate now: still one card, no third handling.
    const retried = await t.driver.redeliver(deliveries[0]!, { reason: 'http_timeout', retryAttempt: 1 });
    expect(retried.ok).toBe(true);
    await t.chat.runtime().sweepInbound();
    expect(spy).toHaveBeenCalledTimes(2);
    expect(cardsOf(channel, message.ts)).toHaveLength(1);
  } finally {
    spy.mockRestore();
  }
});

test('a failed Place order, retried by us while Slack redelivers the click, makes one action', async () => {
  const kim = t.slack.addUser({ name: 'kim' });
  const channel = t.slack.openDm(kim.id).id;
  const { message } = await t.driver.sendMessage({ user: kim.id, channel, text: "a latte, name's Kim" });
  const card = await waitFor(() => cardsOf(channel, message.ts)[0], 'the card');
  const spy = jest.spyOn(t.chat.runtime().conversation, 'onButton').mockRejectedValueOnce(new Error('injected fault'));
  try {
    const click = await t.driver.clickButton({ user: kim.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
    expect(click.ok).toBe(true);
    await waitFor(() => spy.mock.calls.length >= 1, 'the failed handling');
    await t.driver.redeliver(click);
    await waitFor(() => repliesOf(channel, message.ts).find((m) => /Confirmed! Order #DC-/.test(m.text)), 'the receipt');
    await waitFor(noPending, 'the update marked handled');
    expect((await storedActions({ userId: slackUserId(t.slack.workspace.teamId, kim.id) })).length).toBe(1);
    // The card itself may still read "Placing…" (its edit to the receipt can trail the reply): count replies only.
    expect(repliesOf(channel, message.ts).filter((m) => m.ts !== card.ts && m.text.startsWith('Placing'))).toHaveLength(1);
    expect(spy).toHaveBeenCalledTimes(2);
  } finally {
    spy.mockRestore();
  }
});

test('an event left claimed by a process that died mid-handling is handled once by the next one', async () => {
  const ada = t.slack.addUser({ name: 'ada' });
  const channel = t.slack.openDm(ada.id).id;
  // What a killed process leaves: the event claimed and recorded, its attempt's lease run out, no reply sent.
  const posted = t.slack.postAsUser({ user: ada.id, channel, text: "a croissant, name's Ada" });
  const eventId = t.driver.newEventId();
  const team = t.slack.workspace.teamId;
  await ChatInboundEvent.create({ _id: `slack:${eventId}` });
  await ChatInboundPending.create({
    _id: `slack:${eventId}`, kind: 'message', attempts: 1, running: true, notBefore: new Date(Date.now() - 1000),
    inbound: { thread: { platform: 'slack', workspace: team, channel, thread: posted.ts }, user: { id: slackUserId(team, ada.id) }, text: posted.text, eventId, messageId: posted.ts },
  });
  const spy = jest.spyOn(t.chat.runtime().conversation, 'onMessage');
  try {
    // The sweeper and a direct sweep race for it: one of them runs it.
    await Promise.all([t.chat.runtime().sweepInbound(), t.chat.runtime().sweepInbound()]);
    const card = await waitFor(() => cardsOf(channel, posted.ts)[0], 'the card');
    expect(card.text).toContain('for Ada');
    await waitFor(noPending, 'the update marked handled');
    await t.chat.runtime().sweepInbound();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(cardsOf(channel, posted.ts)).toHaveLength(1);
  } finally {
    spy.mockRestore();
  }
});

test('a handler that always fails: after the bounded retries the customer is asked once to send it again', async () => {
  const bo = t.slack.addUser({ name: 'bo' });
  const channel = t.slack.openDm(bo.id).id;
  const boId = slackUserId(t.slack.workspace.teamId, bo.id);
  const conversation = t.chat.runtime().conversation;
  const original = conversation.onMessage.bind(conversation);
  const spy = jest.spyOn(conversation, 'onMessage').mockImplementation(async (ctx, text) => {
    if (ctx.user.id === boId) throw new Error('always broken');
    return original(ctx, text);
  });
  try {
    const { message } = await t.driver.sendMessage({ user: bo.id, channel, text: 'a latte' });
    const apology = await waitFor(() => repliesOf(channel, message.ts).find((m) => m.text === INBOUND_APOLOGY), 'the apology');
    expect(apology.text).toBe('Sorry, something went wrong with your last message — please send it again.');
    await waitFor(noPending, 'the update given up');
    const calls = spy.mock.calls.filter(([ctx]) => ctx.user.id === boId).length;
    expect(calls).toBe(3);
    // Nothing loops: a sweep finds nothing to run, and the apology stays the only reply.
    expect(await t.chat.runtime().sweepInbound()).toBe(0);
    expect(spy.mock.calls.filter(([ctx]) => ctx.user.id === boId)).toHaveLength(3);
    expect(repliesOf(channel, message.ts).map((m) => m.text)).toEqual([INBOUND_APOLOGY]);
  } finally {
    spy.mockRestore();
  }
});

// Last in this file: it closes the runtime.
test('a closing process starts no retry: a late retry job or sweep leaves a due update to the next process', async () => {
  const inbound = { thread: { platform: 'slack', workspace: t.slack.workspace.teamId, channel: 'D-closing', thread: '1.0' }, user: { id: 'slack:T:U' }, eventId: 'ev-closing', text: 'a latte' };
  await ChatInboundPending.create({ _id: 'slack:ev-closing', kind: 'message', inbound, attempts: 1, running: false, notBefore: new Date(Date.now() - 1000) });
  await t.chat.runtime().close();
  await t.chat.runtime().retryDue('slack:ev-closing');
  expect(await t.chat.runtime().sweepInbound()).toBe(0);
  // No attempt was claimed, so no lease holds the update: the next process's sweeper runs it at once.
  expect(await Claim.exists({ _id: 'chat-inbound:slack:ev-closing:2' })).toBeNull();
  expect(await ChatInboundPending.findById('slack:ev-closing').lean()).toMatchObject({ attempts: 1, running: false });
});
