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
 *
 * A message is either a platform-neutral `Reply` (customer conversations) or a `NativeMessage` in the
 * platform's own format (operator cards: raw Block Kit, App Home), sent by the platform's NativeSender with
 * the same claims, order, retries and sweeper. A native post carries its delivery id as a marker: when an
 * earlier attempt's fate is unknown (its sender died, or the call failed without an answer), the sender
 * first looks the marker up in the conversation and records the message it finds instead of posting again.
 */
import type { Logger } from 'pino';
import { Claim } from '../../src/storage/models.js';
import { insertOnce } from '../../src/storage/insert-once.js';
import { ChatCard, ChatDelivery, ChatPending } from '../storage/models.js';
import { insertEach } from '../storage/insert-each.js';
import { threadKey, TransportError, type ChatTransport, type Platform, type Reply, type SentRef, type ThreadRef } from '../conversation/types.js';

/** A platform-format body: Slack `{ text, blocks }` for a message, `{ view }` for App Home. */
export type NativeBody = Record<string, unknown>;

/**
 * A message in the platform's own format. Its body is fixed when queued (`body`), or built when sent by a
 * registered renderer (`render`): a card edit rendered at send time shows the truth as of its delivery, so
 * a late edit never shows an older state than an earlier one.
 */
export interface NativeMessage {
  /** `post`: a message in the thread's channel; `home`: the App Home of `OutgoingMessage.userId`. */
  kind: 'post' | 'home';
  body?: NativeBody;
  render?: { with: string; ref: string };
  /** Edit-in-place key (as `Reply.card`): the first delivery posts the message, later ones edit it. */
  card?: string;
  /** With `card`: only edit; dropped when the card was never posted. */
  editOnly?: boolean;
  /** Post as a reply under the message of this card key (in the same thread lane, so it is posted first). */
  replyToCard?: string;
}

/** Where a native post goes and what marks it (its delivery id), to find it again after an uncertain attempt. */
export interface NativePost { threadId: string | null; marker: string }

/** A platform's sender of NativeMessages. Throws TransportError (classified) like ChatTransport. */
export interface NativeSender {
  readonly platform: Platform;
  post(thread: ThreadRef, body: NativeBody, at: NativePost): Promise<SentRef>;
  edit(thread: ThreadRef, ref: SentRef, body: NativeBody): Promise<void>;
  publishHome(thread: ThreadRef, userId: string, body: NativeBody): Promise<void>;
  /** The message an earlier attempt posted with this marker (posted at or after `since`), if any. */
  findPosted(thread: ThreadRef, at: NativePost, since: Date): Promise<SentRef | null>;
}

/** Builds a native body when it is sent; null = nothing to send any more (dropped). */
export type NativeRenderer = (ref: string) => Promise<NativeBody | null>;

export interface OutgoingMessage {
  /** Dedupe key: the same key is delivered once. */
  id: string;
  thread: ThreadRef;
  /** The message: a platform-neutral reply, or (with `native` and no reply) the platform's own format. */
  reply?: Reply;
  native?: NativeMessage;
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
  _id: string; threadKey: string; seq: number; attempts: number; notBefore: Date | null; uncertain?: boolean;
  thread?: ThreadRef | null; userId?: string | null; reply?: Reply | null; native?: NativeMessage | null;
  coalesce?: string | null; createdAt?: Date;
};

/** What a row sends: a Reply or a NativeMessage, where, for whom, and when it was queued. */
interface Message { thread: ThreadRef; reply: Reply | null; native: NativeMessage | null; userId: string | null; queuedAt: Date }

/**
 * One send of a drain: a row, the content to send for it (a coalesced card's latest), the rows it replaces, and
 * (native live renders) whether a later render of the same card/home waits in this batch.
 */
interface Step { row: Row; message: Message | null; replaces: string[]; laterInBatch: boolean }

const messageOf = (r: Row): Message | null =>
  (r.thread && (r.reply || r.native) ? { thread: r.thread, reply: r.reply ?? null, native: r.native ?? null, userId: r.userId ?? null, queuedAt: r.createdAt ?? new Date() } : null);

/**
 * The order to send a thread's pending rows in: each card's first pending row carries that card's latest
 * content, and its later rows are dropped once it is delivered (the card shows the newest state, once).
 */
export function coalesceCardEdits(rows: Row[]): Step[] {
  const cardOf = (r: Row) => (r.reply?.card && !r.reply.ephemeral ? r.reply.card : null);
  const latest = new Map<string, Row>();
  const lastRender = new Map<string, Row>();
  for (const r of rows) {
    const card = cardOf(r);
    if (card) latest.set(card, r);
    if (r.coalesce) lastRender.set(r.coalesce, r);
  }
  const steps: Step[] = [];
  const taken = new Map<string, Step>();
  for (const r of rows) {
    const card = cardOf(r);
    const laterInBatch = !!r.coalesce && lastRender.get(r.coalesce) !== r;
    if (!card) { steps.push({ row: r, message: messageOf(r), replaces: [], laterInBatch }); continue; }
    const first = taken.get(card);
    if (first) { first.replaces.push(r._id); continue; }
    const step: Step = { row: r, message: messageOf(latest.get(card)!) ?? messageOf(r), replaces: [], laterInBatch: false };
    taken.set(card, step);
    steps.push(step);
  }
  return steps;
}

export class ChatOutbox {
  private readonly transports = new Map<Platform, ChatTransport>();
  private readonly nativeSenders = new Map<Platform, NativeSender>();
  private readonly renderers = new Map<string, NativeRenderer>();
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

  useNativeSender(s: NativeSender): void {
    this.nativeSenders.set(s.platform, s);
  }

  /** `render.with` names one of these; registered by whoever queues such messages (e.g. the Slack operator UI). */
  useRenderer(name: string, render: NativeRenderer): void {
    this.renderers.set(name, render);
  }

  /**
   * Claims and queues the messages (each once; one insert command per collection for the batch), then sends
   * what is due in their threads: awaited by default, or started in the background (`drain: 'background'`:
   * the messages are durable once this returns, and `idle()` waits for the sending).
   */
  async enqueue(messages: OutgoingMessage[], opts: { drain?: boolean | 'background' } = {}): Promise<void> {
    for (const m of messages) if (!m.reply === !m.native) throw new Error(`chat message ${m.id}: give either a reply or a native message`);
    const rows = messages.map((m) => ({ _id: m.id, threadKey: threadKey(m.thread), thread: m.thread, userId: m.userId, seq: m.seq, reply: m.reply ?? null, native: m.native ?? null }));
    const claimed = await insertEach(ChatDelivery, rows);
    const fresh = rows.filter((r) => claimed.has(r._id));
    await insertEach(ChatPending, fresh.map((r) => ({ ...r, attempts: 0, notBefore: null, ...(r.native ? { coalesce: coalesceKey(r.native) } : {}) })));
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
    // After close a drain (a late job, the sweeper) would claim a send that the closing database can no longer
    // record as failed, and the next process would wait out the lease: leave it to the next process's sweeper.
    if (this.closed) return;
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
      const complete = rows.length < BATCH;
      for (const step of coalesceCardEdits(rows)) {
        const head = step.row;
        const now = this.now();
        if (head.notBefore && head.notBefore.getTime() > now.getTime()) {
          await this.o.scheduleDrain?.(key, head.notBefore);
          return;
        }
        if (this.closed) return;
        if (!(await insertOnce(Claim, { _id: sendClaimId(head), by: 'chat-outbox' }))) { // another worker holds this attempt
          this.lookAgainSoon(key);
          return;
        }
        if (!(await this.sendOne(step, complete))) return;
      }
      this.contended.delete(key);
      // A short read was the whole queue; what was queued since in this process asked for another round.
      if (rows.length < BATCH) return;
    }
  }

  /** True when the head is done (sent or dropped) and the next may go. `complete`: the batch was the whole queue. */
  private async sendOne(step: Step, complete: boolean): Promise<boolean> {
    const head = step.row;
    const done = () => (step.replaces.length ? ChatPending.deleteMany({ _id: { $in: [head._id, ...step.replaces] } }) : ChatPending.deleteOne({ _id: head._id }));
    let message = step.message;
    if (!message) {
      // A row queued by a version that kept the message only in ChatDelivery.
      const delivery = await ChatDelivery.findById(head._id).lean();
      if (!delivery) { await done(); return true; }
      message = { thread: delivery.thread as ThreadRef, reply: (delivery.reply ?? null) as Reply | null, native: (delivery.native ?? null) as NativeMessage | null, userId: delivery.userId ?? null, queuedAt: delivery.createdAt as Date };
    }
    const { thread, reply, native, userId } = message;
    const log = this.o.logger.child({ delivery: head._id, platform: thread.platform });
    const transport = this.transports.get(thread.platform);
    const nativeSender = this.nativeSenders.get(thread.platform);
    if (native ? !nativeSender : !transport) return this.retryLater(head, 'no transport for this platform yet', this.delayFor(head.attempts), log);
    try {
      if (native) await this.sendNative(nativeSender!, head, thread, native, userId, message.queuedAt, { laterInBatch: step.laterInBatch, complete });
      else await this.send(transport!, thread, reply!, userId);
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
          // No answer (a timeout, a 5xx, a cut connection): the post may have gone through.
          return this.retryLater(head, failure.message, this.delayFor(head.attempts), log, { uncertain: true });
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
    const known = await this.cardMessage(cardId);
    if (known) {
      await transport.edit(thread, { messageId: known }, reply);
      return { kind: 'edited', messageId: known };
    }
    const sent = await transport.post(thread, reply, { userId });
    await insertOnce(ChatCard, { _id: cardId, messageId: sent.messageId });
    this.rememberCard(cardId, sent.messageId);
    return { kind: 'sent', messageId: sent.messageId };
  }

  /**
   * A native message: rendered now when it is live, then posted, edited (its card was posted before) or
   * published. Before re-posting after an uncertain attempt, the sender looks for the earlier post by its marker.
   */
  private async sendNative(sender: NativeSender, head: Row, thread: ThreadRef, m: NativeMessage, userId: string | null, queuedAt: Date, batch: { laterInBatch: boolean; complete: boolean }): Promise<void> {
    const lane = threadKey(thread);
    const cardId = m.card ? `${lane}|${m.card}` : null;
    const cardMessageId = cardId ? await this.cardMessage(cardId) : null;
    const card = cardMessageId ? { messageId: cardMessageId } : null;
    // A live edit or home with a later one of the same queued behind it would be overwritten at once: the later
    // one sends the same truth, so a backlog (after a 429, say) costs one call, not one per change.
    const coalesce = (m.kind === 'home' || card) ? coalesceKey(m) : null;
    // The batch read shows what waited behind it; only a full batch (more rows unread) needs the query.
    if (coalesce && (batch.laterInBatch || (!batch.complete && (await ChatPending.exists({ threadKey: lane, coalesce, seq: { $gt: head.seq } }))))) return;
    let body = m.body ?? null;
    if (m.render) {
      const render = this.renderers.get(m.render.with);
      if (!render) throw new TransportError({ kind: 'unavailable', message: `no renderer ${m.render.with} in this process yet` });
      body = await render(m.render.ref);
    }
    if (!body) return; // nothing left to show (its subject is gone)
    if (m.kind === 'home') {
      if (userId) await sender.publishHome(thread, userId, body);
      return;
    }
    if (card) return sender.edit(thread, { messageId: card.messageId }, body);
    if (m.editOnly) return;
    let threadId = thread.thread;
    if (m.replyToCard) {
      const parent = await this.cardMessage(`${lane}|${m.replyToCard}`);
      if (!parent) return; // the card it answers was never posted (dropped): a reply would stand alone
      threadId = parent;
    }
    const at: NativePost = { threadId, marker: head._id };
    // A marker lookup costs a read: only when an earlier attempt may have posted (its sender died or got no answer).
    // A lookup the platform refuses (a missing read scope) cannot tell: post, accepting the rare duplicate.
    const earlier = head.uncertain
      ? await sender.findPosted(thread, at, new Date(queuedAt.getTime() - 1000)).catch((err: unknown) => {
        if (err instanceof TransportError && err.failure.kind === 'permanent') return null;
        throw err;
      })
      : null;
    const sent = earlier ?? (await sender.post(thread, body, at));
    if (cardId) {
      await insertOnce(ChatCard, { _id: cardId, messageId: sent.messageId });
      this.rememberCard(cardId, sent.messageId);
    }
  }

  /** The platform message id of a posted card, or null (remembered in-process: a card's message never changes). */
  private async cardMessage(cardId: string): Promise<string | null> {
    const known = this.cards.get(cardId) ?? (await ChatCard.findById(cardId).lean())?.messageId ?? null;
    if (known) this.rememberCard(cardId, known);
    return known;
  }

  private rememberCard(cardId: string, messageId: string): void {
    this.cards.delete(cardId);
    this.cards.set(cardId, messageId);
    if (this.cards.size > MEMORY_SIZE) this.cards.delete(this.cards.keys().next().value!);
  }

  private async retryLater(head: Row, error: string, delayMs: number, log: Logger, o: { uncertain?: boolean } = {}): Promise<boolean> {
    const at = new Date(this.now().getTime() + delayMs);
    await ChatPending.updateOne({ _id: head._id }, { $set: { attempts: head.attempts + 1, notBefore: at, lastError: error.slice(0, 300), ...(o.uncertain ? { uncertain: true } : {}) } });
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
    const rows = await ChatPending.find({}, { thread: 0, reply: 0, native: 0 }).sort({ seq: 1 }).limit(500).lean<Array<Row & { updatedAt: Date }>>();
    const seen = new Set<string>();
    const threads = new Set<string>();
    for (const r of rows) {
      // Only each thread's head matters: the rest wait behind it.
      if (seen.has(r.threadKey)) continue;
      seen.add(r.threadKey);
      if (r.notBefore && r.notBefore.getTime() > now) continue;
      const claim = await Claim.findById(sendClaimId(r)).lean();
      if (claim && now - new Date(claim.createdAt as Date).getTime() <= SEND_LEASE_MS) continue;
      // Its sender stopped mid-attempt: whether the message went out is unknown.
      if (claim) await ChatPending.updateOne({ _id: r._id }, { $set: { attempts: r.attempts + 1, lastError: 'sender stopped; retrying', uncertain: true } });
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
/** Native messages that end in the same state when sent (live renders of one card or home); null for fixed bodies. */
const coalesceKey = (m: NativeMessage): string | null => (m.render ? `${m.kind}|${m.card ?? ''}|${m.render.with}|${m.render.ref}` : null);
