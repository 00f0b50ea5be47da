/**
 * Delivers an order to the provider's own endpoint as a signed Standard Webhooks POST.
 * `webhook-id` is the execution's idempotency key, so every retry (and a re-run after a crash) carries the
 * same id and the receiver can drop duplicates; the timestamp and signature are fresh per attempt.
 */
import type { ActionHandler, CanHandle, HandlerContext, HandlerResult } from '../../src/engine/types.js';
import { ErrorCode, HandlerError } from '../../src/engine/types.js';
import { readWebhookSettings } from './config.js';
import { buildOrderCancelledPayload, buildOrderRequestedPayload } from './payload.js';
import { mapWebhookResponse } from './response-mapping.js';
import { signWebhook, unixSeconds } from './signing.js';

export interface WebhookHandlerDeps {
  fetch?: typeof fetch;
}

/** Receivers answer with a small JSON status; anything past this is not worth holding in memory. */
const MAX_RESPONSE_BYTES = 64 * 1024;

async function readCappedText(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_RESPONSE_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

/** The origin only: a webhook URL's path or query may embed a token, and operator messages must not show it. */
function describeEndpoint(url: string): string {
  return new URL(url).host;
}

function transportFailure(err: unknown, ctx: HandlerContext, timeoutSignal: AbortSignal, endpoint: string): HandlerResult {
  if (ctx.signal.aborted) {
    return { kind: 'retryable', error: HandlerError.transient(ErrorCode.Timeout, `Step time budget ran out while calling ${endpoint}`) };
  }
  if (timeoutSignal.aborted) {
    return { kind: 'retryable', error: HandlerError.transient(ErrorCode.Timeout, `Webhook endpoint ${endpoint} did not answer in time`) };
  }
  const detail = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
  return { kind: 'retryable', error: HandlerError.transient(ErrorCode.Unavailable, `Could not reach ${endpoint}: ${detail}`) };
}

export function createWebhookHandler(deps: WebhookHandlerDeps = {}): ActionHandler {
  const doFetch = deps.fetch ?? globalThis.fetch;
  const actionTypes = ['order'] as const;

  return {
    name: 'webhook',

    canHandle(action, _provider, integration): CanHandle {
      if (integration.type !== 'webhook') return { ok: false, reason: `integration type is ${integration.type}` };
      if (!integration.enabled) return { ok: false, reason: 'integration is disabled' };
      if (!(actionTypes as readonly string[]).includes(action.type)) return { ok: false, reason: `action type ${action.type} is not supported` };
      const settings = readWebhookSettings(integration);
      return settings.ok ? { ok: true } : { ok: false, reason: settings.reason };
    },

    async execute(ctx): Promise<HandlerResult> {
      const settings = readWebhookSettings(ctx.integration);
      if (!settings.ok) return { kind: 'permanent', error: HandlerError.permanent(ErrorCode.Misconfigured, settings.reason) };
      const { config, secret } = settings;

      const webhookId = ctx.execution.idempotencyKey;
      const timestamp = unixSeconds(ctx.now());
      const body = JSON.stringify(buildOrderRequestedPayload(ctx));
      const endpoint = describeEndpoint(config.url);
      const timeoutSignal = AbortSignal.timeout(config.timeoutSeconds * 1000);

      let response: Response;
      let bodyText: string;
      try {
        response = await doFetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': webhookId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook({ id: webhookId, timestamp, body, secret }),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([ctx.signal, timeoutSignal]),
        });
        bodyText = await readCappedText(response);
      } catch (err) {
        const result = transportFailure(err, ctx, timeoutSignal, endpoint);
        ctx.logger.warn({ webhookId, endpoint, attempt: ctx.execution.attempt, code: result.kind === 'retryable' ? result.error.code : undefined }, 'webhook delivery failed');
        return result;
      }

      ctx.logger.info({ webhookId, endpoint, status: response.status, attempt: ctx.execution.attempt }, 'webhook delivered');
      const answer = mapWebhookResponse({ status: response.status, headers: response.headers, bodyText }, ctx.now());
      switch (answer.kind) {
        case 'confirmed':
          return {
            kind: 'completed',
            externalRef: webhookId,
            orderNumber: answer.orderNumber ?? (await ctx.orderNumber()),
            // No message of our own: the engine's says "Order confirmed! Order #<their number>, ready in <their minutes>".
            ...(answer.readyInMinutes !== undefined ? { readyInMinutes: answer.readyInMinutes } : {}),
          };
        case 'accepted':
          return {
            kind: 'awaiting',
            externalRef: webhookId,
            message: `Sent to ${ctx.provider.name}; waiting for their confirmation`,
            timeoutMs: config.confirmTimeoutMinutes * 60 * 1000,
          };
        default:
          return answer;
      }
    },

    /** A signed `order.cancelled` event to the same endpoint; any 2xx is delivered, 429/5xx are retried. */
    async cancel(ctx) {
      const settings = readWebhookSettings(ctx.integration);
      if (!settings.ok) throw HandlerError.permanent(ErrorCode.Misconfigured, settings.reason);
      const { config, secret } = settings;
      // Its own message id (a different message from the order), the same on every retry of this cancellation.
      const webhookId = `${ctx.execution.idempotencyKey}:cancelled`;
      const timestamp = unixSeconds(ctx.now());
      const body = JSON.stringify(buildOrderCancelledPayload(ctx));
      const endpoint = describeEndpoint(config.url);
      let response: Response;
      try {
        response = await doFetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook({ id: webhookId, timestamp, body, secret }) },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeoutSeconds * 1000)]),
        });
        await readCappedText(response);
      } catch (err) {
        const detail = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
        throw HandlerError.transient(ErrorCode.Unavailable, `Could not reach ${endpoint}: ${detail}`);
      }
      ctx.logger.info({ webhookId, endpoint, status: response.status }, 'order.cancelled webhook delivered');
      if (response.ok) return;
      const answer = mapWebhookResponse({ status: response.status, headers: response.headers, bodyText: '' }, ctx.now());
      if (answer.kind === 'retryable' || answer.kind === 'permanent') throw answer.error;
    },
  };
}
