/**
 * How a receiver's HTTP answer maps onto the handler result, following the Standard Webhooks delivery rules:
 * 2xx is success, 3xx counts as failure, 410 means "stop sending", 429/5xx mean "try later" (honour Retry-After).
 */
import { z } from 'zod';
import { ErrorCode, HandlerError } from '../../src/engine/types.js';

/** Longest server-requested delay we accept; a larger Retry-After is capped rather than parking the order for hours. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

const receiverAnswer = z.object({
  status: z.string().optional(),
  order_number: z.union([z.string().trim().min(1).max(64), z.number().int().nonnegative()]).optional().catch(undefined),
  ready_in_minutes: z.number().int().min(0).max(24 * 60).optional().catch(undefined),
  reason: z.string().max(500).optional().catch(undefined),
});

export type WebhookAnswer =
  | { kind: 'confirmed'; orderNumber?: string; readyInMinutes?: number }
  | { kind: 'accepted' }
  | { kind: 'retryable'; error: HandlerError; retryAfterMs?: number }
  | { kind: 'permanent'; error: HandlerError };

export interface ReceiverResponse {
  status: number;
  headers: Headers;
  bodyText: string;
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let delayMs: number;
  if (/^\d+$/.test(trimmed)) {
    delayMs = Number(trimmed) * 1000;
  } else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    delayMs = at - now.getTime();
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

function parseAnswer(bodyText: string): z.infer<typeof receiverAnswer> | null {
  if (bodyText.trim() === '') return null;
  try {
    const parsed = receiverAnswer.safeParse(JSON.parse(bodyText));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function retryable(code: ErrorCode, message: string, retryAfterMs: number | undefined): WebhookAnswer {
  const error = HandlerError.transient(code, message);
  return retryAfterMs === undefined ? { kind: 'retryable', error } : { kind: 'retryable', error, retryAfterMs };
}

function permanent(code: ErrorCode, message: string): WebhookAnswer {
  return { kind: 'permanent', error: HandlerError.permanent(code, message) };
}

export function mapWebhookResponse(response: ReceiverResponse, now: Date): WebhookAnswer {
  const { status } = response;
  if (status >= 200 && status < 300) {
    // 202 means "accepted, not yet acted on" whatever the body says: the confirmation comes later via the confirm route.
    if (status === 202) return { kind: 'accepted' };
    const answer = parseAnswer(response.bodyText);
    if (answer?.status === 'declined') {
      return permanent(ErrorCode.Declined, `Provider declined the order${answer.reason ? `: ${answer.reason}` : ''}`);
    }
    if (answer?.status !== 'confirmed') return { kind: 'accepted' };
    return {
      kind: 'confirmed',
      ...(answer.order_number !== undefined ? { orderNumber: String(answer.order_number) } : {}),
      ...(answer.ready_in_minutes !== undefined ? { readyInMinutes: answer.ready_in_minutes } : {}),
    };
  }

  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
  if (status >= 300 && status < 400) {
    // The spec counts 3xx as a failed delivery; a redirecting endpoint is a wrong URL that retries will not fix.
    return permanent(ErrorCode.Misconfigured, `Webhook endpoint redirected (HTTP ${status}); configure the final URL`);
  }
  if (status === 429) return retryable(ErrorCode.RateLimited, 'Webhook endpoint is rate limiting (HTTP 429)', retryAfterMs);
  if (status === 408) return retryable(ErrorCode.Timeout, 'Webhook endpoint timed out (HTTP 408)', retryAfterMs);
  if (status >= 500) return retryable(ErrorCode.Unavailable, `Webhook endpoint failed (HTTP ${status})`, retryAfterMs);
  if (status === 410) return permanent(ErrorCode.Misconfigured, 'Webhook endpoint is gone (HTTP 410); disable or update it');
  if (status === 401 || status === 403) {
    return permanent(ErrorCode.Unauthorized, `Webhook endpoint rejected our signature (HTTP ${status}); check the signing secret`);
  }
  if (status === 404) return permanent(ErrorCode.Misconfigured, 'Webhook endpoint not found (HTTP 404)');
  return permanent(ErrorCode.BadRequest, `Webhook endpoint rejected the order (HTTP ${status})`);
}
