/**
 * `POST /integrations/webhooks/:providerId/confirm`: the provider's signed answer to an order it accepted with 202.
 * The receiver signs with the same per-provider secret we sign deliveries with (Standard Webhooks format).
 * Mount this router before any app-wide body parser: the signature covers the raw bytes, so it reads them itself.
 */
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ExternalOutcomes } from '../../src/engine/types.js';
import type { HeaderBag } from './signing.js';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from './signing.js';

export interface WebhookConfirmRouterDeps {
  /** The provider's webhook signing secret, or null when it has no webhook integration. */
  secretFor(providerId: string): Promise<string | null>;
  executionBelongsTo(executionId: string, providerId: string): Promise<boolean>;
  outcomes: ExternalOutcomes;
  logger: Logger;
  now?: () => Date;
  toleranceSeconds?: number;
}

export const confirmationSchema = z.object({
  execution_id: z.string().trim().min(1).max(200),
  status: z.enum(['confirmed', 'declined']),
  order_number: z.string().trim().min(1).max(64).optional(),
  ready_in_minutes: z.number().int().min(0).max(24 * 60).optional(),
  reason: z.string().trim().max(500).optional(),
});

export type WebhookConfirmation = z.infer<typeof confirmationSchema>;

function sendError(res: Response, status: number, code: string, message: string, field?: string): void {
  res.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
}

function parseConfirmation(raw: Buffer): { ok: true; value: WebhookConfirmation } | { ok: false; message: string; field?: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, message: 'Body is not valid JSON' };
  }
  const parsed = confirmationSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || undefined;
  return { ok: false, message: `${field ?? 'body'}: ${issue?.message ?? 'invalid'}`, ...(field ? { field } : {}) };
}

/** Accepts any (or no) content type: the bytes are checked against the signature before anything reads them as JSON. */
/** How soon a confirmation that came too early should be sent again. */
const RETRY_AFTER_SECONDS = 5;

const rawBodyParser = express.raw({ type: () => true, limit: '64kb' });

/** Answers parser failures (too large, aborted) in our JSON error shape instead of Express's HTML page. */
function readRawBody(req: Request, res: Response, next: NextFunction): void {
  rawBodyParser(req, res, (err?: unknown) => {
    if (!err) return next();
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 400;
    sendError(res, status, status === 413 ? 'payload_too_large' : 'invalid_request', status === 413 ? 'Body exceeds 64kb' : 'Could not read the body');
  });
}

export function createWebhookConfirmRouter(deps: WebhookConfirmRouterDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = express.Router();

  router.post(
    '/integrations/webhooks/:providerId/confirm',
    readRawBody,
    async (req: Request<{ providerId: string }>, res: Response) => {
      const { providerId } = req.params;
      const log = deps.logger.child({ route: 'webhook-confirm', providerId });
      try {
        // Express 5 leaves `req.body` undefined when there was no body at all.
        const rawBody: unknown = req.body ?? Buffer.alloc(0);
        if (!Buffer.isBuffer(rawBody)) {
          // Another parser consumed the stream first, so the signed bytes are gone.
          log.error('raw body unavailable: mount the webhook confirm router before app-wide body parsers');
          sendError(res, 500, 'internal', 'Raw body unavailable');
          return;
        }

        const secret = await deps.secretFor(providerId);
        if (!secret) {
          sendError(res, 404, 'not_found', 'No webhook integration for this provider');
          return;
        }
        const verified = verifyWebhook({
          headers: req.headers as HeaderBag,
          rawBody,
          secrets: [secret],
          now: now(),
          toleranceSeconds: deps.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        });
        if (!verified.ok) {
          log.warn({ reason: verified.reason }, 'rejected webhook confirmation');
          sendError(res, 401, 'invalid_signature', `Signature check failed: ${verified.reason}`);
          return;
        }

        const parsed = parseConfirmation(rawBody);
        if (!parsed.ok) {
          sendError(res, 400, 'invalid_request', parsed.message, parsed.field);
          return;
        }
        const confirmation = parsed.value;
        if (!(await deps.executionBelongsTo(confirmation.execution_id, providerId))) {
          sendError(res, 404, 'not_found', 'execution_id: no such execution for this provider', 'execution_id');
          return;
        }

        const outcome =
          confirmation.status === 'confirmed'
            ? await deps.outcomes.confirm(confirmation.execution_id, {
                externalRef: verified.id,
                ...(confirmation.order_number !== undefined ? { orderNumber: confirmation.order_number } : {}),
                ...(confirmation.ready_in_minutes !== undefined ? { readyInMinutes: confirmation.ready_in_minutes } : {}),
              })
            : await deps.outcomes.decline(confirmation.execution_id, confirmation.reason || 'Declined by the provider');
        log.info({ executionId: confirmation.execution_id, status: confirmation.status, applied: outcome.applied, webhookId: verified.id }, 'webhook confirmation handled');
        if (outcome.retryLater) {
          // It came before our record of the delivery it answers: not lost, not applied; the receiver retries.
          res.set('Retry-After', String(RETRY_AFTER_SECONDS));
          sendError(res, 503, 'not_ready', `The order is still being placed; retry in ${RETRY_AFTER_SECONDS} s`);
          return;
        }
        // Late or duplicate confirmations still get 200 so the receiver stops retrying; `applied` says nothing changed.
        res.status(200).json({ applied: outcome.applied, status: outcome.status });
      } catch (err) {
        log.error({ err }, 'webhook confirmation failed');
        sendError(res, 500, 'internal', 'Could not process the confirmation');
      }
    },
  );
  return router;
}
