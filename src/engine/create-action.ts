/**
 * Turns a validated request into a queued action: resolve the item and its provider, price the order from
 * the catalog, fix the handler chain, and claim the idempotency key — all checks before any write.
 */
import { createHash } from 'node:crypto';
import mongoose from 'mongoose';
import { ActionLive, IdempotencyRecord, type ActionDoc } from '../storage/models.js';
import { cachedCatalog, cachedItem, cachedProvider } from '../storage/config-cache.js';
import { loadAction } from '../storage/action-state.js';
import { insertOnce, insertStored } from '../storage/insert-once.js';
import { buildChain } from './chain.js';
import { RequestError, badRequest, notFound } from './errors.js';
import { parsePickupTime, priceOrder, type RequestedItem } from './pricing.js';
import type { ActionOrigin, IntegrationType } from './types.js';

/** A validated request (the API validates it with zod; bots build it from a parse). Not HTTP-shaped. */
export interface ActionRequest {
  itemId: string;
  type: 'order';
  parameters: {
    items: RequestedItem[];
    pickup_time?: string | null;
    customer_name?: string;
    customer_phone?: string;
    special_instructions?: string;
  };
  /** Defaults to the API; a bot sets its platform and chat coordinates (see chatOrigin in services/actions.ts). */
  origin?: ActionOrigin;
}

export interface CreateActionInput { spaceId: string; userId: string; body: ActionRequest; idempotencyKey?: string; now: Date }
export interface CreateActionResult { action: ActionDoc; replayed: boolean }

function requestHash(userId: string, body: unknown): string {
  const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);
  return createHash('sha256').update(JSON.stringify(canonical({ userId, body }))).digest('hex');
}

export async function createAction(input: CreateActionInput): Promise<CreateActionResult> {
  const { spaceId, userId, body, now } = input;
  const hash = requestHash(userId, body);
  const idemId = input.idempotencyKey ? `${spaceId}:${input.idempotencyKey}` : null;
  if (idemId) {
    const replay = await replayFor(idemId, hash, spaceId);
    if (replay) return replay;
  }

  // Configuration comes from the in-process cache (providers and menus change rarely); scoped by space here.
  const cachedItemDoc = mongoose.isValidObjectId(body.itemId) ? await cachedItem(body.itemId) : null;
  const item = cachedItemDoc && cachedItemDoc.spaceId.toString() === spaceId ? cachedItemDoc : null;
  if (!item) throw new RequestError(404, 'item_not_found', `item ${body.itemId} not found in this space`, 'itemId');
  if (!item.actionTypes.includes(body.type)) throw badRequest('unsupported_action_type', `item does not support "${body.type}"`, 'type');
  const cachedProviderDoc = await cachedProvider(item.providerId);
  const provider = cachedProviderDoc && cachedProviderDoc.spaceId.toString() === spaceId ? cachedProviderDoc : null;
  if (!provider) throw notFound('provider');
  const { menu, integrations } = await cachedCatalog(provider._id);
  const p = body.parameters;
  const priced = priceOrder(p.items, menu.items, menu.modifiers);
  const pickupAt = parsePickupTime(p.pickup_time, now);
  const chain = buildChain(integrations.map((i) => ({ integrationId: i._id.toString(), type: i.type as IntegrationType, name: i.name, priority: i.priority, enabled: i.enabled })), provider.chainOrder ?? undefined);

  const actionId = new mongoose.Types.ObjectId();
  if (idemId) {
    if (!(await insertOnce(IdempotencyRecord, { _id: idemId, requestHash: hash, actionId }))) {
      const replay = await replayFor(idemId, hash, spaceId);
      if (replay) return replay;
      throw new RequestError(409, 'idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly');
    }
  }
  const { customer_phone: customerPhone, ...storedParams } = p;
  try {
    // One insert, into the live collection (see storage/action-state.ts); the Action document is written when it is done.
    const stored = await insertStored(ActionLive, {
      _id: actionId, spaceId, userId, itemId: item._id, providerId: provider._id, type: body.type,
      parameters: storedParams,
      order: {
        lines: priced.lines, totalCents: priced.totalCents, currency: provider.currency, pickupAt,
        customerName: p.customer_name ?? null, customerPhone: customerPhone ?? null, specialInstructions: p.special_instructions ?? null,
      },
      status: 'queued', origin: { channel: body.origin?.channel ?? 'api', ref: body.origin?.ref ?? null },
      idempotencyKey: input.idempotencyKey ?? null,
      chain: chain.map((c) => ({ ...c, integrationId: c.integrationId ? new mongoose.Types.ObjectId(c.integrationId) : null })),
      nextStepAt: now, wakeAt: now, executionIds: [],
    });
    return { action: stored as unknown as ActionDoc, replayed: false };
  } catch (err) {
    if (idemId) await IdempotencyRecord.deleteOne({ _id: idemId, actionId });
    throw err;
  }
}

async function replayFor(idemId: string, hash: string, spaceId: string): Promise<CreateActionResult | null> {
  const record = await IdempotencyRecord.findById(idemId).lean();
  if (!record) return null;
  if (record.requestHash !== hash) {
    throw new RequestError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');
  }
  const action = await loadAction({ _id: record.actionId, spaceId });
  return action ? { action, replayed: true } : null;
}
