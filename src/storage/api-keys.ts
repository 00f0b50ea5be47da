/** Per-space API keys, stored as SHA-256 hashes: the plain key is shown once, at creation. */
import { createHash, randomBytes } from 'node:crypto';
import type mongoose from 'mongoose';
import { ApiKey } from './models.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(spaceId: mongoose.Types.ObjectId | string, label = 'default', plain?: string): Promise<string> {
  const key = plain ?? `rk_${randomBytes(24).toString('base64url')}`;
  await ApiKey.updateOne({ _id: hashKey(key) }, { $setOnInsert: { spaceId, label, prefix: key.slice(0, 7) } }, { upsert: true });
  return key;
}

/** Known keys are cached for a minute (keys are never reassigned; unknown keys are not cached). */
const keyCache = new Map<string, { spaceId: string; until: number }>();

/** A key's public id: the start of its hash (enough to tell a space's few keys apart, useless to an attacker). */
export const keyIdOf = (hash: string) => hash.slice(0, 16);

export interface ApiKeyInfo { id: string; spaceId: string; label: string; prefix: string; createdAt: Date | null }

export async function listApiKeys(spaceId: string): Promise<ApiKeyInfo[]> {
  const keys = await ApiKey.find({ spaceId }).sort({ createdAt: 1 }).lean();
  return keys.map((k) => ({ id: keyIdOf(k._id), spaceId: String(k.spaceId), label: k.label ?? 'default', prefix: k.prefix, createdAt: (k as { createdAt?: Date }).createdAt ?? null }));
}

/**
 * Revokes (deletes) a space's key by id. This process forgets it at once; other API processes within
 * their one-minute cache.
 */
export async function revokeApiKey(spaceId: string, keyId: string): Promise<boolean> {
  const hash = (await ApiKey.find({ spaceId }, { _id: 1 }).lean()).map((k) => k._id).find((h) => keyIdOf(h) === keyId);
  if (!hash) return false;
  await ApiKey.deleteOne({ _id: hash });
  keyCache.delete(hash);
  return true;
}

export async function spaceForKey(key: string): Promise<string | null> {
  const hash = hashKey(key);
  const cached = keyCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.spaceId;
  const found = await ApiKey.findById(hash, { spaceId: 1 }).lean();
  if (!found) return null;
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(hash, { spaceId: String(found.spaceId), until: Date.now() + 60_000 });
  return String(found.spaceId);
}
