/**
 * Square SDK failures → our retryable/permanent results. Messages are for operators: Square's error codes and
 * details only, never the token (the SDK's own message embeds the whole response body, so it is not reused).
 */
import { SquareError, SquareTimeoutError } from 'square';
import { ErrorCode, HandlerError, type HandlerResult } from '../../src/engine/types.js';

export interface ClassifyContext {
  /** The engine's step signal: when it fired, the failure is ours (budget spent), not Square's. */
  signal: AbortSignal;
  timeoutSeconds: number;
  now(): Date;
}

export function classifySquareFailure(error: unknown, ctx: ClassifyContext): Extract<HandlerResult, { kind: 'retryable' | 'permanent' }> {
  // The request may have reached Square in every timeout/network case below; retrying is safe only because
  // the retry reuses the idempotency key.
  if (ctx.signal.aborted) return retryable(ErrorCode.Timeout, 'Step time budget ran out while waiting for Square');
  if (error instanceof SquareTimeoutError || (error instanceof SquareError && isSdkTimeout(error))) {
    return retryable(ErrorCode.Timeout, `Square did not answer within ${ctx.timeoutSeconds}s`);
  }
  if (!(error instanceof SquareError)) {
    return { kind: 'permanent', error: HandlerError.permanent(ErrorCode.Unknown, `Square call failed: ${maskPhoneLike(describe(error))}`) };
  }
  const status = error.statusCode;
  if (status === undefined) return retryable(ErrorCode.Unavailable, `Could not reach Square (${networkReason(error)})`);
  const detail = squareDetail(error);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(error.rawResponse?.headers.get('retry-after') ?? null, ctx.now());
    return { ...retryable(ErrorCode.RateLimited, `Square rate limited the request (${detail})`), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 408) return retryable(ErrorCode.Timeout, `Square timed out the request (${detail})`);
  if (status >= 500) return retryable(ErrorCode.Unavailable, `Square is unavailable: HTTP ${status} (${detail})`);
  if (status === 401 || status === 403) {
    return permanent(ErrorCode.Unauthorized, `Square rejected the access token: HTTP ${status} (${detail})`);
  }
  if (status === 400 || status === 404 || status === 422) return permanent(ErrorCode.BadRequest, `Square rejected the order: HTTP ${status} (${detail})`);
  return permanent(ErrorCode.Unknown, `Square answered HTTP ${status} (${detail})`);
}

/**
 * With Node's native fetch the SDK's own timeout does NOT surface as SquareTimeoutError: its timer aborts with
 * the string reason "timeout", fetch rejects with that string, and the SDK wraps it as a plain SquareError.
 */
function isSdkTimeout(error: SquareError): boolean {
  const cause: unknown = error.cause;
  return cause === 'timeout' || (cause instanceof Error && (cause.name === 'AbortError' || cause.name === 'TimeoutError'));
}

function networkReason(error: SquareError): string {
  const cause: unknown = error.cause;
  const code = cause instanceof Error && cause.cause instanceof Error ? (cause.cause as NodeJS.ErrnoException).code : undefined;
  return code ?? (cause instanceof Error ? cause.message : 'network error');
}

/** "CODE: detail" for each Square error, with anything phone-like masked (details can echo request fields). */
function squareDetail(error: SquareError): string {
  const parts = error.errors
    .map((e) => [e.code, e.field && `field ${e.field}`, e.detail].filter(Boolean).join(': '))
    .filter((p) => p.length > 0);
  return maskPhoneLike(parts.join('; ').slice(0, 500)) || 'no detail';
}

function maskPhoneLike(text: string): string {
  return text.replace(/\+?\d[\d ().-]{6,}\d/g, (m) => `${m.slice(0, 2)}***${m.slice(-2)}`);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function retryable(code: ErrorCode, message: string): { kind: 'retryable'; error: HandlerError } {
  return { kind: 'retryable', error: HandlerError.transient(code, message) };
}

function permanent(code: ErrorCode, message: string): { kind: 'permanent'; error: HandlerError } {
  return { kind: 'permanent', error: HandlerError.permanent(code, message) };
}
