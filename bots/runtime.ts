/**
 * What platform adapters call after answering the platform: drops repeated deliveries (Slack retries and
 * Socket Mode redeliveries by event_id, Telegram by update_id), finds the chat's space and provider, runs
 * the conversation and queues its replies in the durable outbox.
 */
import type { Logger } from 'pino';
import { insertOnce } from '../src/storage/insert-once.js';
import { boundProvider, connect, connectionSpace, redeemLinkCode } from './connections.js';
import { Conversation, type ConversationReply } from './conversation/conversation.js';
import { say } from './conversation/replies.js';
import type { OrderingPort } from './conversation/ports.js';
import { threadKey, type ChatInbound, type ChatTransport, type InboundButton, type InboundLink, type InboundMessage, type ThreadRef } from './conversation/types.js';
import { seqAt, type ChatOutbox } from './delivery/outbox.js';
import { ChatInboundEvent } from './storage/models.js';
import { Space } from '../src/storage/models.js';

export interface ChatRuntimeOptions {
  ordering: OrderingPort;
  outbox: ChatOutbox;
  logger: Logger;
  draftTtlMs: number;
  now?: () => Date;
}

export class ChatRuntime implements ChatInbound {
  readonly conversation: Conversation;
  private readonly now: () => Date;

  constructor(private readonly o: ChatRuntimeOptions) {
    this.now = o.now ?? (() => new Date());
    this.conversation = new Conversation({ ordering: o.ordering, draftTtlMs: o.draftTtlMs });
  }

  useTransport(transport: ChatTransport): void {
    this.o.outbox.useTransport(transport);
  }

  /** True the first time this platform delivery is seen. */
  async firstDelivery(platform: string, eventId: string): Promise<boolean> {
    return insertOnce(ChatInboundEvent, { _id: `${platform}:${eventId}` });
  }

  /**
   * Runs `work` for the first delivery of an event, nothing for a repeat. The event is claimed by insert before
   * the work (so concurrent duplicates make one action) and released if the work fails, so that the platform's
   * redelivery (a Telegram webhook answered 500, a later Slack retry) is handled rather than dropped as seen.
   * Replies and orders keep their own keys from the event id, so a retry after a partial failure repeats none.
   */
  private async once(platform: string, eventId: string, work: () => Promise<void>): Promise<void> {
    if (!(await this.firstDelivery(platform, eventId))) {
      this.o.logger.debug({ platform, eventId }, 'repeated chat delivery ignored');
      return;
    }
    try {
      await work();
    } catch (err) {
      await ChatInboundEvent.deleteOne({ _id: `${platform}:${eventId}` }).catch((releaseErr: unknown) =>
        this.o.logger.warn({ err: (releaseErr as Error).message, platform, eventId }, 'could not release a failed chat delivery'));
      throw err;
    }
  }

  async handleMessage(m: InboundMessage): Promise<void> {
    await this.handle(m.thread, m.user.id, m.eventId, async (spaceId) => {
      const now = this.now();
      return this.conversation.onMessage({ spaceId, boundProviderId: await boundProvider(spaceId, m.thread), thread: m.thread, user: m.user, now }, m.text);
    });
  }

  async handleButton(b: InboundButton): Promise<void> {
    await this.handle(b.thread, b.user.id, b.eventId, async (spaceId) => {
      const now = this.now();
      return this.conversation.onButton({ spaceId, boundProviderId: await boundProvider(spaceId, b.thread), thread: b.thread, user: b.user, now }, b.value);
    });
  }

  async handleLink(l: InboundLink): Promise<void> {
    await this.once(l.thread.platform, l.eventId, () => this.link(l));
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
   * One message at a time per thread (in this process): platforms deliver quick follow-ups concurrently, and
   * each one reads and rewrites the thread's draft.
   */
  private readonly threadQueues = new Map<string, Promise<void>>();

  private handle(thread: ThreadRef, userId: string, eventId: string, run: (spaceId: string) => Promise<ConversationReply[]>): Promise<void> {
    const key = threadKey(thread);
    const previous = this.threadQueues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.handleNow(thread, userId, eventId, run));
    const tail = current.catch(() => undefined);
    this.threadQueues.set(key, tail);
    void tail.then(() => { if (this.threadQueues.get(key) === tail) this.threadQueues.delete(key); });
    return current;
  }

  private handleNow(thread: ThreadRef, userId: string, eventId: string, run: (spaceId: string) => Promise<ConversationReply[]>): Promise<void> {
    return this.once(thread.platform, eventId, () => this.converse(thread, userId, eventId, run));
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
