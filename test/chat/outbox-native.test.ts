/**
 * The chat outbox carrying Slack-native messages (raw Block Kit, App Home) through the real @slack/web-api
 * client against the Slack simulator: a card is posted once then edited, a reply lands in the card's thread,
 * a 429 waits its Retry-After, and a post whose fate is unknown (its sender died after Slack took it, or the
 * answer was lost) is found by its marker instead of being posted twice.
 */
import { jest } from '@jest/globals';
import { WebClient } from '@slack/web-api';
import { createLogger } from '../../src/logger.js';
import { ChatOutbox, SEND_LEASE_MS, seqAt, type NativeSender, type OutgoingMessage } from '../../bots/delivery/outbox.js';
import { TransportError, type ThreadRef } from '../../bots/conversation/types.js';
import { ChatCard, ChatPending } from '../../bots/storage/models.js';
import { createSlackNativeSender, DELIVERY_MARKER } from '../../bots/slack/native.js';
import { startSlackSimulator, type SlackSimulator } from '../../bots/slack/simulator/index.js';
import { startTestService, waitFor, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
let sim: SlackSimulator;
let client: WebClient;
beforeAll(async () => {
  [svc, sim] = await Promise.all([startTestService(), startSlackSimulator()]);
  client = new WebClient(sim.workspace.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
});
afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

const lane = (name: string): ThreadRef => ({ platform: 'slack', workspace: sim.workspace.teamId, channel: sim.addChannel({ name, members: [] }).id, thread: null });
const body = (text: string) => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
const card = (id: string, thread: ThreadRef, text: string, n = 0): OutgoingMessage => ({ id, thread, userId: null, seq: seqAt(Date.now(), n), native: { kind: 'post', card: 'task-1', body: body(text) } });
const posts = (channel: string) => sim.calls().filter((c) => c.method === 'chat.postMessage' && c.params['channel'] === channel && c.status === 200 && !c.error);

function outbox(sender: NativeSender, now: () => Date = () => new Date()) {
  const box = new ChatOutbox({ logger: createLogger('silent'), now, backoff: { initialMs: 50, factor: 2, maxMs: 200 } });
  box.useNativeSender(sender);
  return box;
}

test('a native card is posted once with its marker, then edited in place; a reply goes under it; App Home is published', async () => {
  const t = lane('cards');
  const box = outbox(createSlackNativeSender(() => client));
  await box.enqueue([card('n1', t, 'Open'), card('n2', t, 'Claimed', 1)]);
  await box.enqueue([
    { id: 'n3', thread: t, userId: null, seq: seqAt(Date.now(), 2), native: { kind: 'post', replyToCard: 'task-1', body: { text: 'reminder' } } },
    { id: 'n1', thread: t, userId: null, seq: seqAt(Date.now(), 3), native: { kind: 'post', card: 'task-1', body: body('repeated key: ignored') } },
  ]);
  const [top] = sim.messages({ channel: t.channel });
  expect(sim.messages({ channel: t.channel }).filter((m) => !m.threadTs)).toHaveLength(1);
  expect(top).toMatchObject({ text: 'Claimed', edits: 1, metadata: { event_type: DELIVERY_MARKER, event_payload: { id: 'n1' } } });
  expect(sim.thread(t.channel, top!.ts).map((m) => m.text)).toEqual(['Claimed', 'reminder']);

  const user = sim.addUser({ name: 'olive' });
  await box.enqueue([{ id: 'h1', thread: { ...t, channel: `home:${user.id}` }, userId: `slack:${sim.workspace.teamId}:${user.id}`, seq: seqAt(Date.now()), native: { kind: 'home', body: { view: { type: 'home', blocks: [body('Your tasks').blocks[0]] } } } }]);
  expect(sim.views().find((v) => v.userId === user.id)?.view['type']).toBe('home');
});

test('a 429 on a card post waits its Retry-After, then posts once', async () => {
  const t = lane('limited');
  const box = outbox(createSlackNativeSender(() => client));
  sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, method: 'chat.postMessage', count: 1 });
  await box.enqueue([card('r1', t, 'Open')]);
  const row = await ChatPending.findById('r1').lean();
  expect(row?.uncertain).toBe(false); // a 429 is a refusal: nothing was posted, no lookup needed
  await box.sweep();
  expect(posts(t.channel)).toHaveLength(0); // too early
  await new Promise((r) => setTimeout(r, 1100));
  await box.sweep();
  expect(posts(t.channel)).toHaveLength(1);
  const calls = sim.calls().filter((c) => c.method === 'chat.postMessage' && c.params['channel'] === t.channel);
  expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
});

test('a worker that dies after Slack took the card: another worker finds it by its marker and does not post it again', async () => {
  const t = lane('crash');
  const real = createSlackNativeSender(() => client);
  // The first worker posts and then never comes back (it died before recording the message's ts).
  const dying: NativeSender = { ...real, post: async (...a) => { await real.post(...a); return new Promise(() => undefined); } };
  void outbox(dying).enqueue([card('d1', t, 'Open')]);
  await waitFor(() => sim.messages({ channel: t.channel }).length === 1, 'the first worker\'s post');
  expect(await ChatCard.exists({ _id: `slack:${sim.workspace.teamId}:${t.channel}:-|task-1` })).toBeNull();

  // Another worker, once the send lease has run out: the sweeper retries the attempt as uncertain.
  const later = outbox(real, () => new Date(Date.now() + SEND_LEASE_MS + 1000));
  await later.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ _id: 'd1' })) === 0, 'the retried delivery done');
  expect(posts(t.channel)).toHaveLength(1);
  expect(sim.calls().some((c) => c.method === 'conversations.history' && c.params['channel'] === t.channel)).toBe(true);
  // The card record points at the message found, so the next change edits it.
  await later.enqueue([card('d2', t, 'Claimed', 1)]);
  expect(sim.messages({ channel: t.channel }).map((m) => [m.text, m.edits])).toEqual([['Claimed', 1]]);
});

test('a post whose answer was lost is looked up before the retry; one that never reached Slack is posted on the retry', async () => {
  const t = lane('lost');
  const real = createSlackNativeSender(() => client);
  let mode: 'lose-answer' | 'fail-before' | 'ok' = 'lose-answer';
  const flaky: NativeSender = {
    ...real,
    post: async (...a) => {
      const m = mode;
      mode = 'ok';
      if (m === 'fail-before') throw new TransportError({ kind: 'unavailable', message: 'connection reset' });
      const sent = await real.post(...a);
      if (m === 'lose-answer') throw new TransportError({ kind: 'unavailable', message: 'request timed out' });
      return sent;
    },
  };
  const box = outbox(flaky);
  await box.enqueue([card('l1', t, 'Open')]);
  await new Promise((r) => setTimeout(r, 120));
  await box.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ _id: 'l1' })) === 0, 'the retry done');
  expect(posts(t.channel)).toHaveLength(1);

  const u = lane('lost-before');
  mode = 'fail-before';
  await box.enqueue([{ ...card('l2', u, 'Open'), native: { kind: 'post', card: 'task-2', body: body('Open') } }]);
  await new Promise((r) => setTimeout(r, 120));
  await box.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ _id: 'l2' })) === 0, 'the retry done');
  expect(posts(u.channel)).toHaveLength(1); // looked up, not found, posted
});

test('live card edits queued behind a 429 collapse into one call that shows the latest state', async () => {
  const t = lane('collapse');
  const state = { text: 'Open' };
  const box = outbox(createSlackNativeSender(() => client));
  box.useRenderer('test-card', async () => body(state.text));
  const live = (id: string, n: number): OutgoingMessage => ({ id, thread: t, userId: null, seq: seqAt(Date.now(), n), native: { kind: 'post', card: 'task-9', render: { with: 'test-card', ref: 'task-9' } } });
  await box.enqueue([live('v1', 0)]);
  sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, method: 'chat.update', count: 1 });
  state.text = 'Claimed';
  await box.enqueue([live('v2', 1)]); // 429: the lane waits
  state.text = 'Released';
  await box.enqueue([live('v3', 2)]);
  state.text = 'Completed';
  await box.enqueue([live('v4', 3)]);
  await new Promise((r) => setTimeout(r, 1100));
  await box.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ threadKey: `slack:${sim.workspace.teamId}:${t.channel}:-` })) === 0, 'the lane drained');
  const updates = sim.calls().filter((c) => c.method === 'chat.update' && c.params['channel'] === t.channel);
  expect(updates.map((c) => c.status)).toEqual([429, 200]); // the refused one, then one edit for the three changes
  expect(sim.messages({ channel: t.channel }).map((m) => [m.text, m.edits])).toEqual([['Completed', 1]]);
});
