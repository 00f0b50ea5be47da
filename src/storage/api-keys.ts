/** Per-space API keys, stored as SHA-256 hashes: the plain key is shown once, at creation. */
import { createHash, randomBytes } from 'node:crypto';
import type mongoose from 'mongoose';
import { ApiKey } from './models.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(spaceId: mongoose.Types.ObjectId | string, label = 'default', plain?: string): Promise<string> {
  const key = plain ?? `rk_${randomBytes(24).toString('base64url')}`;
  await ApiKey.updateOne({ _id: hashKey(key) }, { $setOnInsert: { spaceId, label, prefix: key.slice(0, 7) } }, { upsert: true });
  keyCache.delete(hashKey(key));
  return key;
}

/**
 * Keys are cached for a minute, known and unknown alike (keys are never reassigned), so a flood of wrong keys
 * costs no database reads. A key created in another process may be refused for up to that minute if it was
 * tried before it existed; keys are random and handed out after creation, so that does not happen in practice.
 */
const keyCache = new Map<string, { spaceId: string | null; until: number }>();
const KEY_CACHE_MS = 60_000;

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
  if (keyCache.size > 10_000) keyCache.clear();
  const spaceId = found ? String(found.spaceId) : null;
  keyCache.set(hash, { spaceId, until: Date.now() + KEY_CACHE_MS });
  return spaceId;
}
