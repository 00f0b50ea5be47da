/** What the customer's order page shows, read in one place: nothing here is secret or a full phone number. */
import { formatMoney } from '../engine/money.js';
import type { ReceiptData } from '../engine/types.js';
import { loadAction } from '../storage/action-state.js';
import { receiptOf, statusUpdatesOf } from '../storage/action-story.js';
import { loadProviderView } from '../storage/views.js';

export interface TrackingView {
  provider: { name: string; timezone: string };
  orderNumber: string | null;
  status: string;
  fulfillment: string | null;
  /** First name only, as the customer gave it. */
  customerName: string | null;
  items: Array<{ name: string; quantity: number; modifications: string[]; price: string }>;
  total: string;
  pickupAt: Date | null;
  error: string | null;
  receipt: { receiptNumber: string; data: ReceiptData } | null;
  history: Array<{ status: string; message: string; at: Date }>;
}

export async function loadTrackingView(actionId: string): Promise<TrackingView | null> {
  const action = await loadAction({ _id: actionId });
  if (!action) return null;
  const [provider, receipt, updates] = await Promise.all([
    loadProviderView(action.providerId),
    receiptOf(action),
    statusUpdatesOf(action).then((all) => all.slice(0, 100)),
  ]);
  const order = action.order;
  const currency = order?.currency ?? 'USD';
  return {
    provider: { name: provider?.name ?? 'Your order', timezone: provider?.timezone ?? 'UTC' },
    orderNumber: action.orderNumber ?? null,
    status: action.status ?? 'queued',
    fulfillment: action.fulfillment ?? null,
    customerName: order?.customerName?.split(/\s+/)[0] ?? null,
    items: (order?.lines ?? []).map((l) => ({
      name: l.name ?? '', quantity: l.quantity ?? 1, modifications: (l.modifiers ?? []).map((m) => m.name ?? ''),
      price: formatMoney(l.lineTotalCents ?? 0, currency),
    })),
    total: formatMoney(receipt ? (receipt.data as ReceiptData).total_cents : order?.totalCents ?? 0, currency),
    pickupAt: order?.pickupAt ?? null,
    error: action.status === 'failed' || action.status === 'cancelled' ? (action.error ?? null) : null,
    receipt: receipt ? { receiptNumber: receipt.receiptNumber, data: receipt.data as ReceiptData } : null,
    history: updates.map((u) => ({ status: u.status, message: u.message, at: u.timestamp })),
  };
}
