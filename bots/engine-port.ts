/**
 * The conversation's OrderingPort over the engine services the HTTP API calls (src/services): the same
 * createAndStart (pricing from the catalog, validation, idempotency), get, list, status by order number and
 * cancel as `POST /actions` and friends. Engine errors (RequestError) become results the conversation words.
 */
import type { EngineServices } from '../src/service.js';
import { RequestError } from '../src/engine/errors.js';
import { formatMoney } from '../src/engine/money.js';
import type { ReceiptData } from '../src/engine/types.js';
import { CatalogSchema } from '../src/parser/index.js';
import { chatOrigin } from '../src/services/actions.js';
import { isObjectId, loadProvider } from '../src/services/providers.js';
import { loadMenu } from '../src/storage/catalog-store.js';
import { Item, onConfigWrite, Provider, type ActionDoc } from '../src/storage/models.js';
import { receiptOf } from '../src/storage/action-story.js';
import type { ChatOrigin, OrderView, OrderingPort, ProviderMenu, ProviderSummary } from './conversation/ports.js';

type ProviderLean = { _id: { toString(): string }; name: string; timezone: string; currency: string; orderPrefix: string };
const summary = (p: ProviderLean): ProviderSummary => ({ id: p._id.toString(), name: p.name, timezone: p.timezone, currency: p.currency, orderPrefix: p.orderPrefix });

/** Not-found answers are null here; other engine errors are real failures. */
async function orNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try { return await fn(); } catch (err) {
    if (err instanceof RequestError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Read on every chat message (which providers a space has, the listing item to order): cached like the
 * engine's configuration (src/storage/config-cache.ts), cleared by this process's writes, and seen from
 * other processes' writes within CACHE_MS.
 */
const CACHE_MS = 5000;
const spaceConfig = new Map<string, { at: number; value: Promise<unknown> }>();
onConfigWrite(() => spaceConfig.clear());
function cachedRead<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = spaceConfig.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value as Promise<T>;
  const value = (async () => load())();
  spaceConfig.set(key, { at: Date.now(), value });
  value.catch(() => spaceConfig.delete(key));
  if (spaceConfig.size > 10_000) spaceConfig.delete(spaceConfig.keys().next().value!);
  return value;
}

export function engineOrderingPort(services: Pick<EngineServices, 'actions'>): OrderingPort {
  const actions = services.actions;
  const listingItem = (spaceId: string, providerId: string) =>
    cachedRead(`item:${spaceId}:${providerId}`, async () => (await Item.findOne({ spaceId, providerId }, { _id: 1 }).lean())?._id.toString() ?? null);
  const providerCache = new Map<string, { at: number; value: ProviderSummary }>();
  const providerOf = async (providerId: unknown): Promise<ProviderSummary | null> => {
    const key = String(providerId);
    const hit = providerCache.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.value;
    const p = await Provider.findById(providerId).lean();
    if (!p) return null;
    const value = summary(p);
    providerCache.set(key, { at: Date.now(), value });
    return value;
  };

  const view = async (a: ActionDoc): Promise<OrderView | null> => {
    const provider = await providerOf(a.providerId);
    if (!provider) return null;
    const currency = a.order?.currency ?? provider.currency;
    const receiptDoc = a.status === 'completed' ? await receiptOf(a) : null;
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
      return cachedRead(`providers:${spaceId}`, async () => (await Provider.find({ spaceId }).sort({ _id: 1 }).lean()).map(summary));
    },

    async menu(spaceId, providerId) {
      if (!isObjectId(providerId)) return null;
      const p = await orNull(() => loadProvider({ spaceId }, providerId));
      if (!p) return null;
      const [menu, item] = await Promise.all([loadMenu(p._id), Item.findOne({ spaceId, providerId: p._id }, { _id: 1 }).lean()]);
      const available = menu.items.filter((i) => i.available !== false);
      if (!item || available.length === 0) return null;
      const catalog = CatalogSchema.parse({
        provider: { name: p.name, timezone: p.timezone, currency: p.currency, orderPrefix: p.orderPrefix },
        items: available.map((i) => ({ sku: i.sku, name: i.name, aliases: i.aliases, price_cents: i.priceCents, ...(i.category ? { category: i.category } : {}) })),
        modifiers: menu.modifiers.map((m) => ({ id: m.modId, name: m.name, aliases: m.aliases, price_cents: m.priceCents })),
      });
      const result: ProviderMenu = {
        provider: summary(p), itemId: item._id.toString(), catalog,
        items: available.map((i) => ({ sku: i.sku, name: i.name, priceCents: i.priceCents, category: i.category ?? null, aliases: i.aliases })),
        modifiers: menu.modifiers.map((m) => ({ id: m.modId, name: m.name, priceCents: m.priceCents, aliases: m.aliases })),
      };
      return result;
    },

    async place({ spaceId, userId, providerId, request, idempotencyKey, origin }) {
      const itemId = await listingItem(spaceId, providerId);
      if (!itemId) return { ok: false, code: 'item_not_found', message: 'this provider takes no orders' };
      const stored = chatOrigin({ platform: origin.platform, workspace: origin.workspace, channel: origin.channel, thread: origin.thread ?? undefined, user: origin.user });
      try {
        const { action, replayed } = await actions.createAndStart({
          spaceId, userId, idempotencyKey,
          request: {
            itemId, type: 'order',
            parameters: {
              items: request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, modifications: l.modifications })),
              pickup_time: request.pickupTime,
              ...(request.customerName ? { customer_name: request.customerName } : {}),
              ...(request.customerPhone ? { customer_phone: request.customerPhone } : {}),
              ...(request.instructions ? { special_instructions: request.instructions } : {}),
            },
            // The card to edit travels with the origin, so the notifier can update it from any worker.
            origin: { ...stored, ref: { ...(stored.ref ?? {}), ...(origin.card ? { card: origin.card } : {}) } },
          },
        });
        const order = await view(action);
        return order ? { ok: true, order, replayed } : { ok: false, code: 'not_found', message: 'provider not found' };
      } catch (err) {
        if (err instanceof RequestError) return { ok: false, code: err.code, message: err.message };
        throw err;
      }
    },

    async order(spaceId, actionId) {
      const a = await orNull(() => actions.get({ spaceId }, actionId));
      return a ? view(a) : null;
    },

    async ordersOf(spaceId, userId, limit) {
      const { actions: docs } = await actions.list({ spaceId, userId }, { limit });
      return (await Promise.all(docs.map(view))).filter((o): o is OrderView => !!o);
    },

    async orderByNumber(spaceId, orderNumber) {
      const detail = await actions.statusByOrderNumber({ spaceId }, orderNumber);
      return detail ? view(detail.action) : null;
    },

    async cancel(spaceId, actionId) {
      try {
        const a = await actions.cancel({ spaceId }, actionId, 'Cancelled by the customer');
        return { applied: true, status: a.status };
      } catch (err) {
        if (err instanceof RequestError && err.status === 409) {
          const a = await orNull(() => actions.get({ spaceId }, actionId));
          return { applied: false, status: a?.status ?? 'unknown' };
        }
        if (err instanceof RequestError && err.status === 404) return { applied: false, status: 'not_found' };
        throw err;
      }
    },
  };
}
