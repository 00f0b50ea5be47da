/**
 * Request bodies of the API are JSON. A body sent without `Content-Type: application/json` (curl's `-d` alone
 * sends form encoding) would otherwise be skipped by the JSON parser and reported as missing fields; say
 * what is actually wrong instead.
 */
import type { RequestHandler } from 'express';
import { RequestError } from '../engine/errors.js';

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!hasBody(req.headers) || req.is('application/json')) return next();
  const sent = req.get('content-type');
  next(new RequestError(415, 'unsupported_media_type',
    `${sent ? `Content-Type "${sent.split(';')[0]}" is not supported` : 'The body has no Content-Type'}: send JSON with "Content-Type: application/json"`,
    'Content-Type'));
};
