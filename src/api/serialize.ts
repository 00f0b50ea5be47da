/** API shapes. Phones are masked, secrets never leave; money as display strings next to integer cents. */
import { formatMoney } from '../engine/money.js';
import { maskPhone } from '../engine/phone.js';
import type { ActionDoc } from '../storage/models.js';

type Doc = ActionDoc & { createdAt?: Date; updatedAt?: Date };

/** `trackingUrl`: the customer's order page link for an action (see src/tracking). */
export function serializeAction(a: Doc, trackingUrl?: (actionId: string) => string) {
  const o = a.order ?? ({} as NonNullable<Doc['order']>);
  const params = { ...(a.parameters as Record<string, unknown>) };
  if (o.customerPhone) params.customer_phone = maskPhone(o.customerPhone);
  return {
    id: a._id.toString(),
    spaceId: String(a.spaceId),
    userId: a.userId,
    itemId: String(a.itemId),
    providerId: String(a.providerId),
    type: a.type,
    parameters: params,
    status: a.status,
    fulfillment: a.fulfillment ?? null,
    total: formatMoney(o.totalCents ?? 0, o.currency ?? 'USD'),
    total_cents: o.totalCents ?? 0,
    currency: o.currency ?? 'USD',
    pickup_time: o.pickupAt ? new Date(o.pickupAt).toISOString() : null,
    orderNumber: a.orderNumber ?? null,
    externalRef: a.externalRef ?? null,
    origin: a.origin ?? { channel: 'api', ref: null },
    error: a.error ?? null,
    trackingUrl: trackingUrl ? trackingUrl(a._id.toString()) : null,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** The `ledger` in POST /actions: what this action will cost the space (derived, pending until completion). */
export function ledgerEntry(a: Doc) {
  return { actionId: a._id.toString(), amount: formatMoney(a.order?.totalCents ?? 0, a.order?.currency ?? 'USD'), amount_cents: a.order?.totalCents ?? 0, currency: a.order?.currency ?? 'USD', status: 'pending' as const };
}
