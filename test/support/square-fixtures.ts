/** Hand-built engine inputs for the Square tests: no engine, no database, the real SDK against the simulator. */
import { pino } from 'pino';
import type { ActionView, HandlerContext, IntegrationView, PricedOrder, ProviderView } from '../../src/engine/types.js';

export const silentLogger = pino({ level: 'silent' });

export const FIXED_NOW = new Date('2030-05-01T12:00:00.000Z');

/** Latte ×2 with oat milk (75) and an extra shot (100), plus a croissant: (450+175)×2 + 375 = 1625 cents. */
export function pricedOrder(overrides: Partial<PricedOrder> = {}): PricedOrder {
  return {
    lines: [
      {
        sku: 'latte',
        name: 'Latte',
        quantity: 2,
        unitPriceCents: 450,
        modifiers: [
          { id: 'oat', name: 'Oat milk', priceCents: 75 },
          { id: 'shot', name: 'Extra shot', priceCents: 100 },
        ],
        lineTotalCents: 1250,
      },
      { sku: 'croissant', name: 'Croissant', quantity: 1, unitPriceCents: 375, modifiers: [], lineTotalCents: 375 },
    ],
    totalCents: 1625,
    currency: 'USD',
    pickupAt: null,
    customerName: 'Rana',
    customerPhone: '+15551234567',
    specialInstructions: 'Extra hot please',
    ...overrides,
  };
}

export function action(overrides: Partial<ActionView> = {}): ActionView {
  return { id: 'act_1', spaceId: 'space_1', userId: 'user_1', type: 'order', order: pricedOrder(), createdAt: FIXED_NOW, ...overrides };
}

export const provider: ProviderView = {
  id: 'prov_1',
  name: 'Corner Cafe',
  timezone: 'America/New_York',
  currency: 'USD',
  orderPrefix: 'CAFE',
  contactEmail: null,
  prepMinutes: 15,
};

export function integration(config: Record<string, unknown>, secrets: Record<string, string>): IntegrationView {
  return { id: 'int_square', type: 'api', name: 'Square POS', priority: 1, enabled: true, config, secrets };
}

export interface TestContext {
  ctx: HandlerContext;
  abort: AbortController;
  orderNumberCalls(): number;
}

/** A HandlerContext as the engine would build it; attempt/idempotencyKey overridable to simulate retries. */
export function handlerContext(
  options: { action?: ActionView; integration: IntegrationView; attempt?: number; idempotencyKey?: string },
): TestContext {
  const abort = new AbortController();
  let calls = 0;
  const ctx: HandlerContext = {
    action: options.action ?? action(),
    provider,
    integration: options.integration,
    execution: { id: 'exec_1', attempt: options.attempt ?? 1, idempotencyKey: options.idempotencyKey ?? 'act_1:int_square' },
    orderNumber: async () => {
      calls += 1;
      return 'CAFE-1';
    },
    touch: async () => {},
    signal: abort.signal,
    publicBaseUrl: 'http://127.0.0.1:0',
    logger: silentLogger,
    now: () => FIXED_NOW,
  };
  return { ctx, abort, orderNumberCalls: () => calls };
}
