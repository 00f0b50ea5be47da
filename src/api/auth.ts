/** Per-space API keys: `Authorization: Bearer rk_...`, stored as SHA-256 hashes. */
import { createHash, randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type mongoose from 'mongoose';
import { RequestError } from '../engine/errors.js';
import { ApiKey } from '../storage/models.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(spaceId: mongoose.Types.ObjectId | string, label = 'default', plain?: string): Promise<string> {
  const key = plain ?? `rk_${randomBytes(24).toString('base64url')}`;
  await ApiKey.updateOne({ _id: hashKey(key) }, { $setOnInsert: { spaceId, label, prefix: key.slice(0, 7) } }, { upsert: true });
  return key;
}

/** Known keys are cached for a minute (keys are never reassigned; unknown keys are not cached). */
const keyCache = new Map<string, { spaceId: string; until: number }>();

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

declare module 'express-serve-static-core' {
  interface Request { spaceId?: string }
}

const unauthorized = (message: string) => new RequestError(401, 'unauthorized', message);

/** Requires a valid key; when x-space-id is sent it must be the key's space. */
export const requireApiKey: RequestHandler = async (req, res, next) => {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return next(unauthorized('Missing "Authorization: Bearer <api key>" header'));
  const spaceId = await spaceForKey(match[1]!);
  if (!spaceId) return next(unauthorized('Unknown API key'));
  const claimed = req.get('x-space-id');
  if (claimed !== undefined && claimed !== spaceId) return next(new RequestError(403, 'forbidden', 'x-space-id does not match the API key\'s space'));
  req.spaceId = spaceId;
  next();
};
