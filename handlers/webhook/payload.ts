/**
 * The JSON body of an `order.requested` webhook, in the Standard Webhooks envelope `{ type, timestamp, data }`.
 * Money goes out both as display strings and integer cents so receivers never parse "$8.75".
 * The customer's phone number is deliberately left out: the receiver does not need it to make the order.
 */
import { formatMoney } from '../../src/engine/money.js';
import type { CancelContext, HandlerContext, PricedLine } from '../../src/engine/types.js';

export interface WebhookModifier { id: string; name: string; price: string; price_cents: number }

export interface WebhookItem {
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  unit_price_cents: number;
  modifiers: WebhookModifier[];
  line_total: string;
  line_total_cents: number;
  external_ids?: Record<string, string>;
}

export interface OrderRequestedPayload {
  type: 'order.requested';
  /** When the order was placed; fixed per action so every retry carries the same body. */
  timestamp: string;
  data: {
    action_id: string;
    execution_id: string;
    provider: { id: string; name: string };
    order: {
      items: WebhookItem[];
      total: string;
      total_cents: number;
      currency: string;
      /** 'asap' or an ISO-8601 instant. */
      pickup_time: string;
      customer_name: string | null;
      special_instructions: string | null;
    };
    /** Where the receiver posts its signed confirmation when it answers 202 first. */
    confirm_url: string;
  };
}

export function confirmPath(providerId: string): string {
  return `/integrations/webhooks/${encodeURIComponent(providerId)}/confirm`;
}

function toItem(line: PricedLine, currency: string): WebhookItem {
  return {
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unit_price: formatMoney(line.unitPriceCents, currency),
    unit_price_cents: line.unitPriceCents,
    modifiers: line.modifiers.map((m) => ({ id: m.id, name: m.name, price: formatMoney(m.priceCents, currency), price_cents: m.priceCents })),
    line_total: formatMoney(line.lineTotalCents, currency),
    line_total_cents: line.lineTotalCents,
    ...(line.externalIds ? { external_ids: line.externalIds } : {}),
  };
}

/**
 * `order.cancelled`: the customer cancelled an order the receiver was sent. `execution_id` and `action_id` are the
 * ones of its `order.requested`; `order_number` is the receiver's own (from its confirmation) or ours.
 */
export interface OrderCancelledPayload {
  type: 'order.cancelled';
  timestamp: string;
  data: {
    action_id: string;
    execution_id: string;
    provider: { id: string; name: string };
    order_number: string | null;
    cancelled_by: 'customer';
    order: OrderRequestedPayload['data']['order'];
  };
}

function orderOf(action: HandlerContext['action']): OrderRequestedPayload['data']['order'] {
  const { order } = action;
  return {
    items: order.lines.map((line) => toItem(line, order.currency)),
    total: formatMoney(order.totalCents, order.currency),
    total_cents: order.totalCents,
    currency: order.currency,
    pickup_time: order.pickupAt ? order.pickupAt.toISOString() : 'asap',
    customer_name: order.customerName,
    special_instructions: order.specialInstructions,
  };
}

export function buildOrderCancelledPayload(ctx: CancelContext): OrderCancelledPayload {
  return {
    type: 'order.cancelled',
    timestamp: ctx.now().toISOString(),
    data: {
      action_id: ctx.action.id,
      execution_id: ctx.execution.id,
      provider: { id: ctx.provider.id, name: ctx.provider.name },
      order_number: ctx.orderNumber,
      cancelled_by: 'customer',
      order: orderOf(ctx.action),
    },
  };
}

export function buildOrderRequestedPayload(ctx: HandlerContext): OrderRequestedPayload {
  const { action, provider } = ctx;
  return {
    type: 'order.requested',
    timestamp: action.createdAt.toISOString(),
    data: {
      action_id: action.id,
      execution_id: ctx.execution.id,
      provider: { id: provider.id, name: provider.name },
      order: orderOf(action),
      // Concatenate rather than `new URL(path, base)`, which would drop a path prefix in the base URL.
      confirm_url: `${ctx.publicBaseUrl.replace(/\/+$/, '')}${confirmPath(provider.id)}`,
    },
  };
}
