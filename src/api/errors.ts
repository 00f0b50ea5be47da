import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { OverloadedError, RequestError, fromZod } from '../engine/errors.js';

export interface ErrorBody { error: { code: string; message: string; field?: string } }

export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } } satisfies ErrorBody);
};

function isClientError(e: { status?: number; statusCode?: number }): boolean {
  const status = e.status ?? e.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

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
  } else if (err instanceof URIError) {
    // The router could not percent-decode a path segment (e.g. /actions/%E0%A4%A).
    status = 400;
    body = { error: { code: 'invalid_url', message: 'The request path is not valid percent-encoded UTF-8' } };
  } else if (isClientError(e)) {
    // Anything else the HTTP stack already classified as the client's fault (a body that is not the gzip its
    // Content-Encoding says, a stream aborted mid-body...): keep its 4xx, with a fixed message.
    status = e.status ?? e.statusCode!;
    body = { error: { code: 'bad_request', message: status === 408 ? 'The request body did not arrive in time' : 'The request body could not be read' } };
  } else {
    status = 500;
    body = { error: { code: 'internal_error', message: 'Something went wrong; it has been logged' } };
    req.log?.error({ err }, 'unhandled error');
  }
  if (res.headersSent) return;
  res.status(status).json(body);
};
