/** The durable outbox against a scripted transport: once per key, in order per thread, retries, not-modified, drops; and the cleanup job. */
import { jest } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { ChatOutbox, seqAt } from '../../bots/delivery/outbox.js';
import { cleanupChatRecords } from '../../bots/cleanup.js';
import { ChatInboundEvent, ChatPending } from '../../bots/storage/models.js';
import { Claim } from '../../src/storage/models.js';
import { TransportError, type ChatTransport, type Reply, type ThreadRef, type TransportFailure } from '../../bots/conversation/types.js';
import { startTestService, waitFor, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

const thread = (n: number): ThreadRef => ({ platform: 'slack', workspace: 'T1', channel: `D${n}`, thread: '1.0' });
const reply = (text: string, card?: string): Reply => ({ text, blocks: [], buttons: [], ...(card ? { card } : {}) });

function scripted(failures: Array<TransportFailure | null>) {
  const sent: Array<{ op: 'post' | 'edit'; text: string; messageId: string }> = [];
  let n = 0;
  const next = () => {
    const f = failures.shift();
    if (f) throw new TransportError(f);
  };
  const transport: ChatTransport = {
    platform: 'slack',
    async post(_t, r) { next(); const messageId = `m${++n}`; sent.push({ op: 'post', text: r.text, messageId }); return { messageId }; },
    async edit(_t, ref, r) { next(); sent.push({ op: 'edit', text: r.text, messageId: ref.messageId }); },
  };
  return { transport, sent };
}

function outbox(transport: ChatTransport) {
  const box = new ChatOutbox({ logger: createLogger('silent'), backoff: { initialMs: 50, factor: 2, maxMs: 200 }, scheduleDrain: async () => undefined });
  box.useTransport(transport);
  return box;
}

test('each key is sent once; a thread is sent in seq order and waits behind a failing head', async () => {
  const { transport, sent } = scripted([{ kind: 'unavailable', message: 'HTTP 503' }]);
  const box = outbox(transport);
  const t = thread(1);
  const at = Date.now();
  await box.enqueue([{ id: 'a', thread: t, userId: null, reply: reply('first'), seq: seqAt(at, 0) }, { id: 'b', thread: t, userId: null, reply: reply('second'), seq: seqAt(at, 1) }]);
  expect(sent).toEqual([]); // the head failed: nothing overtakes it
  // A batch claims each message on its own: the repeated key is dropped, the new one is queued.
  await box.enqueue([{ id: 'a', thread: t, userId: null, reply: reply('first again'), seq: seqAt(at, 2) }, { id: 'c', thread: t, userId: null, reply: reply('third'), seq: seqAt(at, 3) }]);
  await new Promise((r) => setTimeout(r, 120));
  await box.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ threadKey: 'slack:T1:D1:1.0' })) === 0, 'the thread drained');
  expect(sent.map((s) => s.text)).toEqual(['first', 'second', 'third']);
});

test('cards are posted once then edited; "not modified" counts as delivered; a refused message is dropped and the thread goes on', async () => {
  const { transport, sent } = scripted([null, { kind: 'not_modified' }, { kind: 'permanent', message: 'channel_not_found' }]);
  const box = outbox(transport);
  const t = thread(2);
  const at = Date.now();
  // One at a time, so no two edits of the card wait together (those are coalesced: next test).
  await box.enqueue([{ id: 'c1', thread: t, userId: null, reply: reply('card v1', 'order-1'), seq: seqAt(at, 0) }]);
  await box.enqueue([{ id: 'c2', thread: t, userId: null, reply: reply('card v1', 'order-1'), seq: seqAt(at, 1) }]);
  await box.enqueue([{ id: 'x', thread: t, userId: null, reply: reply('refused'), seq: seqAt(at, 2) }]);
  await box.enqueue([{ id: 'c3', thread: t, userId: null, reply: reply('card v2', 'order-1'), seq: seqAt(at, 3) }]);
  expect(sent).toEqual([{ op: 'post', text: 'card v1', messageId: 'm1' }, { op: 'edit', text: 'card v2', messageId: 'm1' }]);
  expect(await ChatPending.countDocuments({ threadKey: 'slack:T1:D2:1.0' })).toBe(0);
});

test('edits of one card waiting together are coalesced: the card gets its latest content once, at the first edit\'s place', async () => {
  const { transport, sent } = scripted([null, { kind: 'unavailable', message: 'HTTP 503' }]);
  const box = outbox(transport);
  const t = thread(4);
  const at = Date.now();
  await box.enqueue([{ id: 'k1', thread: t, userId: null, reply: reply('card: draft', 'order-1'), seq: seqAt(at, 0) }]);
  // The platform is down for the next send: placing, its news, then completion and the receipt pile up behind it.
  await box.enqueue([
    { id: 'k2', thread: t, userId: null, reply: reply('card: placing', 'order-1'), seq: seqAt(at, 1) },
    { id: 'n1', thread: t, userId: null, reply: reply('Placing your order'), seq: seqAt(at, 2) },
  ]);
  await box.enqueue([
    { id: 'k3', thread: t, userId: null, reply: reply('card: confirmed', 'order-1'), seq: seqAt(at, 3) },
    { id: 'n2', thread: t, userId: null, reply: reply('Confirmed!'), seq: seqAt(at, 4) },
  ], { drain: false });
  expect(sent.map((s) => `${s.op} ${s.text}`)).toEqual(['post card: draft']);
  await new Promise((r) => setTimeout(r, 120));
  await box.sweep();
  await waitFor(async () => (await ChatPending.countDocuments({ threadKey: 'slack:T1:D4:1.0' })) === 0, 'the thread drained');
  expect(sent).toEqual([
    { op: 'post', text: 'card: draft', messageId: 'm1' },
    { op: 'edit', text: 'card: confirmed', messageId: 'm1' },
    { op: 'post', text: 'Placing your order', messageId: 'm2' },
    { op: 'post', text: 'Confirmed!', messageId: 'm3' },
  ]);
});

test('a drain that finds another worker sending the thread\'s head looks again shortly, without waiting for the sweeper', async () => {
  const { transport, sent } = scripted([]);
  const box = outbox(transport);
  const t = thread(5);
  const at = Date.now();
  // Another worker holds the head's send claim (it is posting "h" right now).
  await Claim.create({ _id: 'chat-send:h:0', by: 'another worker' });
  await box.enqueue([{ id: 'h', thread: t, userId: null, reply: reply('head'), seq: seqAt(at, 0) }, { id: 'n', thread: t, userId: null, reply: reply('next'), seq: seqAt(at, 1) }]);
  expect(sent).toEqual([]); // nothing overtakes the head
  // The other worker finishes "h" (its pending row goes); this process picks up "n" on its own.
  await ChatPending.deleteOne({ _id: 'h' });
  await waitFor(() => (sent.length ? sent : null), 'the next message');
  expect(sent.map((s) => s.text)).toEqual(['next']);
  await box.close();
});

test('a closed outbox claims nothing: a late drain job leaves the message for the next process to send at once', async () => {
  const { transport, sent } = scripted([]);
  const box = outbox(transport);
  const t = thread(6);
  await box.enqueue([{ id: 'late', thread: t, userId: null, reply: reply('after restart'), seq: seqAt(Date.now()) }], { drain: false });
  await box.close();
  await box.drain('slack:T1:D6:1.0'); // e.g. a chat.deliver job that fires between close() and the database closing
  await box.sweep();
  expect(sent).toEqual([]);
  // No send claim was left behind, so the next process does not wait out a dead sender's lease.
  expect(await Claim.exists({ _id: 'chat-send:late:0' })).toBeNull();
  const next = outbox(transport);
  await next.sweep();
  expect(sent.map((s) => s.text)).toEqual(['after restart']);
  await next.close();
});

test('a 429 waits its Retry-After before the retry', async () => {
  const { transport, sent } = scripted([{ kind: 'rate_limited', retryAfterMs: 400 }]);
  const box = outbox(transport);
  const t0 = Date.now();
  await box.enqueue([{ id: 'r', thread: thread(3), userId: null, reply: reply('later'), seq: seqAt(t0) }]);
  const row = await ChatPending.findById('r').lean();
  expect(row!.notBefore!.getTime() - t0).toBeGreaterThanOrEqual(390);
  await box.sweep(); // too early: nothing sent
  expect(sent).toEqual([]);
  await new Promise((r) => setTimeout(r, 450));
  await box.sweep();
  expect(sent.map((s) => s.text)).toEqual(['later']);
});

test('the cleanup job deletes day-old inbound dedupe records and keeps fresh ones', async () => {
  await ChatInboundEvent.create([{ _id: 'slack:old' }, { _id: 'slack:new' }]);
  await ChatInboundEvent.collection.updateOne({ _id: 'slack:old' as never }, { $set: { createdAt: new Date(Date.now() - 2 * 24 * 3600_000) } });
  await cleanupChatRecords(new Date());
  expect((await ChatInboundEvent.find({}).lean()).map((e) => e._id).sort()).toEqual(['slack:new']);
});
