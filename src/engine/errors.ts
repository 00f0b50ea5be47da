import type { ZodError } from 'zod';

/** Client-facing errors: a code, a message and the field at fault; the API maps them to 4xx JSON. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** 503: the service is behind; nothing was written. Retry after `retryAfterSeconds`. */
export class OverloadedError extends RequestError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(503, 'overloaded', message);
  }
}

export const badRequest = (code: string, message: string, field?: string) => new RequestError(400, code, message, field);
export const notFound = (what: string) => new RequestError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new RequestError(409, code, message);

/** Zod issue → one clear error naming the field. */
export function fromZod(err: ZodError, prefix = ''): RequestError {
  const issue = err.issues[0]!;
  const field = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
  return new RequestError(400, 'validation_failed', `${field || 'body'}: ${issue.message}`, field || undefined);
}
