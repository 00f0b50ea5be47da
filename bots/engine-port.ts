/**
 * The conversation's OrderingPort over the engine: the same createAction (pricing from the catalog,
 * validation, idempotency) and start/cancel as `POST /actions`, and the action state readers the API uses.
 */
import { createAction } from '../src/engine/create-action.js';
import { RequestError } from '../src/engine/errors.js';
import { formatMoney } from '../src/engine/money.js';
import type { ActionExecutionService } from '../src/engine/execution-service.js';
import type { ReceiptData } from '../src/engine/types.js';
import { CatalogSchema } from '../src/parser/index.js';
import { loadAction, withLiveState } from '../src/storage/action-state.js';
import { Action, ActionLive, Item, MenuItem, MenuModifier, Provider, Receipt, type ActionDoc } from '../src/storage/models.js';
import type { ChatOrigin, OrderView, OrderingPort, ProviderMenu, ProviderSummary } from './conversation/ports.js';

type ProviderLean = { _id: { toString(): string }; name: string; timezone: string; currency: string; orderPrefix: string };
const summary = (p: ProviderLean): ProviderSummary => ({ id: p._id.toString(), name: p.name, timezone: p.timezone, currency: p.currency, orderPrefix: p.orderPrefix });
const isObjectId = (s: string) => /^[0-9a-f]{24}$/i.test(s);

export function engineOrderingPort(service: Pick<ActionExecutionService, 'start' | 'cancel'>): OrderingPort {
  const providerCache = new Map<string, ProviderSummary>();
  const providerOf = async (providerId: unknown): Promise<ProviderSummary | null> => {
    const key = String(providerId);
    const hit = providerCache.get(key);
    if (hit) return hit;
    const p = await Provider.findById(providerId).lean();
    if (!p) return null;
    const s = summary(p);
    providerCache.set(key, s);
    return s;
  };

  const view = async (a: ActionDoc): Promise<OrderView | null> => {
    const provider = await providerOf(a.providerId);
    if (!provider) return null;
    const currency = a.order?.currency ?? provider.currency;
    const receiptDoc = a.status === 'completed' ? await Receipt.findOne({ actionId: a._id }).lean() : null;
    const data = receiptDoc?.data as ReceiptData | undefined;
    const ref = (a.origin?.ref ?? null) as Record<string, string> | null;
    const origin: ChatOrigin | null = ref && (a.origin?.channel === 'slack' || a.origin?.channel === 'telegram')
      ? { platform: a.origin.channel, workspace: ref.workspace ?? '', channel: ref.channel ?? '', thread: ref.thread || null, user: ref.user ?? '', card: ref.card || null }
      : null;
    return {
      id: a._id.toString(), userId: a.userId, status: a.status as OrderView['status'], fulfillment: (a.fulfillment ?? null) as OrderView['fulfillment'],
      orderNumber: a.orderNumber ?? null, provider,
      lines: (a.order?.lines ?? []).map((l) => ({ name: l.name ?? '', quantity: l.quantity ?? 1, modifiers: (l.modifiers ?? []).map((m) => m.name ?? ''), amount: formatMoney(l.lineTotalCents ?? 0, currency) })),
      total: formatMoney(a.order?.totalCents ?? 0, currency),
      pickupAt: a.order?.pickupAt ?? null, customerName: a.order?.customerName ?? null, instructions: a.order?.specialInstructions ?? null,
      receipt: receiptDoc && data ? { receiptNumber: receiptDoc.receiptNumber, orderNumber: data.order_number, total: data.total, pickupTime: data.pickup_time, readyInMinutes: data.ready_in_minutes } : null,
      failureReason: a.status === 'failed' ? a.error ?? null : null,
      origin, createdAt: (a as { createdAt?: Date }).createdAt ?? new Date(),
    };
  };

  return {
    async providers(spaceId) {
      const ps = await Provider.find({ spaceId }).sort({ _id: 1 }).lean();
      return ps.map(summary);
    },

    async menu(spaceId, providerId) {
      if (!isObjectId(providerId)) return null;
      const p = await Provider.findOne({ _id: providerId, spaceId }).lean();
      if (!p) return null;
      const [items, modifiers, item] = await Promise.all([
        MenuItem.find({ providerId: p._id }).sort({ _id: 1 }).lean(),
        MenuModifier.find({ providerId: p._id }).sort({ _id: 1 }).lean(),
        Item.findOne({ spaceId, providerId: p._id }).lean(),
      ]);
      if (!item || items.length === 0) return null;
      const available = items.filter((i) => i.available !== false);
      const catalog = CatalogSchema.parse({
        provider: { name: p.name, timezone: p.timezone, currency: p.currency, orderPrefix: p.orderPrefix },
        items: available.map((i) => ({ sku: i.sku, name: i.name, aliases: i.aliases ?? [], price_cents: i.priceCents, ...(i.category ? { category: i.category } : {}) })),
        modifiers: modifiers.map((m) => ({ id: m.modId, name: m.name, aliases: m.aliases ?? [], price_cents: m.priceCents })),
      });
      const menu: ProviderMenu = {
        provider: summary(p), itemId: item._id.toString(), catalog,
        items: available.map((i) => ({ sku: i.sku, name: i.name, priceCents: i.priceCents, category: i.category ?? null, aliases: i.aliases ?? [] })),
        modifiers: modifiers.map((m) => ({ id: m.modId, name: m.name, priceCents: m.priceCents, aliases: m.aliases ?? [] })),
      };
      return menu;
    },

    async place({ spaceId, userId, providerId, request, idempotencyKey, origin, now }) {
      const item = await Item.findOne({ spaceId, providerId }, { _id: 1 }).lean();
      if (!item) return { ok: false, code: 'item_not_found', message: 'this provider takes no orders' };
      try {
        const { action, replayed } = await createAction({
          spaceId, userId, idempotencyKey, now,
          body: {
            itemId: item._id.toString(), type: 'order',
            parameters: {
              items: request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, modifications: l.modifications })),
              pickup_time: request.pickupTime,
              ...(request.customerName ? { customer_name: request.customerName } : {}),
              ...(request.customerPhone ? { customer_phone: request.customerPhone } : {}),
              ...(request.instructions ? { special_instructions: request.instructions } : {}),
            },
            origin: { channel: origin.platform, ref: { workspace: origin.workspace, channel: origin.channel, thread: origin.thread ?? '', user: origin.user, card: origin.card ?? '' } },
          },
        });
        if (!replayed) await service.start(action);
        const order = await view(action);
        return order ? { ok: true, order, replayed } : { ok: false, code: 'not_found', message: 'provider not found' };
      } catch (err) {
        if (err instanceof RequestError) return { ok: false, code: err.code, message: err.message };
        throw err;
      }
    },

    async order(spaceId, actionId) {
      if (!isObjectId(actionId)) return null;
      const a = await loadAction({ _id: actionId, spaceId });
      return a ? view(a) : null;
    },

    async ordersOf(spaceId, userId, limit) {
      const docs = await withLiveState(await Action.find({ spaceId, userId }).sort({ _id: -1 }).limit(limit).lean<ActionDoc[]>());
      return (await Promise.all(docs.map(view))).filter((o): o is OrderView => !!o);
    },

    async orderByNumber(spaceId, orderNumber) {
      // Live actions carry their number on ActionLive until they are done.
      const live = await ActionLive.findOne({ spaceId, orderNumber }, { _id: 1 }).lean();
      const id = live?._id ?? (await Action.findOne({ spaceId, orderNumber }, { _id: 1 }).lean())?._id;
      if (!id) return null;
      const a = await loadAction({ _id: id, spaceId });
      return a ? view(a) : null;
    },

    async cancel(spaceId, actionId) {
      const a = await loadAction({ _id: actionId, spaceId });
      if (!a) return { applied: false, status: 'not_found' };
      const r = await service.cancel(actionId, 'Cancelled by the customer');
      return { applied: r.applied, status: r.status };
    },
  };
}
