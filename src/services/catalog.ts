/**
 * A provider's catalog in the parser's import format (test/fixtures/catalog-cafe.json), for the API
 * (GET/PUT .../catalog) and for bots (feed it to createParser). Replacement is atomic for readers
 * (storage/catalog-store.ts): there is never a moment when the provider has no menu.
 */
import { badRequest } from '../engine/errors.js';
import { loadMenu, replaceMenu } from '../storage/catalog-store.js';
import type { ProviderDoc } from '../storage/models.js';
import { loadProvider, type SpaceScope } from './providers.js';

export interface CatalogItemInput { sku: string; name: string; aliases: string[]; price_cents: number; category?: string | null; external_ids?: Record<string, string> }
export interface CatalogModifierInput { id: string; name: string; aliases: string[]; price_cents: number; external_ids?: Record<string, string> }
/** A validated upload (the API checks field shapes; this checks what needs the whole list). */
export interface CatalogInput { items: CatalogItemInput[]; modifiers: CatalogModifierInput[] }

export interface CatalogFile {
  provider: { name: string; timezone: string; currency: string; orderPrefix: string };
  items: Array<{ sku: string; name: string; aliases: string[]; price_cents: number; category?: string; external_ids?: Record<string, string> }>;
  modifiers: Array<{ id: string; name: string; aliases: string[]; price_cents: number; external_ids?: Record<string, string> }>;
}

const nonEmpty = (v: Record<string, string> | undefined) => (v && Object.keys(v).length ? v : null);

async function catalogOf(provider: ProviderDoc): Promise<CatalogFile> {
  const menu = await loadMenu(provider._id);
  return {
    provider: { name: provider.name, timezone: provider.timezone, currency: provider.currency, orderPrefix: provider.orderPrefix },
    items: menu.items.map((m) => {
      const ext = nonEmpty(m.externalIds);
      return { sku: m.sku, name: m.name, aliases: m.aliases, price_cents: m.priceCents, ...(m.category ? { category: m.category } : {}), ...(ext ? { external_ids: ext } : {}) };
    }),
    modifiers: menu.modifiers.map((m) => {
      const ext = nonEmpty(m.externalIds);
      return { id: m.modId, name: m.name, aliases: m.aliases, price_cents: m.priceCents, ...(ext ? { external_ids: ext } : {}) };
    }),
  };
}

export async function loadCatalog(scope: SpaceScope, providerId: string): Promise<CatalogFile> {
  return catalogOf(await loadProvider(scope, providerId));
}

/** First duplicate (case-insensitive, as the pricing lookup is) → its index. */
function firstDuplicate(keys: string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!.toLowerCase();
    if (seen.has(k)) return i;
    seen.add(k);
  }
  return -1;
}

/**
 * Replaces the whole menu. Everything is validated before the first write, so a rejected upload leaves the
 * current menu untouched. Provider-side ids (externalIds, e.g. Square variation ids) of skus/modifier ids
 * that survive the upload are kept unless the upload sends `external_ids` for them.
 */
export async function replaceCatalog(scope: SpaceScope, providerId: string, input: CatalogInput): Promise<CatalogFile> {
  const provider = await loadProvider(scope, providerId);
  const dupSku = firstDuplicate(input.items.map((i) => i.sku));
  if (dupSku !== -1) throw badRequest('duplicate_sku', `duplicate sku "${input.items[dupSku]!.sku}"`, `items[${dupSku}].sku`);
  const dupMod = firstDuplicate(input.modifiers.map((m) => m.id));
  if (dupMod !== -1) throw badRequest('duplicate_modifier_id', `duplicate modifier id "${input.modifiers[dupMod]!.id}"`, `modifiers[${dupMod}].id`);

  const current = await loadMenu(provider._id);
  const keptItemIds = new Map(current.items.map((m) => [m.sku, m.externalIds]));
  const keptModIds = new Map(current.modifiers.map((m) => [m.modId, m.externalIds]));
  await replaceMenu(
    provider._id,
    input.items.map((i) => ({
      sku: i.sku, name: i.name, aliases: i.aliases, priceCents: i.price_cents, category: i.category ?? null,
      available: true, externalIds: i.external_ids ?? keptItemIds.get(i.sku) ?? {},
    })),
    input.modifiers.map((m) => ({ modId: m.id, name: m.name, aliases: m.aliases, priceCents: m.price_cents, externalIds: m.external_ids ?? keptModIds.get(m.id) ?? {} })),
  );
  return catalogOf(provider);
}
