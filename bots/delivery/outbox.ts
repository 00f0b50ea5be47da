/**
 * Durable, ordered outbound chat messages. Every message is first claimed as a ChatDelivery (unique key:
 * an (action, status, thread) or (inbound event, n)), so it is queued once however often it is produced;
 * then a pending row in the small ChatPending collection (carrying the message) is sent in `seq` order per
 * thread. A batch of messages is claimed with one insert command per collection, and a drain reads a
 * thread's whole queue at once. Pending edits of the same card are coalesced: the card gets its latest
 * content once, at the first edit's place, and the older edits are dropped with it.
 * A 429 waits its Retry-After, a 5xx/network error backs off, and the thread waits behind its head message
 * so order holds. Each send attempt is claimed by a unique insert, so two workers never send the same
 * attempt; a drain that finds another worker's claim looks again shortly. A worker that dies mid-send
 * leaves a stale claim; the sweeper retries it after SEND_LEASE_MS (the one case that can duplicate a
 * message: the platform has no idempotency key for posts).
 */
import type { Logger } from 'pino';
import { Claim } from '../../src/storage/models.js';
import { insertOnce } from '../../src/storage/insert-once.js';
import { ChatCard, ChatDelivery, ChatPending } from '../storage/models.js';
import { insertEach } from '../storage/insert-each.js';
import { threadKey, TransportError, type ChatTransport, type Platform, type Reply, type ThreadRef } from '../conversation/types.js';

export interface OutgoingMessage {
  /** Dedupe key: the same key is delivered once. */
  id: string;
  thread: ThreadRef;
  reply: Reply;
  /** Who asked (ephemeral replies go to them). */
  userId: string | null;
  /** Order in the thread (ms timestamp scaled, see `seqAt`). */
  seq: number;
}

/** Orders messages by when their news happened, with room for several per millisecond. */
export const seqAt = (at: Date | number, n = 0) => (typeof at === 'number' ? at : at.getTime()) * 100 + n;

export interface OutboxOptions {
  logger: Logger;
  now?: () => Date;
  /** Schedules a later drain of a thread (an Agenda job); without it only the sweeper retries. */
  scheduleDrain?: (threadKey: string, at: Date) => Promise<void>;
  /** Backoff for 5xx/network failures: initial, factor, cap. */
  backoff?: { initialMs: number; factor: number; maxMs: number };
}

export const SEND_LEASE_MS = 30_000;
/** How many pending messages of a thread one read takes. */
const BATCH = 50;
const MAX_BATCHES_PER_DRAIN = 20;
/** After losing a claim to another worker: look again after these delays (then the sweeper takes over). */
const CONTENDED_RETRY_MS = [250, 1000, 4000];
/** How many card message ids and queued keys a process remembers. */
const MEMORY_SIZE = 10_000;

type Row = {
  _id: string; threadKey: string; seq: number; attempts: number; notBefore: Date | null;
  thread?: ThreadRef | null; userId?: string | null; reply?: Reply | null;
};

/** One send of a drain: a row, the content to send for it (a coalesced card's latest), and the rows it replaces. */
interface Step { row: Row; message: { thread: ThreadRef; reply: Reply; userId: string | null } | null; replaces: string[] }

/**
 * The order to send a thread's pending rows in: each card's first pending row carries that card's latest
 * content, and its later rows are dropped once it is delivered (the card shows the newest state, once).
 */
export function coalesceCardEdits(rows: Row[]): Step[] {
  const latest = new Map<string, Row>();
  for (const r of rows) if (r.reply?.card && !r.reply.ephemeral) latest.set(r.reply.card, r);
  const steps: Step[] = [];
  const taken = new Map<string, Step>();
  for (const r of rows) {
    const card = r.reply?.card && !r.reply.ephemeral ? r.reply.card : null;
    const message = r.thread && r.reply ? { thread: r.thread, reply: r.reply, userId: r.userId ?? null } : null;
    if (!card) { steps.push({ row: r, message, replaces: [] }); continue; }
    const first = taken.get(card);
    if (first) { first.replaces.push(r._id); continue; }
    const last = latest.get(card)!;
    const step: Step = { row: r, message: last.thread && last.reply ? { thread: last.thread, reply: last.reply, userId: last.userId ?? null } : message, replaces: [] };
    taken.set(card, step);
    steps.push(step);
  }
  return steps;
}

export class ChatOutbox {
  private readonly transports = new Map<Platform, ChatTransport>();
  /** Threads being drained in this process: a second drain request just asks the running one to look again. */
  private readonly draining = new Map<string, { again: boolean; done: Promise<void> }>();
  /** Drains started without waiting for them (`enqueue(…, { drain: 'background' })`), for `idle()`. */
  private readonly background = new Set<Promise<void>>();
  /** Threads waiting to look again after another worker held their head; value = attempts so far. */
  private readonly contended = new Map<string, { tries: number; timer: NodeJS.Timeout }>();
  /** Keys this process has seen queued (inserted or found taken), newest last: a producer can skip them unread. */
  private readonly queued = new Set<string>();
  /** Card key → platform message id (a card's message never changes once posted), newest last. */
  private readonly cards = new Map<string, string>();
  private closed = false;
  private readonly now: () => Date;
  private readonly backoff: { initialMs: number; factor: number; maxMs: number };

  constructor(private readonly o: OutboxOptions) {
    this.now = o.now ?? (() => new Date());
    this.backoff = o.backoff ?? { initialMs: 1000, factor: 2, maxMs: 5 * 60_000 };
  }

  useTransport(t: ChatTransport): void {
    this.transports.set(t.platform, t);
  }

  /**
   * Claims and queues the messages (each once; one insert command per collection for the batch), then sends
   * what is due in their threads: awaited by default, or started in the background (`drain: 'background'`:
   * the messages are durable once this returns, and `idle()` waits for the sending).
   */
  async enqueue(messages: OutgoingMessage[], opts: { drain?: boolean | 'background' } = {}): Promise<void> {
    const rows = messages.map((m) => ({ _id: m.id, threadKey: threadKey(m.thread), thread: m.thread, userId: m.userId, seq: m.seq, reply: m.reply }));
    const claimed = await insertEach(ChatDelivery, rows);
    const fresh = rows.filter((r) => claimed.has(r._id));
    await insertEach(ChatPending, fresh.map((r) => ({ ...r, attempts: 0, notBefore: null })));
    for (const r of rows) remember(this.queued, r._id);
    const threads = [...new Set(fresh.map((r) => r.threadKey))];
    if (opts.drain === false) return;
    if (opts.drain === 'background') {
      for (const t of threads) this.inBackground(this.drain(t));
      return;
    }
    await Promise.all(threads.map((t) => this.drain(t)));
  }

  /** True when this process knows the key is already queued (so producing that message again is moot). */
  alreadyQueued(id: string): boolean {
    return this.queued.has(id);
  }

  /** Resolves when no drain started by this outbox is running (background ones included). */
  async idle(): Promise<void> {
    while (this.background.size || this.draining.size) await Promise.allSettled([...this.background, ...[...this.draining.values()].map((d) => d.done)]);
  }

  /** Stops the delayed looks and waits for running drains (the sweeper of the next process picks up the rest). */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.contended.values()) clearTimeout(c.timer);
    this.contended.clear();
    await this.idle();
  }

  /** Sends a thread's due messages in order. Safe to call any number of times, from any process. */
  async drain(key: string): Promise<void> {
    const running = this.draining.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state = { again: true, done: Promise.resolve() };
    state.done = (async () => {
      try {
        while (state.again) {
          state.again = false;
          await this.drainOnce(key);
        }
      } finally {
        this.draining.delete(key);
      }
    })();
    this.draining.set(key, state);
    return state.done;
  }

  private inBackground(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.o.logger.warn({ err: err.message }, 'chat drain failed; the sweeper retries it'))
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Another worker holds this thread's head: look again a little later instead of waiting for the sweeper. */
  private lookAgainSoon(key: string): void {
    if (this.closed) return;
    const tries = this.contended.get(key)?.tries ?? 0;
    const delay = CONTENDED_RETRY_MS[tries];
    if (delay === undefined) { this.contended.delete(key); return; }
    clearTimeout(this.contended.get(key)?.timer);
    const timer = setTimeout(() => this.inBackground(this.drain(key)), delay);
    timer.unref();
    this.contended.set(key, { tries: tries + 1, timer });
  }

  private async drainOnce(key: string): Promise<void> {
    for (let b = 0; b < MAX_BATCHES_PER_DRAIN; b++) {
      const rows = await ChatPending.find({ threadKey: key }).sort({ seq: 1, _id: 1 }).limit(BATCH).lean<Row[]>();
      for (const step of coalesceCardEdits(rows)) {
        const head = step.row;
        const now = this.now();
        if (head.notBefore && head.notBefore.getTime() > now.getTime()) {
          await this.o.scheduleDrain?.(key, head.notBefore);
          return;
        }
        if (!(await insertOnce(Claim, { _id: sendClaimId(head), by: 'chat-outbox' }))) { // another worker holds this attempt
          this.lookAgainSoon(key);
          return;
        }
        if (!(await this.sendOne(step))) return;
      }
      this.contended.delete(key);
      // A short read was the whole queue; what was queued since in this process asked for another round.
      if (rows.length < BATCH) return;
    }
  }

  /** True when the head is done (sent or dropped) and the next may go. */
  private async sendOne(step: Step): Promise<boolean> {
    const head = step.row;
    const done = () => (step.replaces.length ? ChatPending.deleteMany({ _id: { $in: [head._id, ...step.replaces] } }) : ChatPending.deleteOne({ _id: head._id }));
    let message = step.message;
    if (!message) {
      // A row queued by a version that kept the message only in ChatDelivery.
      const delivery = await ChatDelivery.findById(head._id).lean();
      if (!delivery) { await done(); return true; }
      message = { thread: delivery.thread as ThreadRef, reply: delivery.reply as Reply, userId: delivery.userId ?? null };
    }
    const { thread, reply, userId } = message;
    const log = this.o.logger.child({ delivery: head._id, platform: thread.platform });
    const transport = this.transports.get(thread.platform);
    if (!transport) return this.retryLater(head, 'no transport for this platform yet', this.delayFor(head.attempts), log);
    try {
      await this.send(transport, thread, reply, userId);
      await done();
      return true;
    } catch (err) {
      const failure = err instanceof TransportError ? err.failure : { kind: 'unavailable' as const, message: (err as Error)?.message ?? String(err) };
      switch (failure.kind) {
        case 'not_modified':
          await done();
          return true;
        case 'rate_limited':
          return this.retryLater(head, 'rate limited', failure.retryAfterMs, log);
        case 'unavailable':
          return this.retryLater(head, failure.message, this.delayFor(head.attempts), log);
        case 'permanent':
          log.warn({ error: failure.message }, 'chat message rejected by the platform; dropped');
          await done();
          return true;
      }
    }
  }

  private async send(transport: ChatTransport, thread: ThreadRef, reply: Reply, userId: string | null): Promise<{ kind: 'sent' | 'edited'; messageId: string | null }> {
    if (!reply.card) return { kind: 'sent', messageId: (await transport.post(thread, reply, { userId })).messageId };
    const cardId = `${threadKey(thread)}|${reply.card}`;
    const known = this.cards.get(cardId) ?? (await ChatCard.findById(cardId).lean())?.messageId;
    if (known) {
      this.rememberCard(cardId, known);
      await transport.edit(thread, { messageId: known }, reply);
      return { kind: 'edited', messageId: known };
    }
    const sent = await transport.post(thread, reply, { userId });
    await insertOnce(ChatCard, { _id: cardId, messageId: sent.messageId });
    this.rememberCard(cardId, sent.messageId);
    return { kind: 'sent', messageId: sent.messageId };
  }

  private rememberCard(cardId: string, messageId: string): void {
    this.cards.delete(cardId);
    this.cards.set(cardId, messageId);
    if (this.cards.size > MEMORY_SIZE) this.cards.delete(this.cards.keys().next().value!);
  }

  private async retryLater(head: Row, error: string, delayMs: number, log: Logger): Promise<boolean> {
    const at = new Date(this.now().getTime() + delayMs);
    await ChatPending.updateOne({ _id: head._id }, { $set: { attempts: head.attempts + 1, notBefore: at, lastError: error.slice(0, 300) } });
    log.info({ attempts: head.attempts + 1, retryInMs: delayMs, error }, 'chat message not delivered yet; will retry');
    await this.o.scheduleDrain?.(head.threadKey, at);
    return false;
  }

  private delayFor(attempts: number): number {
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** attempts);
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  /**
   * Finds threads with due messages nobody is sending (a lost drain job, a dead worker) and drains them.
   * A claim older than SEND_LEASE_MS for a row still pending means its sender died: the attempt is retried.
   */
  async sweep(): Promise<number> {
    const now = this.now().getTime();
    const rows = await ChatPending.find({}, { thread: 0, reply: 0 }).sort({ seq: 1 }).limit(500).lean<Array<Row & { updatedAt: Date }>>();
    const seen = new Set<string>();
    const threads = new Set<string>();
    for (const r of rows) {
      // Only each thread's head matters: the rest wait behind it.
      if (seen.has(r.threadKey)) continue;
      seen.add(r.threadKey);
      if (r.notBefore && r.notBefore.getTime() > now) continue;
      const claim = await Claim.findById(sendClaimId(r)).lean();
      if (claim && now - new Date(claim.createdAt as Date).getTime() <= SEND_LEASE_MS) continue;
      if (claim) await ChatPending.updateOne({ _id: r._id }, { $set: { attempts: r.attempts + 1, lastError: 'sender stopped; retrying' } });
      threads.add(r.threadKey);
    }
    for (const t of threads) await this.drain(t);
    return threads.size;
  }

  /** How many messages wait (tests and health). */
  async pending(): Promise<number> {
    return ChatPending.countDocuments({});
  }
}

function remember(set: Set<string>, key: string): void {
  set.delete(key);
  set.add(key);
  if (set.size > MEMORY_SIZE) set.delete(set.keys().next().value!);
}

const sendClaimId = (r: Pick<Row, '_id' | 'attempts'>) => `chat-send:${r._id}:${r.attempts}`;
