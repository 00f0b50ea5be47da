/** Per-space API keys: `Authorization: Bearer rk_...`, stored as SHA-256 hashes. */
import type { RequestHandler } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { RequestError } from '../engine/errors.js';
import { spaceForKey } from '../storage/api-keys.js';

/** Failed authentications per client address (API and sockets): past the limit, 429 until the minute is over. */
export interface AuthFailureLimiter {
  /** Seconds to wait when this client is over its limit, else null. */
  blockedFor(client: string): Promise<number | null>;
  recordFailure(client: string): Promise<void>;
}

export function createAuthFailureLimiter(failuresPerMinute: number): AuthFailureLimiter {
  const limiter = new RateLimiterMemory({ points: failuresPerMinute, duration: 60 });
  return {
    async blockedFor(client) {
      const state = await limiter.get(client);
      return state && state.consumedPoints >= failuresPerMinute ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : null;
    },
    async recordFailure(client) {
      // consume rejects (with the limiter state) once the client is over the limit; that is the expected case here.
      await limiter.consume(client).catch(() => undefined);
    },
  };
}

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
export function apiKeyAuth(limiter?: AuthFailureLimiter): RequestHandler {
  return async (req, res, next) => {
    const client = req.ip ?? 'unknown';
    const wait = limiter ? await limiter.blockedFor(client) : null;
    if (wait !== null) {
      res.set('Retry-After', String(wait));
      return next(new RequestError(429, 'too_many_failed_attempts', `Too many failed authentication attempts; retry in ${wait} s`));
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const spaceId = match ? await spaceForKey(match[1]!) : null;
    if (!spaceId) {
      await limiter?.recordFailure(client);
      return next(unauthorized(match ? 'Unknown API key' : authProblem(header)));
    }
    const claimed = req.get('x-space-id');
    if (claimed !== undefined && claimed !== spaceId) return next(new RequestError(403, 'forbidden', 'x-space-id does not match the API key\'s space'));
    req.spaceId = spaceId;
    next();
  };
}
