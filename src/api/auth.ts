/** Per-space API keys: `Authorization: Bearer rk_...`, stored as SHA-256 hashes. */
import type { RequestHandler } from 'express';
import { RequestError } from '../engine/errors.js';
import { spaceForKey } from '../storage/api-keys.js';

declare module 'express-serve-static-core' {
  interface Request { spaceId?: string }
}

const unauthorized = (message: string) => new RequestError(401, 'unauthorized', message);

/** Says what is wrong with an Authorization header that is not `Bearer <key>`. */
function authProblem(header: string): string {
  if (!header.trim()) return 'Missing "Authorization: Bearer <api key>" header';
  const parts = header.trim().split(/\s+/);
  if (parts.length === 1) return 'The Authorization header is missing the "Bearer" scheme: send "Authorization: Bearer <api key>"';
  if (/^bearer$/i.test(parts[0]!)) return 'The Authorization header has more than one value after "Bearer": send "Authorization: Bearer <api key>"';
  return `Authorization scheme "${parts[0]!.slice(0, 20)}" is not supported: send "Authorization: Bearer <api key>"`;
}

/** Requires a valid key; when x-space-id is sent it must be the key's space. */
export const requireApiKey: RequestHandler = async (req, res, next) => {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return next(unauthorized(authProblem(header)));
  const spaceId = await spaceForKey(match[1]!);
  if (!spaceId) return next(unauthorized('Unknown API key'));
  const claimed = req.get('x-space-id');
  if (claimed !== undefined && claimed !== spaceId) return next(new RequestError(403, 'forbidden', 'x-space-id does not match the API key\'s space'));
  req.spaceId = spaceId;
  next();
};
