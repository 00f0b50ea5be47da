/**
 * What platform adapters call after answering the platform: drops repeated deliveries (Slack retries and
 * Socket Mode redeliveries by event_id, Telegram by update_id), finds the chat's space and provider, runs
 * the conversation and queues its replies in the durable outbox.
 *
 * Inbound handling is durable: platforms consider an update delivered once we answered it (Bolt acks Slack
 * events before the listener runs; telegraf's long polling moves its offset on), so a failure after that is
 * ours to retry. Each update is claimed by a unique insert (the dedupe record, kept a day) and recorded as a
 * ChatInboundPending row, deleted once handled: one insert and one delete more per update than plain dedupe.
 * When handling throws, or the process dies mid-handling (its lease runs out), the update runs again after a
 * backoff, from any process (each attempt claimed by a unique insert), up to a bounded number of attempts;
 * then the customer is asked in the thread to send it again, and the team gets an error log line.
 * Repeating an attempt repeats no effect: replies are keyed by the event id, the order by the card version,
 * and a draft remembers the event that last changed it.
 */
import type { Logger } from 'pino';
import { insertOnce } from '../src/storage/insert-once.js';
import { Claim } from '../src/storage/models.js';
import { boundProvider, connect, connectionSpace, redeemLinkCode } from './connections.js';
import { Conversation, type ConversationReply } from './conversation/conversation.js';
import { say } from './conversation/replies.js';
import type { OrderingPort } from './conversation/ports.js';
import { threadKey, type ChatInbound, type ChatTransport, type InboundButton, type InboundLink, type InboundMessage, type ThreadRef } from './conversation/types.js';
import { seqAt, type ChatOutbox } from './delivery/outbox.js';
import { ChatInboundEvent, ChatInboundPending } from './storage/models.js';
import { Space } from '../src/storage/models.js';

/** When a failed inbound update runs again. */
export interface InboundRetryPolicy {
  /** How long one attempt may take before another process assumes it died and runs the update again. */
  leaseMs: number;
  /** Waits before the 2nd, 3rd, … attempt; attempts = 1 + its length. */
  retryDelaysMs: number[];
}

export const DEFAULT_INBOUND_RETRY: InboundRetryPolicy = { leaseMs: 60_000, retryDelaysMs: [2_000, 15_000, 60_000] };

/** What the customer reads when their update could not be handled after every retry. */
export const INBOUND_APOLOGY = 'Sorry, something went wrong with your last message — please send it again.';

type InboundUpdate =
  | { kind: 'message'; inbound: InboundMessage }
  | { kind: 'button'; inbound: InboundButton }
  | { kind: 'link'; inbound: InboundLink };

type PendingRow = InboundUpdate & { _id: string; attempts: number; running: boolean; notBefore: Date };

export interface ChatRuntimeOptions {
  ordering: OrderingPort;
  outbox: ChatOutbox;
  logger: Logger;
  draftTtlMs: number;
  now?: () => Date;
  inboundRetry?: InboundRetryPolicy;
  /** Runs `retryDue(id)` at `at` (an Agenda job); without it only `sweepInbound` retries. */
  scheduleRetry?: (id: string, at: Date) => Promise<void>;
}

const inboundId = (platform: string, eventId: string) => `${platform}:${eventId}`;
const attemptClaimId = (id: string, attempt: number) => `chat-inbound:${id}:${attempt}`;

export class ChatRuntime implements ChatInbound {
  readonly conversation: Conversation;
  private readonly now: () => Date;
  private readonly retry: InboundRetryPolicy;
  private closed = false;

  constructor(private readonly o: ChatRuntimeOptions) {
    this.now = o.now ?? (() => new Date());
    this.retry = o.inboundRetry ?? DEFAULT_INBOUND_RETRY;
    this.conversation = new Conversation({ ordering: o.ordering, draftTtlMs: o.draftTtlMs });
  }

  useTransport(transport: ChatTransport): void {
    this.o.outbox.useTransport(transport);
  }

  /** True the first time this platform delivery is seen. */
  async firstDelivery(platform: string, eventId: string): Promise<boolean> {
    return insertOnce(ChatInboundEvent, { _id: inboundId(platform, eventId) });
  }

  /**
   * The first delivery of an update: claimed by insert (concurrent duplicates make one action), recorded for
   * retry, then run. Throws only when it could not be recorded (the claim is then released, so the
   * platform's own redelivery — a Telegram webhook answered 500 — is handled rather than dropped as seen).
   */
  private async accept(update: InboundUpdate): Promise<void> {
    const { platform } = update.inbound.thread;
    const id = inboundId(platform, update.inbound.eventId);
    if (!(await this.firstDelivery(platform, update.inbound.eventId))) {
      this.o.logger.debug({ platform, eventId: update.inbound.eventId }, 'repeated chat delivery ignored');
      return;
    }
    try {
      await ChatInboundPending.create({ _id: id, ...update, attempts: 1, running: true, notBefore: this.leaseEnd() });
    } catch (err) {
      await ChatInboundEvent.deleteOne({ _id: id }).catch((releaseErr: unknown) =>
        this.o.logger.warn({ err: (releaseErr as Error).message, platform, eventId: update.inbound.eventId }, 'could not release an unrecorded chat delivery'));
      throw err;
    }
    await this.attempt(id, update, 1);
  }

  /** Runs one attempt; the pending row is deleted on success, or rescheduled (or given up) on failure. Never throws. */
  private async attempt(id: string, update: InboundUpdate, attempt: number): Promise<void> {
    try {
      await this.dispatch(update);
    } catch (err) {
      await this.failed(id, update, attempt, (err as Error)?.message ?? String(err)).catch((bookErr: unknown) =>
        // The row still holds the running lease: the sweeper runs the update again when it ends.
        this.o.logger.warn({ err: (bookErr as Error).message, inbound: id }, 'could not record a failed chat update; the sweeper retries it'));
      return;
    }
    // If this delete fails, the sweeper runs the update again: every effect of a repeat is keyed, so nothing doubles.
    await ChatInboundPending.deleteOne({ _id: id }).catch((delErr: unknown) =>
      this.o.logger.warn({ err: (delErr as Error).message, inbound: id }, 'could not mark a chat update handled'));
  }

  private async failed(id: string, update: InboundUpdate, attempt: number, error: string): Promise<void> {
    const log = { inbound: id, kind: update.kind, attempt, error };
    if (attempt > this.retry.retryDelaysMs.length) {
      await this.giveUp(id, update, attempt, error);
      return;
    }
    const at = new Date(this.now().getTime() + this.retry.retryDelaysMs[attempt - 1]!);
    await ChatInboundPending.updateOne({ _id: id }, { $set: { running: false, notBefore: at, lastError: error.slice(0, 300) } });
    this.o.logger.warn({ ...log, retryAt: at.toISOString() }, 'chat update failed; will retry');
    await this.o.scheduleRetry?.(id, at);
  }

  /** After the last attempt: the customer is asked to send it again (once: the reply is keyed), the team told. */
  private async giveUp(id: string, update: InboundUpdate, attempts: number, error: string | null): Promise<void> {
    const { thread, user } = update.inbound;
    await this.o.outbox.enqueue([{ id: `${id}:sorry`, thread, userId: user.id, reply: say(INBOUND_APOLOGY), seq: seqAt(this.now()) }]);
    await ChatInboundPending.deleteOne({ _id: id });
    this.o.logger.error({ inbound: id, kind: update.kind, attempts, error }, 'chat update dropped after its last retry; the customer was asked to send it again');
  }

  /**
   * Runs a waiting update again if it is due (its retry time came, or the process running it died), claiming
   * the attempt by insert so that one process runs it. Safe to call any number of times, from any process.
   */
  async retryDue(id: string): Promise<void> {
    if (this.closed) return;
    const row = await ChatInboundPending.findById(id).lean<PendingRow>();
    if (!row) return;
    // A timer may fire a little early (or the row's lease was renewed): look again when it is due, rather than
    // leave it to the sweeper.
    if (row.notBefore.getTime() > this.now().getTime()) return void (await this.o.scheduleRetry?.(id, row.notBefore));
    await this.retryRow(row);
  }

  private async retryRow(row: PendingRow): Promise<void> {
    const update = { kind: row.kind, inbound: row.inbound } as InboundUpdate;
    const next = row.attempts + 1;
    if (!(await insertOnce(Claim, { _id: attemptClaimId(row._id, next), by: 'chat-inbound' }))) return; // another process runs it
    if (row.running) this.o.logger.warn({ inbound: row._id, attempt: row.attempts }, 'chat update outlived its lease (its process stopped?)');
    if (next > this.retry.retryDelaysMs.length + 1) {
      await this.giveUp(row._id, update, row.attempts, (row as { lastError?: string | null }).lastError ?? 'stopped while handling');
      return;
    }
    await ChatInboundPending.updateOne({ _id: row._id }, { $set: { attempts: next, running: true, notBefore: this.leaseEnd() } });
    await this.inThread(update.inbound.thread, async () => {
      // Queued behind a slow attempt of the same update in this process that has since finished: nothing to do.
      if (!(await ChatInboundPending.exists({ _id: row._id }))) return;
      await this.attempt(row._id, update, next);
    });
  }

  /** Runs every due update again (the chat sweeper calls this): lost retry jobs, processes that died mid-handling. */
  async sweepInbound(): Promise<number> {
    if (this.closed) return 0;
    const rows = await ChatInboundPending.find({ notBefore: { $lte: this.now() } }).sort({ notBefore: 1 }).limit(100).lean<PendingRow[]>();
    for (const row of rows) {
      await this.retryRow(row).catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message, inbound: row._id }, 'could not retry a chat update'));
    }
    return rows.length;
  }

  /**
   * No more retries from this process: one claimed while the service shuts down would hold its lease in the
   * next process for a minute (a late retry job or sweep leaves the row to the next process's sweeper). Updates
   * already being handled get up to `waitMs` to finish, so their replies ("Placing your order…") are queued in
   * order now rather than after a lease in the next process, behind the news they came before.
   */
  async close(waitMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.threadQueues.values()]),
      new Promise((resolve) => { timer = setTimeout(resolve, waitMs); }),
    ]);
    clearTimeout(timer);
  }

  private leaseEnd(): Date {
    return new Date(this.now().getTime() + this.retry.leaseMs);
  }

  private dispatch(update: InboundUpdate): Promise<void> {
    switch (update.kind) {
      case 'message': return this.message(update.inbound);
      case 'button': return this.button(update.inbound);
      case 'link': return this.link(update.inbound);
    }
  }

  handleMessage(m: InboundMessage): Promise<void> {
    return this.inThread(m.thread, () => this.accept({ kind: 'message', inbound: m }));
  }

  handleButton(b: InboundButton): Promise<void> {
    return this.inThread(b.thread, () => this.accept({ kind: 'button', inbound: b }));
  }

  handleLink(l: InboundLink): Promise<void> {
    return this.accept({ kind: 'link', inbound: l });
  }

  private message(m: InboundMessage): Promise<void> {
    return this.converse(m.thread, m.user.id, m.eventId, async (spaceId) => {
      const now = this.now();
      return this.conversation.onMessage({ spaceId, boundProviderId: await boundProvider(spaceId, m.thread), thread: m.thread, user: m.user, now, eventId: m.eventId }, m.text);
    });
  }

  private button(b: InboundButton): Promise<void> {
    return this.converse(b.thread, b.user.id, b.eventId, async (spaceId) => {
      const now = this.now();
      return this.conversation.onButton({ spaceId, boundProviderId: await boundProvider(spaceId, b.thread), thread: b.thread, user: b.user, now, eventId: b.eventId }, b.value);
    });
  }

  private async link(l: InboundLink): Promise<void> {
    const now = this.now();
    const current = await connectionSpace(l.thread);
    let text: string;
    if (current) text = 'This chat is already connected. Tell me what you would like to order!';
    else {
      const spaceId = await redeemLinkCode(l.code, l.thread.platform, now);
      if (!spaceId) text = 'That link has expired or was already used. Ask for a new one.';
      else {
        const joined = await connect(spaceId, l.thread);
        const space = await Space.findById(spaceId, { name: 1 }).lean();
        text = joined.ok ? `Connected to ${space?.name ?? 'your space'}. Tell me what you'd like, e.g. "2 oat lattes for 8:15, name's Sam".` : 'This chat is already connected to another space.';
      }
    }
    await this.send(l.thread, l.user.id, l.eventId, [{ reply: say(text) }]);
  }

  /**
   * One update at a time per thread (in this process): platforms deliver quick follow-ups concurrently, and
   * each one reads and rewrites the thread's draft.
   */
  private readonly threadQueues = new Map<string, Promise<void>>();

  private inThread(thread: ThreadRef, run: () => Promise<void>): Promise<void> {
    const key = threadKey(thread);
    const previous = this.threadQueues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(run);
    const tail = current.catch(() => undefined);
    this.threadQueues.set(key, tail);
    void tail.then(() => { if (this.threadQueues.get(key) === tail) this.threadQueues.delete(key); });
    return current;
  }

  private async converse(thread: ThreadRef, userId: string, eventId: string, run: (spaceId: string) => Promise<ConversationReply[]>): Promise<void> {
    const spaceId = await connectionSpace(thread);
    if (!spaceId) {
      const hint = thread.platform === 'telegram' ? 'Open the link from your space (t.me/<bot>?start=<code>) to connect this chat.' : 'Ask your admin to connect this workspace.';
      await this.send(thread, userId, eventId, [{ reply: say(`This chat isn't connected to an ordering space yet. ${hint}`) }]);
      return;
    }
    // The replies are placed in the thread as of when the message arrived, not when the work ended: placing an
    // order starts it, and its later news (stamped by the engine) must not overtake the "placing" said here.
    const at = this.now();
    const replies = await run(spaceId);
    await this.send(thread, userId, eventId, replies, at);
  }

  private async send(thread: ThreadRef, userId: string, eventId: string, replies: ConversationReply[], at = this.now()): Promise<void> {
    if (replies.length === 0) return;
    // Durable once enqueued: the sending runs on without holding up this thread's next message.
    await this.o.outbox.enqueue(replies.map((r, i) => ({
      id: r.key ?? `${thread.platform}:${eventId}:${i}`, thread, userId, reply: r.reply, seq: seqAt(at, i),
    })), { drain: 'background' });
  }
}
