/** Plain-data builders for the SMS tests. */
import { pino } from 'pino';
import type { ActionEvent, ActionView, NotifyContext, ProviderView, ReceiptData } from '../../src/engine/types.js';

export const silentLogger = pino({ level: 'silent' });
export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'simulated-auth-token';
export const FROM = '+15005550006';

export const provider: ProviderView = {
  id: 'prov_1',
  name: 'Downtown Café',
  timezone: 'America/New_York',
  currency: 'USD',
  orderPrefix: 'DC',
  contactEmail: null,
  prepMinutes: 10,
};

export function action(overrides: { customerPhone?: string | null; pickupAt?: Date | null; id?: string } = {}): ActionView {
  return {
    id: overrides.id ?? 'act_1',
    spaceId: 'space_1',
    userId: 'user_1',
    type: 'order',
    createdAt: new Date('2025-01-01T12:00:00Z'),
    order: {
      lines: [{ sku: 'latte', name: 'Latte', quantity: 1, unitPriceCents: 450, modifiers: [], lineTotalCents: 450 }],
      totalCents: 450,
      currency: 'USD',
      pickupAt: overrides.pickupAt ?? null,
      customerName: 'Sam',
      customerPhone: overrides.customerPhone === undefined ? '+15551234567' : overrides.customerPhone,
      specialInstructions: null,
    },
  };
}

export function receipt(overrides: Partial<ReceiptData> = {}): ReceiptData {
  return {
    provider: 'Downtown Café',
    order_number: 'DC-1547',
    total: '$4.50',
    total_cents: 450,
    currency: 'USD',
    pickup_time: 'ASAP',
    ready_in_minutes: 12,
    items: [{ name: 'Latte', quantity: 1, modifications: [], price: '$4.50' }],
    ...overrides,
  };
}

export function completedEvent(actionId = 'act_1', receiptOverrides: Partial<ReceiptData> = {}): ActionEvent {
  return { type: 'action.completed', actionId, spaceId: 'space_1', externalReference: 'sq_1', receiptData: receipt(receiptOverrides), timestamp: '2025-01-01T12:01:00.000Z' };
}

export function readyEvent(actionId = 'act_1'): ActionEvent {
  return { type: 'action.ready', actionId, spaceId: 'space_1', message: 'Ready', timestamp: '2025-01-01T12:13:00.000Z' };
}

export function notifyContext(a: ActionView, event: ActionEvent): NotifyContext {
  return { action: a, provider, dedupeKey: `${a.id}:${event.type}:sms`, orderNumber: event.type === 'action.ready' ? 'DC-1547' : null };
}
