/** Builders for the plain data a handler sees, shared by this folder's tests. */
import { pino } from 'pino';
import type { ActionView, HandlerContext, IntegrationView, ProviderView } from '../../src/engine/types.js';
import { generateWebhookSecret } from '../../handlers/webhook/signing.js';
import { provider } from '../sms/fixtures.js';

export const silentLogger = pino({ level: 'silent' });

export function sampleAction(overrides: Partial<ActionView> = {}): ActionView {
  return {
    id: 'act_1',
    spaceId: 'space_1',
    userId: 'user_1',
    type: 'order',
    createdAt: new Date('2025-01-01T12:00:00Z'),
    order: {
      lines: [
        {
          sku: 'latte',
          name: 'Latte',
          quantity: 2,
          unitPriceCents: 450,
          modifiers: [{ id: 'oat', name: 'Oat milk', priceCents: 75 }],
          lineTotalCents: 1050,
        },
      ],
      totalCents: 1050,
      currency: 'USD',
      pickupAt: null,
      customerName: 'Sam',
      customerPhone: '+15551234567',
      specialInstructions: 'Extra hot',
    },
    ...overrides,
  };
}

export const sampleProvider: ProviderView = provider;

export function webhookIntegration(url: string, secret = generateWebhookSecret(), config: Record<string, unknown> = {}): IntegrationView {
  return {
    id: 'int_webhook',
    type: 'webhook',
    name: 'Provider webhook',
    priority: 2,
    enabled: true,
    config: { url, ...config },
    secrets: { signingSecret: secret },
  };
}

export interface ContextOptions {
  integration: IntegrationView;
  attempt?: number;
  executionId?: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
  now?: () => Date;
  publicBaseUrl?: string;
}

export function handlerContext(opts: ContextOptions): HandlerContext & { allocatedOrderNumbers: number } {
  const ctx = {
    action: sampleAction(),
    provider: sampleProvider,
    integration: opts.integration,
    execution: { id: opts.executionId ?? 'exec_1', attempt: opts.attempt ?? 1, idempotencyKey: opts.idempotencyKey ?? 'act_1:int_webhook' },
    allocatedOrderNumbers: 0,
    async orderNumber() {
      ctx.allocatedOrderNumbers += 1;
      return 'DC-1547';
    },
    async touch() {},
    signal: opts.signal ?? new AbortController().signal,
    publicBaseUrl: opts.publicBaseUrl ?? 'http://127.0.0.1:1',
    logger: silentLogger,
    now: opts.now ?? (() => new Date()),
  };
  return ctx;
}
