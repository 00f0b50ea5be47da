import { randomBytes } from 'node:crypto';
import { formatMoney } from './money.js';
import type { PricedOrder, ProviderView, ReceiptData } from './types.js';

export function newReceiptNumber(now: Date): string {
  return `RCP-${Math.floor(now.getTime() / 1000)}-${randomBytes(4).toString('hex').slice(0, 6)}`;
}

export function buildReceiptData(order: PricedOrder, provider: ProviderView, facts: { orderNumber: string; readyInMinutes: number; totalCents?: number; now: Date }): ReceiptData {
  const totalCents = facts.totalCents ?? order.totalCents;
  const readyAt = order.pickupAt ?? new Date(facts.now.getTime() + facts.readyInMinutes * 60_000);
  return {
    provider: provider.name,
    order_number: facts.orderNumber,
    total: formatMoney(totalCents, order.currency),
    total_cents: totalCents,
    currency: order.currency,
    pickup_time: readyAt.toISOString(),
    ready_in_minutes: facts.readyInMinutes,
    items: order.lines.map((l) => ({
      name: l.name,
      quantity: l.quantity,
      modifications: l.modifiers.map((m) => m.name),
      price: formatMoney(l.lineTotalCents, order.currency),
    })),
  };
}
