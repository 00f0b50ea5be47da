/**
 * Read-mostly configuration (providers, their items, menus and integrations with secrets) cached in-process,
 * so an action's hot path does not re-read it on every step. Any write to those collections through this
 * process's models clears the cache at once (mongoose middleware, see models.ts); changes written by another
 * process are seen within CONFIG_CACHE_TTL_MS.
 */
import type mongoose from 'mongoose';

import { loadMenu } from './catalog-store.js';
import { Integration, IntegrationSecret, Item, Provider, onConfigWrite } from './models.js';

export const CONFIG_CACHE_TTL_MS = 5000;

class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = (async () => load())(); // a real promise: a mongoose query would run again on each then()
    this.entries.set(key, { at: Date.now(), value });
    value.catch(() => this.entries.delete(key)); // a failed read is not cached
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

const cache = new TtlCache<unknown>(CONFIG_CACHE_TTL_MS);
onConfigWrite(() => cache.clear());

const key = (kind: string, id: unknown) => `${kind}:${String(id)}`;
const cached = <T>(kind: string, id: unknown, load: () => Promise<T>) => cache.get(key(kind, id), load) as Promise<T>;

type Id = string | mongoose.Types.ObjectId;
const loadProvider = async (id: Id) => Provider.findById(id).lean();
const loadItem = async (id: Id) => Item.findById(id).lean();
const loadIntegration = async (id: Id) => {
  const [integration, secrets] = await Promise.all([Integration.findById(id).lean(), IntegrationSecret.findById(id).lean()]);
  return integration ? { integration, secrets: (secrets?.values ?? {}) as Record<string, string> } : null;
};
const loadCatalog = async (providerId: Id) => {
  const [menu, integrations] = await Promise.all([loadMenu(providerId), Integration.find({ providerId }).lean()]);
  return { menu, integrations };
};

export const cachedProvider = (id: Id) => cached('provider', id, () => loadProvider(id));
export const cachedItem = (id: Id) => cached('item', id, () => loadItem(id));
export const cachedIntegration = (id: Id) => cached('integration', id, () => loadIntegration(id));
/** A provider's menu, modifiers and integrations: what pricing an order and building its chain read. */
export const cachedCatalog = (providerId: Id) => cached('catalog', providerId, () => loadCatalog(providerId));
