/** Per-space API keys: `Authorization: Bearer rk_...`, stored as SHA-256 hashes. */
import type { RequestHandler } from 'express';
import { RequestError } from '../engine/errors.js';
import { spaceForKey } from '../storage/api-keys.js';

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
