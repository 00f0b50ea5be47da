/**
 * Provider onboarding: a provider plus the listing Item clients order against. Everything is scoped by the
 * space; another space's ids and malformed ids are "not found". Admin edits: one writer per provider is
 * expected, so plain updates are used (no conditional updates: they are not atomic on FerretDB).
 */
import type mongoose from 'mongoose';
import { notFound } from '../engine/errors.js';
import type { IntegrationType } from '../engine/types.js';
import { Item, Provider, type ProviderDoc, type Timestamps } from '../storage/models.js';

export interface SpaceScope { spaceId: string }

/** What onboarding sets on a provider: its stored fields (ProviderDoc is the one list), with a prep time always given. */
export type ProviderFields = Omit<ProviderDoc, '_id' | 'spaceId' | keyof Timestamps | 'prepMinutes' | 'chainOrder'>
  & { prepMinutes: number; chainOrder?: IntegrationType[] | null };

/** `null` clears contactEmail and chainOrder (back to the default api → webhook → email → manual). */
export type ProviderPatch = Partial<ProviderFields>;

/** A provider and the ids of its listing Items (what POST /actions { itemId } points at). */
export interface ProviderRecord { provider: ProviderDoc; itemIds: string[] }

export const isObjectId = (id: string) => /^[a-f0-9]{24}$/.test(id);

export async function loadProvider(scope: SpaceScope, id: string): Promise<ProviderDoc> {
  if (!isObjectId(id)) throw notFound('provider');
  const provider = await Provider.findOne({ _id: id, spaceId: scope.spaceId }).lean<ProviderDoc>();
  if (!provider) throw notFound('provider');
  return provider;
}

async function itemIdsFor(spaceId: string, providerIds: mongoose.Types.ObjectId[]): Promise<Map<string, string[]>> {
  const items = providerIds.length ? await Item.find({ spaceId, providerId: { $in: providerIds } }, { _id: 1, providerId: 1 }).sort({ _id: 1 }).lean() : [];
  const map = new Map<string, string[]>();
  for (const it of items) {
    const key = it.providerId.toString();
    map.set(key, [...(map.get(key) ?? []), it._id.toString()]);
  }
  return map;
}

const recordOf = async (scope: SpaceScope, provider: ProviderDoc): Promise<ProviderRecord> =>
  ({ provider, itemIds: (await itemIdsFor(scope.spaceId, [provider._id])).get(provider._id.toString()) ?? [] });

export async function createProvider(scope: SpaceScope, fields: ProviderFields): Promise<ProviderRecord & { itemId: string }> {
  const created = await Provider.create({ spaceId: scope.spaceId, ...fields, contactEmail: fields.contactEmail ?? null, contactPhone: fields.contactPhone ?? null });
  let itemId: mongoose.Types.ObjectId;
  try {
    itemId = (await Item.create({ spaceId: scope.spaceId, providerId: created._id, name: fields.name, actionTypes: ['order'] }))._id;
  } catch (err) {
    await Provider.deleteOne({ _id: created._id }).catch(() => undefined);
    throw err;
  }
  const provider = (await Provider.findById(created._id).lean<ProviderDoc>())!;
  return { provider, itemIds: [itemId.toString()], itemId: itemId.toString() };
}

export async function listProviders(scope: SpaceScope): Promise<ProviderRecord[]> {
  const providers = await Provider.find({ spaceId: scope.spaceId }).sort({ _id: 1 }).limit(500).lean<ProviderDoc[]>();
  const items = await itemIdsFor(scope.spaceId, providers.map((p) => p._id));
  return providers.map((provider) => ({ provider, itemIds: items.get(provider._id.toString()) ?? [] }));
}

export async function getProvider(scope: SpaceScope, id: string): Promise<ProviderRecord> {
  return recordOf(scope, await loadProvider(scope, id));
}

export async function updateProvider(scope: SpaceScope, id: string, patch: ProviderPatch): Promise<ProviderRecord> {
  const provider = await loadProvider(scope, id);
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, 1> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null && key === 'chainOrder') $unset.chainOrder = 1;
    else $set[key] = value;
  }
  if (Object.keys($set).length || Object.keys($unset).length) {
    await Provider.updateOne({ _id: provider._id, spaceId: scope.spaceId }, { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) });
  }
  return recordOf(scope, (await Provider.findOne({ _id: provider._id, spaceId: scope.spaceId }).lean<ProviderDoc>())!);
}
