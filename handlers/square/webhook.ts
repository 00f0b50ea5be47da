/**
 * Inbound Square webhooks: verify the HMAC over the exact bytes Square sent, drop duplicate deliveries by
 * event_id, and turn fulfillment state changes into ready / picked_up / cancelled outcomes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { ExternalOutcomes, FulfillmentState } from '../../src/engine/types.js';

export const SQUARE_SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

export interface SquareSignatureInput {
  rawBody: Buffer | string;
  signatureHeader: string | undefined;
  signatureKey: string;
  /** The exact URL of the subscription: Square signs notificationUrl + body, so a proxy rewriting it breaks this. */
  notificationUrl: string;
}

/** base64(HMAC-SHA256(signatureKey, notificationUrl + rawBody)), compared in constant time. */
export function verifySquareSignature({ rawBody, signatureHeader, signatureKey, notificationUrl }: SquareSignatureInput): boolean {
  if (!signatureHeader || !signatureKey) return false;
  const expected = createHmac('sha256', signatureKey).update(notificationUrl, 'utf8').update(rawBody).digest();
  const given = Buffer.from(signatureHeader, 'base64');
  // A length mismatch only reveals the (public) digest size, so the early return leaks nothing secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface SquareWebhookDeps {
  /** null → 404: no Square integration with a signature key for this provider. */
  signatureKeyFor(providerId: string): Promise<string | null>;
  /** The exact URL Square signs (the subscription's notification URL). */
  notificationUrl(providerId: string): string;
  findActionIdBySquareOrder(providerId: string, squareOrderId: string): Promise<string | null>;
  /**
   * For an order id we have no record of: its `reference_id` in Square (RetrieveOrder), which is our action id
   * for orders we placed; null without one, undefined when Square has no such order. Throws when Square cannot be asked.
   */
  squareOrderReference(providerId: string, squareOrderId: string): Promise<string | null | undefined>;
  /** Whether `actionId` is this provider's action still being worked on ('live'), finished ('done'), or not its action (null). */
  actionState(providerId: string, actionId: string): Promise<'live' | 'done' | null>;
  /** Atomically records the event; true the first time only. */
  markEventSeen(eventId: string): Promise<boolean>;
  /**
   * Optional undo for markEventSeen, called when applying the event failed, so Square's redelivery is
   * processed instead of being dropped as a duplicate. Without it a failed event is lost (and logged).
   */
  forgetEvent?(eventId: string): Promise<void>;
  outcomes: Pick<ExternalOutcomes, 'reportFulfillment'>;
  logger: Logger;
}

/** Square redelivers non-2xx answers on its own schedule; this is only a hint. */
const RETRY_AFTER_SECONDS = 30;

export const SQUARE_WEBHOOK_PATH = '/integrations/square/webhooks/:providerId';

const FULFILLMENT_OUTCOMES: Partial<Record<string, { state: FulfillmentState; message: string }>> = {
  PREPARED: { state: 'ready', message: 'Your order is ready for pickup' },
  COMPLETED: { state: 'picked_up', message: 'Your order was picked up' },
  CANCELED: { state: 'cancelled', message: 'The café cancelled your order.' },
};

interface FulfillmentUpdatedEvent {
  event_id: string;
  type: string;
  data?: { object?: { order_fulfillment_updated?: { order_id?: string; fulfillment_update?: { old_state?: string; new_state?: string }[] } } };
}

export function createSquareWebhookRouter(deps: SquareWebhookDeps): Router {
  const router = Router();
  // Raw bytes inside the router: the HMAC covers the body exactly as sent, which a JSON re-serialisation loses.
  router.post(SQUARE_WEBHOOK_PATH, express.raw({ type: '*/*', limit: '256kb' }), async (req: Request<{ providerId: string }>, res: Response) => {
    const { providerId } = req.params;
    const log = deps.logger.child({ route: 'square-webhook', providerId });
    try {
      // express.raw leaves req.body undefined for a bodiless POST; that simply fails the signature check below.
      const rawBody: unknown = req.body ?? Buffer.alloc(0);
      if (!Buffer.isBuffer(rawBody)) {
        // An app-wide express.json() ran first and consumed the stream; the signature can no longer be checked.
        log.error('raw body unavailable: mount the Square webhook router before any JSON body parser');
        return sendError(res, 500, 'raw_body_unavailable', 'Webhook body was parsed before signature verification');
      }
      const signatureKey = await deps.signatureKeyFor(providerId);
      if (signatureKey === null) return sendError(res, 404, 'not_found', 'No Square webhook is configured for this provider');

      const valid = verifySquareSignature({
        rawBody,
        signatureHeader: req.get(SQUARE_SIGNATURE_HEADER),
        signatureKey,
        notificationUrl: deps.notificationUrl(providerId),
      });
      if (!valid) {
        log.warn('rejected Square webhook with an invalid signature');
        return sendError(res, 401, 'invalid_signature', 'Square webhook signature does not match');
      }

      const event = parseEvent(rawBody);
      if (event === null) return sendError(res, 400, 'invalid_payload', 'Webhook body is not a Square event');
      if (event.type !== 'order.fulfillment.updated') return res.status(200).json({ received: true, ignored: 'event type' });
      if (!(await deps.markEventSeen(event.event_id))) {
        log.info({ eventId: event.event_id }, 'duplicate Square event ignored');
        return res.status(200).json({ received: true, duplicate: true });
      }

      try {
        const applied = await applyFulfillmentEvent(deps, providerId, event, log);
        if (applied.retryLater) {
          // Too early to apply (see below): forget it, so Square's redelivery (it retries non-2xx answers) is processed.
          if (deps.forgetEvent) await deps.forgetEvent(event.event_id);
          log.info({ eventId: event.event_id, reason: applied.retryLater }, 'Square event came early; asking for redelivery');
          res.set('Retry-After', String(RETRY_AFTER_SECONDS));
          return sendError(res, 503, 'retry_later', `Not ready for this event yet (${applied.retryLater}); deliver it again`);
        }
        return res.status(200).json({ received: true, ...applied });
      } catch (error) {
        if (deps.forgetEvent) await deps.forgetEvent(event.event_id);
        else log.error({ eventId: event.event_id }, 'event marked seen but not applied; redelivery will be ignored');
        throw error;
      }
    } catch (error) {
      log.error({ err: error }, 'Square webhook failed');
      // 5xx makes Square redeliver later.
      return sendError(res, 500, 'internal', 'Webhook processing failed');
    }
  });
  return router;
}

async function applyFulfillmentEvent(
  deps: SquareWebhookDeps,
  providerId: string,
  event: FulfillmentUpdatedEvent,
  log: Logger,
): Promise<{ ignored?: string; reported?: FulfillmentState[]; retryLater?: string }> {
  const updated = event.data?.object?.order_fulfillment_updated;
  const squareOrderId = updated?.order_id;
  if (!squareOrderId) return { ignored: 'no order id' };
  let actionId = await deps.findActionIdBySquareOrder(providerId, squareOrderId);
  if (actionId === null) {
    // No record of this order id: ask Square whose it is (the reference id we set on every order we place).
    let reference: string | null | undefined;
    try {
      reference = await deps.squareOrderReference(providerId, squareOrderId);
    } catch (err) {
      log.warn({ squareOrderId, err: (err as Error).message }, 'could not look the order up in Square');
      return { retryLater: 'order lookup failed' };
    }
    const state = reference ? await deps.actionState(providerId, reference) : null;
    // Not ours (an in-store order, or another app's): acknowledge so Square does not retry for 24 hours.
    if (state === null) return { ignored: 'unknown order' };
    // Ours, its id not recorded yet (a worker died between Square's answer and the record; the step's takeover
    // re-asks Square with the same idempotency key and records it): have Square deliver again.
    if (state === 'live') return { retryLater: 'order not known yet' };
    actionId = reference!; // ours and finished without the record: apply it to that action
  }

  const reported: FulfillmentState[] = [];
  for (const update of updated?.fulfillment_update ?? []) {
    // new_state equals old_state when only a non-state field changed.
    if (!update.new_state || update.new_state === update.old_state) continue;
    const outcome = FULFILLMENT_OUTCOMES[update.new_state];
    if (!outcome || reported.includes(outcome.state)) continue;
    const result = await deps.outcomes.reportFulfillment(actionId, outcome.state, outcome.message);
    // "Ready" for an order we are still placing: apply nothing now, in order later (the redelivery).
    if (result.retryLater) return { retryLater: 'order still being placed' };
    log.info({ eventId: event.event_id, actionId, squareOrderId, state: outcome.state, applied: result.applied }, 'Square fulfillment update');
    reported.push(outcome.state);
  }
  return { reported };
}

function parseEvent(body: Buffer): FulfillmentUpdatedEvent | null {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { event_id: eventId, type } = parsed as Record<string, unknown>;
    return typeof eventId === 'string' && eventId !== '' && typeof type === 'string' ? (parsed as FulfillmentUpdatedEvent) : null;
  } catch {
    return null;
  }
}

function sendError(res: Response, status: number, code: string, message: string): Response {
  return res.status(status).json({ error: { code, message } });
}
