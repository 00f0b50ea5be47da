/**
 * The conversation: one customer message or button press in a thread → what to say back, and the engine
 * calls it implies. Drafts live in MongoDB keyed by the thread (they survive restarts and expire); the
 * order itself is created through the OrderingPort with an idempotency key derived from the card version,
 * so a double tap, a retried event or a duplicate update never makes a second action.
 */
import { createParser, type Parser } from '../../src/parser/index.js';
import { ChatDraft } from '../storage/models.js';
import { draftFromParse, emptyDraft, reviseDraft, type OrderDraft } from './draft.js';
import type { OrderView, OrderingPort, ProviderMenu } from './ports.js';
import {
  BUTTON, cancelQuestion, chooseProvider, draftCard, droppedCard, helpReply, menuReply, orderCard, parseButton, say, stageOf, statusAnswer,
} from './replies.js';
import { threadKey, type ChatUser, type Reply, type ThreadRef } from './types.js';

export interface ConversationInput {
  spaceId: string;
  /** The channel's bound provider, else null (the space's only provider, or ask). */
  boundProviderId: string | null;
  thread: ThreadRef;
  user: ChatUser;
  now: Date;
}

/** A reply and, for news the notifier may also send (order stages), the delivery key both use. */
export interface ConversationReply { reply: Reply; key?: string }

export interface ConversationOptions {
  ordering: OrderingPort;
  draftTtlMs: number;
}

type DraftRecord = {
  _id: string; spaceId: unknown; providerId: unknown; userId: string; version: number; state: 'open' | 'placed' | 'cancelled';
  draft: OrderDraft; actionId: string | null; round: number; pendingText: string | null; expiresAt: Date;
};

/** The delivery key of an order stage in a thread: the conversation and the notifier share it, so it is said once. */
export const stageKey = (actionId: string, stage: number, thread: ThreadRef) => `${actionId}:stage:${stage}:${threadKey(thread)}`;
export const cardKeyFor = (round: number) => `order-${round}`;

const PLACE_ERRORS: Record<string, string> = {
  invalid_pickup_time: "That pickup time doesn't work (it must be within the next 7 days and not in the past). Reply with another time.",
  unknown_menu_item: "Something in this order isn't on the menu anymore. Reply with what you'd like instead.",
  item_unavailable: "Something in this order isn't available right now. Reply with what you'd like instead.",
  unknown_modifier: "One of the options isn't available. Reply to change it.",
  idempotency_key_in_use: 'Placing your order…',
};

export class Conversation {
  private readonly parsers = new Map<string, { parser: Parser; menu: ProviderMenu; at: number }>();

  constructor(private readonly o: ConversationOptions) {}

  // ---- messages

  async onMessage(ctx: ConversationInput, text: string): Promise<ConversationReply[]> {
    const key = threadKey(ctx.thread);
    const stored = await ChatDraft.findById(key).lean<DraftRecord>();
    const record = stored && stored.expiresAt.getTime() >= ctx.now.getTime() ? stored : null;
    if (record && record.userId !== ctx.user.id) {
      return [{ reply: { ...say('This thread is someone else\'s order. Message me directly (or start a new thread) to order for yourself.'), ephemeral: true } }];
    }
    const providerId = record?.providerId ? String(record.providerId) : await this.providerFor(ctx);
    if (!providerId) {
      const providers = await this.o.ordering.providers(ctx.spaceId);
      if (providers.length === 0) return [{ reply: say('There is nothing to order from in this space yet.') }];
      await this.saveDraft(key, ctx, null, { draft: emptyDraft(), pendingText: text }, stored);
      return [{ reply: chooseProvider(providers) }];
    }
    const loaded = await this.menu(ctx.spaceId, providerId);
    if (!loaded) return [{ reply: say('That menu is not available right now. Please try again later.') }];
    const { parser, menu } = loaded;
    const parsed = parser.parse(text, ctx.now);

    switch (parsed.intent) {
      case 'help': return [{ reply: helpReply(menu.provider.name) }];
      case 'menu': return [{ reply: menuReply(menu) }];
      case 'status': return this.status(ctx, parsed.orderRef ?? null);
      case 'cancel':
        if (record?.state === 'open' && record.draft.lines.length) return this.dropDraft(ctx, record, menu);
        return this.askCancel(ctx, parsed.orderRef ?? null);
      default: break;
    }

    const draft = record?.state === 'open' ? reviseDraft(parser, text, record.draft, ctx.now) : draftFromParse(parsed, text);
    const saved = await this.saveDraft(key, ctx, providerId, { draft }, stored);
    if (draft.lines.length === 0) {
      const missing = draft.unrecognized.length ? `Sorry, there's no ${draft.unrecognized.join(' or ')} on the menu. ` : '';
      return [{ reply: say(`${missing}${draft.question && !missing ? draft.question : 'What would you like to order? Say "menu" to see it.'}`) }];
    }
    return [{ reply: draftCard(draft, menu, saved.version, cardKeyFor(saved.round), ctx.now) }];
  }

  // ---- buttons

  async onButton(ctx: ConversationInput, value: string): Promise<ConversationReply[]> {
    const press = parseButton(value);
    if (!press) return [];
    const key = threadKey(ctx.thread);
    switch (press.kind) {
      case 'provider': {
        const record = await this.openDraft(key, ctx.now);
        if (!record || record.userId !== ctx.user.id) return [];
        const menu = await this.menu(ctx.spaceId, press.providerId);
        if (!menu) return [{ reply: say('That place is not available.') }];
        await ChatDraft.updateOne({ _id: key }, { $set: { providerId: press.providerId } });
        return record.pendingText ? this.onMessage(ctx, record.pendingText) : [{ reply: say(`OK, ${menu.menu.provider.name}. What would you like?`) }];
      }
      case 'place':
      case 'drop': {
        const record = await ChatDraft.findById(key).lean<DraftRecord>();
        if (!record || record.expiresAt.getTime() < ctx.now.getTime() && record.state === 'open') {
          return [{ reply: say('That order has expired. Write again to start a new one.') }];
        }
        if (record.userId !== ctx.user.id) return [{ reply: { ...say('Only the person who started this order can place or cancel it.'), ephemeral: true } }];
        if (record.version !== press.version) {
          // A double tap after placing lands here too (placing does not bump the version): nothing more to do.
          return record.state === 'placed' ? [] : [{ reply: { ...say('This card is out of date: use the latest one in the thread.'), ephemeral: true } }];
        }
        const menu = await this.menu(ctx.spaceId, String(record.providerId));
        if (!menu) return [{ reply: say('That menu is not available right now.') }];
        if (press.kind === 'drop') return record.state === 'open' ? this.dropDraft(ctx, record, menu.menu) : [];
        if (record.state === 'cancelled') return [];
        return this.place(ctx, record, menu.menu);
      }
      case 'cancelAsk': {
        const order = await this.ownOrder(ctx, press.actionId);
        return order ? [{ reply: cancelQuestion(order) }] : [];
      }
      case 'keep': return [{ reply: say('OK, keeping it.') }];
      case 'cancelYes': {
        const order = await this.ownOrder(ctx, press.actionId);
        if (!order) return [];
        const r = await this.o.ordering.cancel(ctx.spaceId, order.id);
        if (!r.applied) return [{ reply: say(r.status === 'cancelled' ? 'That order is already cancelled.' : `It's too late to cancel: the order is already ${r.status === 'completed' ? 'confirmed' : r.status}.`) }];
        const after = (await this.o.ordering.order(ctx.spaceId, order.id)) ?? order;
        return [{ reply: say(`${after.orderNumber ? `Order #${after.orderNumber}` : 'Your order'} was cancelled.`), key: stageKey(order.id, stageOf('cancelled', null), ctx.thread) }];
      }
    }
  }

  // ---- helpers

  private async place(ctx: ConversationInput, record: DraftRecord, menu: ProviderMenu): Promise<ConversationReply[]> {
    const card = cardKeyFor(record.round);
    const result = await this.o.ordering.place({
      spaceId: ctx.spaceId, userId: ctx.user.id, providerId: menu.provider.id, now: ctx.now,
      idempotencyKey: `chat:${record._id}:r${record.round}:v${record.version}`,
      request: { lines: record.draft.lines, pickupTime: record.draft.pickupTime, customerName: record.draft.customerName, customerPhone: record.draft.customerPhone, instructions: record.draft.instructions },
      origin: { platform: ctx.thread.platform, workspace: ctx.thread.workspace, channel: ctx.thread.channel, thread: ctx.thread.thread, user: ctx.user.id, card },
    });
    if (!result.ok) {
      if (result.code === 'idempotency_key_in_use') return [];
      return [{ reply: say(PLACE_ERRORS[result.code] ?? "Sorry, that order couldn't be placed. Reply to change it, or try again in a moment.") }];
    }
    const order = result.order;
    if (record.state !== 'placed') await ChatDraft.updateOne({ _id: record._id }, { $set: { state: 'placed', actionId: order.id } });
    return [
      { reply: orderCard(order, card, ctx.now), key: `${order.id}:card:placed:${threadKey(ctx.thread)}` },
      { reply: say(`Placing your order with ${order.provider.name}…`), key: stageKey(order.id, stageOf('executing', null), ctx.thread) },
    ];
  }

  private async dropDraft(ctx: ConversationInput, record: DraftRecord, menu: ProviderMenu): Promise<ConversationReply[]> {
    await ChatDraft.updateOne({ _id: record._id }, { $set: { state: 'cancelled' } });
    return [{ reply: droppedCard(menu.provider, cardKeyFor(record.round)) }];
  }

  private async status(ctx: ConversationInput, orderRef: string | null): Promise<ConversationReply[]> {
    const order = orderRef ? await this.o.ordering.orderByNumber(ctx.spaceId, orderRef) : (await this.o.ordering.ordersOf(ctx.spaceId, ctx.user.id, 1))[0];
    if (!order || order.userId !== ctx.user.id) {
      return [{ reply: say(orderRef ? `I can't find order ${orderRef} among your orders.` : "You don't have any orders yet. Tell me what you'd like!") }];
    }
    return [{ reply: statusAnswer(order, ctx.now) }];
  }

  private async askCancel(ctx: ConversationInput, orderRef: string | null): Promise<ConversationReply[]> {
    const order = orderRef
      ? await this.o.ordering.orderByNumber(ctx.spaceId, orderRef)
      : (await this.o.ordering.ordersOf(ctx.spaceId, ctx.user.id, 5)).find((o) => ['queued', 'executing', 'awaiting_confirmation'].includes(o.status));
    if (!order || order.userId !== ctx.user.id) return [{ reply: say(orderRef ? `I can't find order ${orderRef} among your orders.` : 'You have no order that can still be cancelled.') }];
    if (!['queued', 'executing', 'awaiting_confirmation'].includes(order.status)) return [{ reply: statusAnswer(order, ctx.now) }];
    return [{ reply: cancelQuestion(order) }];
  }

  private async ownOrder(ctx: ConversationInput, actionId: string): Promise<OrderView | null> {
    const order = await this.o.ordering.order(ctx.spaceId, actionId);
    return order && order.userId === ctx.user.id ? order : null;
  }

  private async providerFor(ctx: ConversationInput): Promise<string | null> {
    if (ctx.boundProviderId) return ctx.boundProviderId;
    const providers = await this.o.ordering.providers(ctx.spaceId);
    return providers.length === 1 ? providers[0]!.id : null;
  }

  /** The parser for a provider's menu, rebuilt at most once a minute (menus change rarely; building costs). */
  private async menu(spaceId: string, providerId: string): Promise<{ parser: Parser; menu: ProviderMenu } | null> {
    const cacheKey = `${spaceId}:${providerId}`;
    const hit = this.parsers.get(cacheKey);
    if (hit && Date.now() - hit.at < 60_000) return hit;
    const menu = await this.o.ordering.menu(spaceId, providerId);
    if (!menu) return null;
    const entry = { parser: createParser(menu.catalog), menu, at: Date.now() };
    this.parsers.set(cacheKey, entry);
    return entry;
  }

  private async openDraft(key: string, now: Date): Promise<DraftRecord | null> {
    const record = await ChatDraft.findById(key).lean<DraftRecord>();
    if (!record || record.expiresAt.getTime() < now.getTime()) return null;
    return record;
  }

  /**
   * Writes the thread's draft: a change of an open draft bumps its version (older cards stop working); a new
   * draft after a placed/cancelled/expired one starts the next round (a new card).
   */
  private async saveDraft(key: string, ctx: ConversationInput, providerId: string | null, change: { draft: OrderDraft; pendingText?: string }, existing: DraftRecord | null): Promise<DraftRecord> {
    const expiresAt = new Date(ctx.now.getTime() + this.o.draftTtlMs);
    const continuing = existing && existing.state === 'open' && existing.expiresAt.getTime() >= ctx.now.getTime();
    const next: DraftRecord = {
      _id: key, spaceId: ctx.spaceId, providerId: providerId ?? existing?.providerId ?? null, userId: ctx.user.id,
      version: (existing?.version ?? 0) + 1, state: 'open', draft: change.draft, actionId: null,
      round: continuing ? existing.round : (existing?.round ?? 0) + 1, pendingText: change.pendingText ?? null, expiresAt,
    };
    if (existing) await ChatDraft.replaceOne({ _id: key }, next as never);
    else await ChatDraft.create(next as never).catch(async (err: { code?: number }) => {
      if (err?.code !== 11000) throw err;
      await ChatDraft.replaceOne({ _id: key }, next as never);
    });
    return next;
  }
}

export { BUTTON };
