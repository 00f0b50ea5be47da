/**
 * The chat notifier: every status change of an action that came from a chat thread is reported in that
 * thread — the order card is edited to the live state, and each stage (placing, waiting for the café,
 * confirmed with the receipt, ready, failed, cancelled) is posted once. Routed by the action's origin; a
 * thread whose connection belongs to another space is never written to (an API client can set an origin).
 */
import type { Logger } from 'pino';
import type { ActionEvent, Notifier, NotifyContext, NotifyOutcome } from '../../src/engine/types.js';
import { stageKey } from '../conversation/conversation.js';
import type { OrderView, OrderingPort } from '../conversation/ports.js';
import { orderCard, stageOf, statusNews } from '../conversation/replies.js';
import type { Platform, ThreadRef } from '../conversation/types.js';
import { connectionSpace } from '../connections.js';
import { seqAt, type ChatOutbox } from './outbox.js';

const PLATFORMS: ReadonlySet<string> = new Set(['slack', 'telegram']);

/** The status an event reports, as the order's state at that moment. */
function statusOf(event: ActionEvent): { status: string; fulfillment: string | null } {
  switch (event.type) {
    case 'action.completed': return { status: 'completed', fulfillment: null };
    case 'action.failed': return { status: 'failed', fulfillment: null };
    case 'action.ready': return { status: 'completed', fulfillment: 'ready' };
    case 'action.cancelled': return { status: 'cancelled', fulfillment: event.by === 'provider' ? 'cancelled' : null };
    case 'action.status':
      return event.status === 'ready' || event.status === 'picked_up' ? { status: 'completed', fulfillment: event.status } : { status: event.status, fulfillment: null };
  }
}

export function createChatNotifier(deps: { ordering: OrderingPort; outbox: ChatOutbox; logger: Logger; now?: () => Date }): Notifier {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ notifier: 'chat' });
  return {
    name: 'chat',
    wants: () => true,

    async notify(event: ActionEvent, context: NotifyContext): Promise<NotifyOutcome> {
      // Outcomes feed the notification metrics: "sent" = handed to the chat outbox, which delivers with retries.
      const origin = context.origin;
      const ref = origin?.ref;
      if (!origin || !PLATFORMS.has(origin.channel) || !ref?.workspace || !ref.channel) return 'skipped';
      const thread: ThreadRef = { platform: origin.channel as Platform, workspace: ref.workspace, channel: ref.channel, thread: ref.thread || null };
      if ((await connectionSpace(thread)) !== context.action.spaceId) {
        log.warn({ actionId: context.action.id, platform: thread.platform }, 'action origin names a chat outside its space; not notified');
        return 'skipped';
      }
      const { status, fulfillment } = statusOf(event);
      const stage = stageOf(status, fulfillment);
      // The card already says "placing" from the moment Place order was pressed: edits start with later news.
      const cardKey = ref.card && stage > 1 ? `${context.action.id}:card:${context.statusUpdateId ?? event.type}` : null;
      const newsKey = status !== 'queued' ? stageKey(context.action.id, stage, thread) : null;
      // What this process already queued (the conversation says "placing" itself) needs no reading of the order.
      const wanted = { card: !!cardKey && !deps.outbox.alreadyQueued(cardKey), news: !!newsKey && !deps.outbox.alreadyQueued(newsKey) };
      if (!wanted.card && !wanted.news) return 'skipped';
      const order = await deps.ordering.order(context.action.spaceId, context.action.id);
      if (!order) return 'skipped';
      const at = new Date((event as { timestamp?: string }).timestamp ?? now());
      const messages = [];
      if (wanted.card && cardKey && ref.card) {
        // After the news: the thread reply is what the customer is waiting for; the card follows it.
        messages.push({ id: cardKey, thread, userId: order.userId, seq: seqAt(at, 1), reply: orderCard(order, ref.card, now()) });
      }
      // "Placing" or "waiting" news that arrives after the order moved on is stale: the later news says more.
      const stale = stage <= 2 && stageOf(order.status, order.fulfillment) > stage;
      if (!stale && wanted.news && newsKey) {
        const asOfEvent: OrderView = { ...order, status: status as OrderView['status'], fulfillment: fulfillment as OrderView['fulfillment'] };
        messages.push({ id: newsKey, thread, userId: order.userId, seq: seqAt(at, 0), reply: statusNews(asOfEvent, now(), context.trackingUrl ?? null) });
      }
      if (messages.length === 0) return 'skipped';
      await deps.outbox.enqueue(messages, { drain: 'background' });
      return 'sent';
    },
  };
}
