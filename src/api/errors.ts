import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { OverloadedError, RequestError, fromZod } from '../engine/errors.js';

export interface ErrorBody { error: { code: string; message: string; field?: string } }

export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } } satisfies ErrorBody);
};

/** Errors with which the database driver or server refuses a value the client sent. */
function unstorable(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return e?.name === 'BSONError' || (e?.name === 'MongoServerError' && /nested arrays are not supported/.test(e.message ?? ''));
}

/** Every error leaves as JSON with the right status; no stack traces reach clients. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  let body: ErrorBody;
  let status: number;
  if (err instanceof RequestError) {
    status = err.status;
    if (err instanceof OverloadedError) res.set('Retry-After', String(err.retryAfterSeconds));
    body = { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
  } else if (err instanceof ZodError) {
    const r = fromZod(err);
    status = 400;
    body = { error: { code: r.code, message: r.message, ...(r.field ? { field: r.field } : {}) } };
  } else if (unstorable(err)) {
    // Backstop: a value the database refuses (an object key with a NUL; nested arrays on FerretDB) is the client's input.
    status = 400;
    body = { error: { code: 'invalid_input', message: 'The request contains a value that cannot be stored (an object key with a NUL character, or an array inside an array)' } };
  } else if (e.type === 'entity.too.large') {
    status = 413;
    body = { error: { code: 'payload_too_large', message: 'Request body is too large' } };
  } else if (e.type === 'entity.parse.failed') {
    status = 400;
    body = { error: { code: 'invalid_json', message: 'Request body is not valid JSON' } };
  } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    status = 415;
    body = { error: { code: 'unsupported_encoding', message: 'Unsupported request encoding' } };
  } else {
    status = 500;
    body = { error: { code: 'internal_error', message: 'Something went wrong; it has been logged' } };
    req.log?.error({ err }, 'unhandled error');
  }
  if (res.headersSent) return;
  res.status(status).json(body);
};
