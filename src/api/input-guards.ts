/**
 * Checks every API request passes before any route sees it, so malformed input is a 4xx and never reaches
 * storage: one-value headers sent twice, JSON nested deeper than any of our documents, and object keys that
 * MongoDB cannot store (a leading `$`, a `.` or a NUL).
 */
import type { RequestHandler } from 'express';
import { RequestError } from '../engine/errors.js';

/** Headers that carry one value; Node joins repeats with ", ", which would silently change their meaning. */
export const SINGLE_VALUE_HEADERS = ['authorization', 'x-space-id', 'x-user-id', 'idempotency-key', 'content-type', 'content-encoding'] as const;

export function rejectRepeatedHeaders(names: readonly string[] = SINGLE_VALUE_HEADERS): RequestHandler {
  const watched = new Set(names);
  return (req, _res, next) => {
    const seen = new Set<string>();
    // rawHeaders is [name, value, name, value, ...] exactly as sent.
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (!watched.has(name)) continue;
      if (seen.has(name)) return next(new RequestError(400, 'duplicate_header', `The ${name} header must be sent once`, name));
      seen.add(name);
    }
    next();
  };
}

export const MAX_JSON_DEPTH = 32;

/** A key MongoDB refuses or reads as an operator / a path. */
const UNSTORABLE_KEY = /^\$|[.\0]/;

/**
 * Walks the parsed JSON body without recursion (a 10,000-deep object must not overflow the stack here or in
 * anything after it): too deep → 400 `too_deeply_nested`; a key with `$`, `.` or NUL → 400 `invalid_key`.
 */
export function checkJsonShape(maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object') return next();
    const stack: Array<{ value: object; depth: number; path: string }> = [{ value: body, depth: 1, path: '' }];
    while (stack.length) {
      const { value, depth, path } = stack.pop()!;
      if (depth > maxDepth) return next(new RequestError(400, 'too_deeply_nested', `Request body is nested more than ${maxDepth} levels deep`, path || undefined));
      const isArray = Array.isArray(value);
      for (const [key, child] of Object.entries(value)) {
        const childPath = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
        if (!isArray && UNSTORABLE_KEY.test(key)) {
          return next(new RequestError(400, 'invalid_key', `Object keys must not start with "$" or contain "." or NUL characters (${JSON.stringify(key)} at ${path || 'body'})`, path || undefined));
        }
        if (child !== null && typeof child === 'object') stack.push({ value: child as object, depth: depth + 1, path: childPath });
      }
    }
    next();
  };
}
