/**
 * The production integration probe behind POST .../integrations/:id/test ("send a test order"): runs one attempt of an integration's handler with a one-item order, outside any
 * action, so an operator can check credentials and endpoints during onboarding. Manual needs no test.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { firstAvailableMenuItem } from '../storage/catalog-store.js';
import { Integration } from '../storage/models.js';
import { loadIntegrationWithSecrets, loadProviderView } from '../storage/views.js';
import type { HandlerRegistry } from './registry.js';
import type { ActionView } from './types.js';

export interface ProbeResult { ok: boolean; handler: string; outcome: string; detail: string }

export interface ProbeDeps { registry: HandlerRegistry; logger: Logger; publicBaseUrl: string; stepTimeoutMs: number }

export async function probeIntegration(deps: ProbeDeps, integrationId: string, spaceId: string): Promise<ProbeResult> {
  const integration = await Integration.findOne({ _id: integrationId, spaceId }).lean();
  const provider = integration ? await loadProviderView(integration.providerId) : null;
  const view = integration ? await loadIntegrationWithSecrets(integration._id, { type: 'manual', name: 'manual' }) : null;
  if (!integration || !provider || !view) return { ok: false, handler: '', outcome: 'not_found', detail: 'integration not found' };
  const handler = deps.registry.get(integration.name);
  if (!handler) return { ok: false, handler: integration.name, outcome: 'unknown_handler', detail: `no handler named ${integration.name}` };
  if (integration.type === 'manual') return { ok: true, handler: handler.name, outcome: 'skipped', detail: 'manual tasks need no test' };
  const item = await firstAvailableMenuItem(integration.providerId);
  if (!item) return { ok: false, handler: handler.name, outcome: 'no_catalog', detail: 'upload a catalog first: the test order uses its first item' };
  const id = `test-${randomUUID()}`;
  const action: ActionView = {
    id, spaceId, userId: 'integration-test', type: 'order', createdAt: new Date(),
    order: {
      lines: [{ sku: item.sku, name: item.name, quantity: 1, unitPriceCents: item.priceCents, modifiers: [], lineTotalCents: item.priceCents, externalIds: item.externalIds }],
      totalCents: item.priceCents, currency: provider.currency, pickupAt: null, customerName: 'TEST ORDER — do not make', customerPhone: null, specialInstructions: 'Integration test from Rouh: please ignore',
    },
  };
  const can = handler.canHandle(action, provider, view);
  if (!can.ok) return { ok: false, handler: handler.name, outcome: 'not_configured', detail: can.reason };
  try {
    const result = await handler.execute({
      action, provider, integration: view,
      execution: { id: `${id}:0:1`, attempt: 1, idempotencyKey: id },
      orderNumber: async () => `${provider.orderPrefix}-TEST`,
      touch: async () => undefined,
      signal: AbortSignal.timeout(deps.stepTimeoutMs),
      publicBaseUrl: deps.publicBaseUrl,
      logger: deps.logger.child({ integrationTest: integrationId }),
      now: () => new Date(),
    });
    const detail = result.kind === 'completed' ? `accepted${result.externalRef ? ` as ${result.externalRef}` : ''}`
      : result.kind === 'awaiting' ? result.message : result.error.message;
    return { ok: result.kind === 'completed' || result.kind === 'awaiting', handler: handler.name, outcome: result.kind, detail };
  } catch (err) {
    return { ok: false, handler: handler.name, outcome: 'error', detail: String((err as Error).message).slice(0, 200) };
  }
}
