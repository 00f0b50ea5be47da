/**
 * Square POS handler: one CreateOrder call per attempt, keyed by the execution's idempotency key so that a
 * retry, or a re-run after a crash, gets Square's existing order back instead of creating a second one.
 */
import { SquareClient } from 'square';
import { ErrorCode, HandlerError } from '../../src/engine/types.js';
import type { ActionHandler, CancelContext, CanHandle, HandlerContext, HandlerResult } from '../../src/engine/types.js';
import { parseSquareIntegration } from './config.js';
import { classifySquareFailure } from './errors.js';
import { buildCreateOrderRequest } from './order-request.js';

export interface SquareHandlerDeps {
  /** Injected so tests (and the simulator) can point the real SDK elsewhere; defaults to `new SquareClient`. */
  createClient?: (opts: { token: string; baseUrl: string }) => SquareClient;
}

export function createSquareHandler(deps: SquareHandlerDeps = {}): ActionHandler {
  const createClient = deps.createClient ?? (({ token, baseUrl }) => new SquareClient({ token, baseUrl }));

  return {
    name: 'square',

    canHandle(action, _provider, integration): CanHandle {
      if (action.type !== 'order') return { ok: false, reason: `square handles orders, not ${action.type}` };
      if (integration.type !== 'api') return { ok: false, reason: 'integration is not an api integration' };
      if (action.order.lines.length === 0) return { ok: false, reason: 'order has no lines' };
      // Config is validated in execute() so a broken config is recorded as a failure, not silently skipped.
      return { ok: true };
    },

    async execute(ctx: HandlerContext): Promise<HandlerResult> {
      const parsed = parseSquareIntegration(ctx.integration);
      if (!parsed.ok) return { kind: 'permanent', error: HandlerError.permanent(ErrorCode.Misconfigured, parsed.message) };
      const { config, secrets, baseUrl } = parsed;
      const log = ctx.logger.child({ handler: 'square', executionId: ctx.execution.id, attempt: ctx.execution.attempt });

      const orderNumber = await ctx.orderNumber();
      const prepMinutes = config.prepMinutes ?? ctx.provider.prepMinutes;
      let request;
      try {
        request = buildCreateOrderRequest({
          idempotencyKey: ctx.execution.idempotencyKey,
          actionId: ctx.action.id,
          orderNumber,
          order: ctx.action.order,
          locationId: config.locationId,
          prepMinutes,
          catalogMap: config.catalogMap,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { kind: 'permanent', error: HandlerError.permanent(ErrorCode.BadRequest, `Cannot build the Square order: ${message}`) };
      }

      const client = createClient({ token: secrets.accessToken, baseUrl });
      try {
        // maxRetries 0: the engine's chain owns retries; the SDK's default 2 would multiply every attempt by 3.
        const response = await client.orders.create(request, {
          maxRetries: 0,
          timeoutInSeconds: config.timeoutSeconds,
          abortSignal: ctx.signal,
        });
        const squareOrderId = response.order?.id;
        // Before anything else: Square may tell us about this order (ready, cancelled) before our result is saved.
        if (squareOrderId) await ctx.recordExternalRef(squareOrderId);
        const total = response.order?.totalMoney?.amount;
        if (!squareOrderId || total === undefined || total === null) {
          // Re-asking with the same idempotency key is harmless, so treat a malformed answer as transient.
          return { kind: 'retryable', error: HandlerError.transient(ErrorCode.Unavailable, 'Square answered without an order id or total') };
        }
        const totalCents = Number(total);
        if (totalCents !== ctx.action.order.totalCents) {
          // Expected when Square adds tax or its catalog price differs from ours; Square's figure is what the customer pays.
          log.info({ squareOrderId, ourTotalCents: ctx.action.order.totalCents, squareTotalCents: totalCents }, 'Square total differs from ours');
        }
        log.info({ squareOrderId }, 'Square order created');
        return {
          kind: 'completed',
          externalRef: squareOrderId,
          orderNumber,
          readyInMinutes: readyInMinutes(ctx.action.order.pickupAt, prepMinutes, ctx.now()),
          totalCents,
        };
      } catch (error) {
        const result = classifySquareFailure(error, { signal: ctx.signal, timeoutSeconds: config.timeoutSeconds, now: ctx.now });
        log.warn({ code: result.error.code, retryable: result.error.retryable }, result.error.message);
        return result;
      }
    },

    /**
     * The customer cancelled while the order was being placed (after completion the API refuses to cancel):
     * UpdateOrder sets the POS order and its fulfillments to CANCELED, so the kitchen does not make it.
     */
    async cancel(ctx: CancelContext): Promise<void> {
      const parsed = parseSquareIntegration(ctx.integration);
      if (!parsed.ok) throw HandlerError.permanent(ErrorCode.Misconfigured, parsed.message);
      const orderId = ctx.execution.externalRef;
      if (!orderId) return; // Square never returned an order id: there is nothing in the POS to cancel
      const client = createClient({ token: parsed.secrets.accessToken, baseUrl: parsed.baseUrl });
      const options = { maxRetries: 0, timeoutInSeconds: parsed.config.timeoutSeconds, abortSignal: ctx.signal };
      try {
        const { order } = await client.orders.get({ orderId }, options);
        if (!order || order.state !== 'OPEN') return; // already cancelled or completed in the POS
        await client.orders.update({
          orderId,
          idempotencyKey: `${ctx.execution.idempotencyKey}:cancel`,
          order: {
            locationId: order.locationId, version: order.version, state: 'CANCELED',
            fulfillments: (order.fulfillments ?? []).flatMap((f) => (f.uid ? [{ uid: f.uid, state: 'CANCELED' as const }] : [])),
          },
        }, options);
        ctx.logger.info({ squareOrderId: orderId }, 'Square order cancelled');
      } catch (error) {
        throw classifySquareFailure(error, { signal: ctx.signal, timeoutSeconds: parsed.config.timeoutSeconds, now: ctx.now }).error;
      }
    },
  };
}

/** ASAP: the prep time. Scheduled: until the pickup time, but never sooner than the kitchen can make it. */
function readyInMinutes(pickupAt: Date | null, prepMinutes: number, now: Date): number {
  if (pickupAt === null) return prepMinutes;
  return Math.max(prepMinutes, Math.ceil((pickupAt.getTime() - now.getTime()) / 60_000));
}
