/**
 * Durable, ordered outbound chat messages. Every message is first claimed as a ChatDelivery (unique key:
 * an (action, status, thread) or (inbound event, n)), so it is queued once however often it is produced;
 * then a pending row in the small ChatPending collection is sent in `seq` order per thread. A 429 waits its
 * Retry-After, a 5xx/network error backs off, and the thread waits behind its head message so order holds.
 * Each send attempt is claimed by a unique insert, so two workers never send the same attempt. A worker that
 * dies mid-send leaves a stale claim; the sweeper retries it after SEND_LEASE_MS (the one case that can
 * duplicate a message: the platform has no idempotency key for posts).
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
const MAX_PER_DRAIN = 50;

type Row = { _id: string; threadKey: string; seq: number; attempts: number; notBefore: Date | null; uncertain?: boolean };

export class ChatOutbox {
  private readonly transports = new Map<Platform, ChatTransport>();
  private readonly nativeSenders = new Map<Platform, NativeSender>();
  private readonly renderers = new Map<string, NativeRenderer>();
  /** Threads being drained in this process: a second drain request just asks the running one to look again. */
  private readonly draining = new Map<string, { again: boolean; done: Promise<void> }>();
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

  /** Claims and queues the messages (each once), then sends what is due in their threads. */
  async enqueue(messages: OutgoingMessage[], opts: { drain?: boolean } = {}): Promise<void> {
    const threads = new Set<string>();
    for (const m of messages) {
      const key = threadKey(m.thread);
      if (!m.reply === !m.native) throw new Error(`chat message ${m.id}: give either a reply or a native message`);
      const claimed = await insertOnce(ChatDelivery, { _id: m.id, threadKey: key, thread: m.thread, userId: m.userId, seq: m.seq, reply: m.reply ?? null, native: m.native ?? null });
      if (!claimed) continue;
      await insertOnce(ChatPending, { _id: m.id, threadKey: key, seq: m.seq, attempts: 0, notBefore: null, ...(m.native ? { coalesce: coalesceKey(m.native) } : {}) });
      threads.add(key);
    }
    if (opts.drain !== false) await Promise.all([...threads].map((t) => this.drain(t)));
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

  private async drainOnce(key: string): Promise<void> {
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      const head = (await ChatPending.find({ threadKey: key }).sort({ seq: 1, _id: 1 }).limit(1).lean<Row[]>())[0];
      if (!head) return;
      const now = this.now();
      if (head.notBefore && head.notBefore.getTime() > now.getTime()) {
        await this.o.scheduleDrain?.(key, head.notBefore);
        return;
      }
      if (!(await insertOnce(Claim, { _id: sendClaimId(head), by: 'chat-outbox' }))) return; // another worker holds this attempt
      const delivered = await this.sendOne(head);
      if (!delivered) return;
    }
  }

  /** True when the head is done (sent or dropped) and the next may go. */
  private async sendOne(head: Row): Promise<boolean> {
    const delivery = await ChatDelivery.findById(head._id).lean();
    if (!delivery) { await ChatPending.deleteOne({ _id: head._id }); return true; }
    const thread = delivery.thread as ThreadRef;
    const native = (delivery.native ?? null) as NativeMessage | null;
    const log = this.o.logger.child({ delivery: head._id, platform: thread.platform });
    const transport = this.transports.get(thread.platform);
    const nativeSender = this.nativeSenders.get(thread.platform);
    if (native ? !nativeSender : !transport) return this.retryLater(head, 'no transport for this platform yet', this.delayFor(head.attempts), log);
    try {
      if (native) await this.sendNative(nativeSender!, head, thread, native, delivery.userId ?? null, delivery.createdAt as Date);
      else await this.send(transport!, thread, delivery.reply as Reply, delivery.userId ?? null);
      await ChatPending.deleteOne({ _id: head._id });
      return true;
    } catch (err) {
      const failure = err instanceof TransportError ? err.failure : { kind: 'unavailable' as const, message: (err as Error)?.message ?? String(err) };
      switch (failure.kind) {
        case 'not_modified':
          await ChatPending.deleteOne({ _id: head._id });
          return true;
        case 'rate_limited':
          return this.retryLater(head, 'rate limited', failure.retryAfterMs, log);
        case 'unavailable':
          // No answer (a timeout, a 5xx, a cut connection): the post may have gone through.
          return this.retryLater(head, failure.message, this.delayFor(head.attempts), log, { uncertain: true });
        case 'permanent':
          log.warn({ error: failure.message }, 'chat message rejected by the platform; dropped');
          await ChatPending.deleteOne({ _id: head._id });
          return true;
      }
    }
  }

  private async send(transport: ChatTransport, thread: ThreadRef, reply: Reply, userId: string | null): Promise<{ kind: 'sent' | 'edited'; messageId: string | null }> {
    if (!reply.card) return { kind: 'sent', messageId: (await transport.post(thread, reply, { userId })).messageId };
    const cardId = `${threadKey(thread)}|${reply.card}`;
    const card = await ChatCard.findById(cardId).lean();
    if (card) {
      await transport.edit(thread, { messageId: card.messageId }, reply);
      return { kind: 'edited', messageId: card.messageId };
    }
    const sent = await transport.post(thread, reply, { userId });
    await insertOnce(ChatCard, { _id: cardId, messageId: sent.messageId });
    return { kind: 'sent', messageId: sent.messageId };
  }

  /**
   * A native message: rendered now when it is live, then posted, edited (its card was posted before) or
   * published. Before re-posting after an uncertain attempt, the sender looks for the earlier post by its marker.
   */
  private async sendNative(sender: NativeSender, head: Row, thread: ThreadRef, m: NativeMessage, userId: string | null, queuedAt: Date): Promise<void> {
    const lane = threadKey(thread);
    const cardId = m.card ? `${lane}|${m.card}` : null;
    const card = cardId ? await ChatCard.findById(cardId).lean() : null;
    // A live edit or home with a later one of the same queued behind it would be overwritten at once: the later
    // one sends the same truth, so a backlog (after a 429, say) costs one call, not one per change.
    const coalesce = (m.kind === 'home' || card) ? coalesceKey(m) : null;
    if (coalesce && (await ChatPending.exists({ threadKey: lane, coalesce, seq: { $gt: head.seq } }))) return;
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
      const parent = await ChatCard.findById(`${lane}|${m.replyToCard}`).lean();
      if (!parent) return; // the card it answers was never posted (dropped): a reply would stand alone
      threadId = parent.messageId;
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
    if (cardId) await insertOnce(ChatCard, { _id: cardId, messageId: sent.messageId });
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
    const rows = await ChatPending.find({}).sort({ seq: 1 }).limit(500).lean<Array<Row & { updatedAt: Date }>>();
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

const sendClaimId = (r: Pick<Row, '_id' | 'attempts'>) => `chat-send:${r._id}:${r.attempts}`;
/** Native messages that end in the same state when sent (live renders of one card or home); null for fixed bodies. */
const coalesceKey = (m: NativeMessage): string | null => (m.render ? `${m.kind}|${m.card ?? ''}|${m.render.with}|${m.render.ref}` : null);
