/**
 * The zero-config demo: one space, the provider "Downtown Café" with email + manual integrations and a
 * small menu that reproduces the seed order (Latte $5.50 with oat milk + extra shot, Croissant $3.25 = $8.75).
 * Idempotent: safe on every start.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createApiKey, spaceForKey } from '../storage/api-keys.js';
import { Integration, Item, MenuItem, MenuModifier, Provider, Space } from '../storage/models.js';

export interface DemoCredentials { baseUrl: string; spaceId: string; apiKey: string; itemId: string; providerId: string }

export const DEMO_MENU = {
  items: [
    { sku: 'latte', name: 'Latte', aliases: ['lattes', 'caffe latte', 'café latte'], priceCents: 550, category: 'coffee' },
    { sku: 'cappuccino', name: 'Cappuccino', aliases: ['cappuccinos'], priceCents: 500, category: 'coffee' },
    { sku: 'americano', name: 'Americano', aliases: ['americanos'], priceCents: 400, category: 'coffee' },
    { sku: 'croissant', name: 'Croissant', aliases: ['croissants', 'butter croissant'], priceCents: 325, category: 'pastry' },
    { sku: 'blueberry-muffin', name: 'Blueberry Muffin', aliases: ['blueberry muffins', 'muffin'], priceCents: 375, category: 'pastry' },
  ],
  modifiers: [
    { modId: 'oat-milk', name: 'oat milk', aliases: ['oat', 'oatmilk'], priceCents: 0 },
    { modId: 'extra-shot', name: 'extra shot', aliases: ['double shot'], priceCents: 0 },
    { modId: 'almond-milk', name: 'almond milk', aliases: ['almond'], priceCents: 0 },
  ],
};

export async function seedDemo(dataDir: string, baseUrl: string): Promise<DemoCredentials> {
  const spaceId = (await Space.findOne({ name: 'Demo Space' }, { _id: 1 }).lean())?._id ?? (await Space.create({ name: 'Demo Space' }))._id;

  const existing = await Provider.findOne({ spaceId, name: 'Downtown Café' }, { _id: 1 }).lean();
  const providerId = existing?._id ?? (await Provider.create({
      spaceId, name: 'Downtown Café', timezone: 'America/New_York', currency: 'USD', orderPrefix: 'DC',
      contactEmail: 'orders@downtown-cafe.example', contactPhone: '+12125550147', prepMinutes: 12, orderCounter: 1546,
  }))._id;
  for (const m of DEMO_MENU.items) await MenuItem.updateOne({ providerId, sku: m.sku }, { $setOnInsert: { ...m, providerId } }, { upsert: true });
  for (const m of DEMO_MENU.modifiers) await MenuModifier.updateOne({ providerId, modId: m.modId }, { $setOnInsert: { ...m, providerId } }, { upsert: true });
  if (!(await Integration.exists({ providerId }))) {
    await Integration.create([
      { spaceId, providerId, type: 'email', name: 'email', priority: 30, enabled: true, config: {} },
      { spaceId, providerId, type: 'manual', name: 'manual', priority: 100, enabled: true, config: {} },
    ]);
  }
  const itemId = (await Item.findOne({ spaceId, providerId }, { _id: 1 }).lean())?._id
    ?? (await Item.create({ spaceId, providerId, name: 'Downtown Café', actionTypes: ['order'] }))._id;

  // The plain demo key exists only in this file (the database stores its hash).
  const file = path.join(dataDir, 'demo-credentials.json');
  const saved = await fs.readFile(file, 'utf8').then((s) => JSON.parse(s) as DemoCredentials).catch(() => null);
  const apiKey = saved?.apiKey && (await spaceForKey(saved.apiKey)) === spaceId.toString() ? saved.apiKey : await createApiKey(spaceId, 'demo');
  const creds: DemoCredentials = { baseUrl, spaceId: spaceId.toString(), apiKey, itemId: itemId.toString(), providerId: providerId.toString() };
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(creds)}\n`, { mode: 0o600 });
  return creds;
}

/** The credentials `npm start` wrote for the demo, or null before the first start. */
export async function readDemoCredentials(dataDir: string): Promise<DemoCredentials | null> {
  return fs.readFile(path.join(dataDir, 'demo-credentials.json'), 'utf8').then((s) => JSON.parse(s) as DemoCredentials).catch(() => null);
}

export function seedOrderCurl(c: DemoCredentials): string {
  const body = {
    itemId: c.itemId, type: 'order',
    parameters: {
      items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk', 'extra shot'] }, { name: 'Croissant', quantity: 1 }],
      pickup_time: '15 minutes', customer_name: 'Sam', customer_phone: '+14155550123',
    },
  };
  return `curl -s -X POST ${c.baseUrl}/actions \\
  -H 'Authorization: Bearer ${c.apiKey}' -H 'x-space-id: ${c.spaceId}' -H 'x-user-id: demo-user' \\
  -H 'Content-Type: application/json' \\
  -d '${JSON.stringify(body)}'`;
}
