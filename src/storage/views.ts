/** Mongoose documents → the plain views handlers and notifiers see. */
import type { ActionView, IntegrationType, IntegrationView, PricedOrder, ProviderView } from '../engine/types.js';
import { cachedIntegration, cachedProvider } from './config-cache.js';

/** A stored document as read with .lean(): its fields plus an _id. */
type WithId<T> = T & { _id: { toString(): string } };

export function toActionView(a: WithId<{ spaceId: unknown; userId: string; type: string; order?: unknown; createdAt?: Date }>): ActionView {
  const o = (a.order ?? {}) as Partial<PricedOrder>;
  return {
    id: a._id.toString(),
    spaceId: String(a.spaceId),
    userId: a.userId,
    type: a.type,
    createdAt: a.createdAt ?? new Date(),
    order: {
      lines: (o.lines ?? []).map((l) => ({ ...l, modifiers: [...(l.modifiers ?? [])] })),
      totalCents: o.totalCents ?? 0,
      currency: o.currency ?? 'USD',
      pickupAt: o.pickupAt ?? null,
      customerName: o.customerName ?? null,
      customerPhone: o.customerPhone ?? null,
      specialInstructions: o.specialInstructions ?? null,
    },
  };
}

export function toProviderView(p: WithId<{ name: string; timezone: string; currency: string; orderPrefix: string; contactEmail?: string | null; prepMinutes?: number | null }>): ProviderView {
  return {
    id: p._id.toString(), name: p.name, timezone: p.timezone, currency: p.currency, orderPrefix: p.orderPrefix,
    contactEmail: p.contactEmail ?? null, prepMinutes: p.prepMinutes ?? 10,
  };
}

export async function loadProviderView(providerId: unknown): Promise<ProviderView | null> {
  const p = await cachedProvider(String(providerId));
  return p ? toProviderView(p) : null;
}

/** The integration WITH its secret values, for handlers only (the API's integration view lists secret names only). A missing integration (implicit manual) gets a stub. */
export async function loadIntegrationWithSecrets(integrationId: unknown, fallback: { type: IntegrationType; name: string }): Promise<IntegrationView | null> {
  if (!integrationId) return { id: 'implicit-manual', type: fallback.type, name: fallback.name, priority: Number.MAX_SAFE_INTEGER, enabled: true, config: {}, secrets: {} };
  const found = await cachedIntegration(String(integrationId));
  if (!found) return null;
  const { integration: i, secrets } = found;
  return {
    id: i._id.toString(), type: i.type as IntegrationType, name: i.name, priority: i.priority, enabled: i.enabled,
    config: structuredClone((i.config ?? {}) as Record<string, unknown>), secrets: { ...secrets },
  };
}
