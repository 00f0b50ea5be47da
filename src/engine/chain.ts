import { INTEGRATION_TYPES, type IntegrationType } from './types.js';

export const DEFAULT_CHAIN_ORDER: readonly IntegrationType[] = INTEGRATION_TYPES;

export interface ChainCandidate { integrationId: string | null; type: IntegrationType; name: string; priority: number; enabled: boolean }
export interface ChainEntry { integrationId: string | null; type: IntegrationType; name: string }

/**
 * The provider's enabled integrations, by type order (overridable per provider) then priority.
 * Manual is always last and always present, so no request is ever lost.
 */
export function buildChain(integrations: ChainCandidate[], order: readonly string[] = DEFAULT_CHAIN_ORDER): ChainEntry[] {
  const rank = (t: string) => { const i = order.indexOf(t); return i === -1 ? order.length : i; };
  const automatic = integrations
    .filter((i) => i.enabled && i.type !== 'manual')
    .sort((a, b) => rank(a.type) - rank(b.type) || a.priority - b.priority)
    .map(({ integrationId, type, name }) => ({ integrationId, type, name }));
  const manual = integrations.find((i) => i.type === 'manual');
  return [...automatic, { integrationId: manual?.integrationId ?? null, type: 'manual', name: manual?.name ?? 'manual' }];
}
