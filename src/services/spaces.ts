/**
 * Operator administration of spaces and their API keys (behind ADMIN_TOKEN). A plain key is returned once,
 * when it is created or rotated; only its hash is stored. Rotation creates the new key before revoking the
 * old one, so a client switching over never finds itself with no valid key.
 */
import { notFound } from '../engine/errors.js';
import { createApiKey, hashKey, keyIdOf, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../storage/api-keys.js';
import { Space } from '../storage/models.js';

export interface SpaceRecord { id: string; name: string; createdAt: Date | null; keys: ApiKeyInfo[] }
export interface IssuedKey { key: ApiKeyInfo; apiKey: string }

const isObjectId = (id: string) => /^[a-f0-9]{24}$/.test(id);

async function requireSpace(spaceId: string): Promise<{ _id: unknown; name: string; createdAt?: Date }> {
  const space = isObjectId(spaceId) ? await Space.findById(spaceId).lean() : null;
  if (!space) throw notFound('space');
  return space as { _id: unknown; name: string; createdAt?: Date };
}

async function issue(spaceId: string, label: string): Promise<IssuedKey> {
  const apiKey = await createApiKey(spaceId, label);
  const key = (await listApiKeys(spaceId)).find((k) => k.id === keyIdOf(hashKey(apiKey)))!;
  return { key, apiKey };
}

export async function listSpaces(): Promise<SpaceRecord[]> {
  const spaces = await Space.find().sort({ _id: 1 }).limit(1000).lean();
  return Promise.all(spaces.map(async (s) => ({ id: String(s._id), name: s.name, createdAt: (s as { createdAt?: Date }).createdAt ?? null, keys: await listApiKeys(String(s._id)) })));
}

export async function createSpace(name: string, keyLabel: string): Promise<{ space: SpaceRecord } & IssuedKey> {
  const created = await Space.create({ name });
  const spaceId = String(created._id);
  const issued = await issue(spaceId, keyLabel);
  return { space: { id: spaceId, name: created.name, createdAt: (created as { createdAt?: Date }).createdAt ?? null, keys: [issued.key] }, ...issued };
}

export async function createKey(spaceId: string, label: string): Promise<IssuedKey> {
  await requireSpace(spaceId);
  return issue(spaceId, label);
}

export async function rotateKey(spaceId: string, keyId: string): Promise<IssuedKey & { revoked: string }> {
  await requireSpace(spaceId);
  const old = (await listApiKeys(spaceId)).find((k) => k.id === keyId);
  if (!old) throw notFound('API key');
  const issued = await issue(spaceId, old.label);
  await revokeApiKey(spaceId, keyId);
  return { ...issued, revoked: keyId };
}

export async function revokeKey(spaceId: string, keyId: string): Promise<void> {
  await requireSpace(spaceId);
  if (!(await revokeApiKey(spaceId, keyId))) throw notFound('API key');
}
