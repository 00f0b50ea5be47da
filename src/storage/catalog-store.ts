/**
 * A provider's menu, versioned so that replacing it is atomic for readers: the new version's rows are
 * inserted first, then Provider.catalogVersion flips to them (one single-document write), then the old
 * rows go. A reader always sees one whole version, never an empty or half-written menu, and without a
 * multi-document transaction (FerretDB has none).
 */
import mongoose from 'mongoose';
import { MenuItem, MenuModifier, Provider } from './models.js';

export interface MenuItemRow { sku: string; name: string; aliases: string[]; priceCents: number; category: string | null; available: boolean; externalIds: Record<string, string> }
export interface MenuModifierRow { modId: string; name: string; aliases: string[]; priceCents: number; externalIds: Record<string, string> }
export interface Menu { version: string | null; items: MenuItemRow[]; modifiers: MenuModifierRow[] }

type ProviderId = string | mongoose.Types.ObjectId;

const currentVersion = async (providerId: ProviderId): Promise<string | null> =>
  (await Provider.findById(providerId, { catalogVersion: 1 }).lean())?.catalogVersion ?? null;

const itemRow = (m: Record<string, unknown>): MenuItemRow => ({
  sku: m.sku as string, name: m.name as string, aliases: (m.aliases as string[] | undefined) ?? [], priceCents: m.priceCents as number,
  category: (m.category as string | null | undefined) ?? null, available: (m.available as boolean | undefined) ?? true,
  externalIds: (m.externalIds as Record<string, string> | undefined) ?? {},
});
const modifierRow = (m: Record<string, unknown>): MenuModifierRow => ({
  modId: m.modId as string, name: m.name as string, aliases: (m.aliases as string[] | undefined) ?? [], priceCents: m.priceCents as number,
  externalIds: (m.externalIds as Record<string, string> | undefined) ?? {},
});

/** The provider's current menu, in upload order. Re-reads if a replacement flipped the version meanwhile. */
export async function loadMenu(providerId: ProviderId): Promise<Menu> {
  let version = await currentVersion(providerId);
  for (let tries = 0; ; tries++) {
    const [items, modifiers] = await Promise.all([
      MenuItem.find({ providerId, catalogVersion: version }).sort({ _id: 1 }).lean(),
      MenuModifier.find({ providerId, catalogVersion: version }).sort({ _id: 1 }).lean(),
    ]);
    const now = await currentVersion(providerId);
    // Still current after both reads: its rows cannot have been deleted under us (old rows go only after a flip).
    if (now === version || tries >= 3) return { version, items: items.map(itemRow), modifiers: modifiers.map(modifierRow) };
    version = now;
  }
}

/** The first orderable item (the integration probe's test order). */
export async function firstAvailableMenuItem(providerId: ProviderId): Promise<MenuItemRow | null> {
  const menu = await loadMenu(providerId);
  return menu.items.find((i) => i.available) ?? null;
}

/** Checks every row against the models (nothing written), then writes the new version and flips to it. */
export async function replaceMenu(providerId: ProviderId, items: MenuItemRow[], modifiers: MenuModifierRow[]): Promise<void> {
  const version = new mongoose.Types.ObjectId().toHexString();
  const previous = await currentVersion(providerId);
  const itemDocs = items.map((i) => ({ ...i, providerId, catalogVersion: version }));
  const modDocs = modifiers.map((m) => ({ ...m, providerId, catalogVersion: version }));
  for (const doc of itemDocs) await new MenuItem(doc).validate();
  for (const doc of modDocs) await new MenuModifier(doc).validate();
  try {
    await MenuItem.insertMany(itemDocs, { ordered: true });
    if (modDocs.length) await MenuModifier.insertMany(modDocs, { ordered: true });
  } catch (err) {
    // Never became current: remove what got in.
    await Promise.all([MenuItem.deleteMany({ providerId, catalogVersion: version }), MenuModifier.deleteMany({ providerId, catalogVersion: version })]).catch(() => undefined);
    throw err;
  }
  await Provider.updateOne({ _id: providerId }, { $set: { catalogVersion: version } });
  await Promise.all([
    MenuItem.deleteMany({ providerId, catalogVersion: previous }),
    MenuModifier.deleteMany({ providerId, catalogVersion: previous }),
  ]);
}
