/**
 * Prices an order against the provider's catalog. Prices always come from the catalog: a client-sent
 * price that disagrees is rejected (price_mismatch) rather than silently replaced, so a client showing
 * stale prices finds out before anyone is charged.
 */
import { badRequest } from './errors.js';
import type { PricedLine, PricedModifier } from './types.js';

export interface CatalogItem { sku: string; name: string; aliases: string[]; priceCents: number; available: boolean; externalIds?: Record<string, string> }
export interface CatalogModifier { modId: string; name: string; aliases: string[]; priceCents: number; externalIds?: Record<string, string> }

export interface RequestedItem { name?: string; sku?: string; quantity: number; modifications?: string[]; price?: number | string }

const norm = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();

function indexBy<T>(entries: T[], keys: (e: T) => string[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const e of entries) for (const k of keys(e)) if (!map.has(norm(k))) map.set(norm(k), e);
  return map;
}

/** Accepts 5.5, "5.50", "$5.50" as dollars; anything else ("-5.50", "5.5 EUR garbage") is null, i.e. a mismatch. */
export function clientPriceCents(price: number | string): number | null {
  if (typeof price === 'number') return Number.isFinite(price) && price >= 0 ? Math.round(price * 100) : null;
  const m = /^\s*\$?(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(price);
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0')) : null;
}

export function priceOrder(requested: RequestedItem[], items: CatalogItem[], modifiers: CatalogModifier[]): { lines: PricedLine[]; totalCents: number } {
  const itemIndex = indexBy(items, (i) => [i.sku, i.name, ...i.aliases]);
  const modIndex = indexBy(modifiers, (m) => [m.modId, m.name, ...m.aliases]);
  const lines: PricedLine[] = requested.map((req, i) => {
    const field = `parameters.items[${i}]`;
    const ref = req.sku ?? req.name ?? '';
    const item = itemIndex.get(norm(ref));
    if (!item) throw badRequest('unknown_menu_item', `"${ref}" is not on the menu`, `${field}.${req.sku ? 'sku' : 'name'}`);
    if (!item.available) throw badRequest('item_unavailable', `"${item.name}" is not available right now`, field);
    const mods: PricedModifier[] = (req.modifications ?? []).map((m, j) => {
      const mod = modIndex.get(norm(m));
      if (!mod) throw badRequest('unknown_modifier', `"${m}" is not an option for ${item.name}`, `${field}.modifications[${j}]`);
      return { id: mod.modId, name: mod.name, priceCents: mod.priceCents };
    });
    const unit = item.priceCents + mods.reduce((s, m) => s + m.priceCents, 0);
    if (req.price !== undefined) {
      const sent = clientPriceCents(req.price);
      if (sent !== item.priceCents && sent !== unit) {
        throw badRequest('price_mismatch', `${item.name} costs ${(unit / 100).toFixed(2)}, not ${String(req.price)}; prices come from the menu`, `${field}.price`);
      }
    }
    return {
      sku: item.sku, name: item.name, quantity: req.quantity, unitPriceCents: item.priceCents, modifiers: mods,
      lineTotalCents: unit * req.quantity, ...(item.externalIds && Object.keys(item.externalIds).length ? { externalIds: item.externalIds } : {}),
    };
  });
  return { lines, totalCents: lines.reduce((s, l) => s + l.lineTotalCents, 0) };
}

/**
 * Pickup time: null/"asap"/"now" → as soon as possible; "15 minutes" / "in 15 min" / "1 hour" → relative;
 * an ISO 8601 date-time → that instant (must not be in the past, at most 7 days ahead).
 */
export function parsePickupTime(value: unknown, now: Date): Date | null {
  if (value === undefined || value === null) return null;
  const field = 'parameters.pickup_time';
  if (typeof value !== 'string') throw badRequest('invalid_pickup_time', 'pickup_time must be a string such as "15 minutes" or an ISO time', field);
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'asap' || v === 'now' || v === 'as soon as possible') return null;
  const rel = /^(?:in\s+)?(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?)$/.exec(v);
  if (rel) {
    const n = Number(rel[1]);
    const minutes = rel[2]!.startsWith('h') ? n * 60 : n;
    if (minutes > 7 * 24 * 60) throw badRequest('invalid_pickup_time', 'pickup_time is more than 7 days away', field);
    return new Date(now.getTime() + minutes * 60_000);
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const t = new Date(value);
    if (!Number.isNaN(t.getTime())) {
      if (t.getTime() < now.getTime() - 60_000) throw badRequest('invalid_pickup_time', 'pickup_time is in the past', field);
      if (t.getTime() > now.getTime() + 7 * 24 * 3600_000) throw badRequest('invalid_pickup_time', 'pickup_time is more than 7 days away', field);
      return t;
    }
  }
  throw badRequest('invalid_pickup_time', `pickup_time "${value}" is not understood; use "15 minutes", "asap" or an ISO 8601 time`, field);
}
