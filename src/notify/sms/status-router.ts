/**
 * `POST /integrations/twilio/status`: Twilio's delivery receipts for the SMS we sent.
 * The X-Twilio-Signature covers the full public URL Twilio called plus the form params, so `publicUrl`
 * must rebuild that URL exactly (scheme, host and query as Twilio saw them, not as a proxy rewrote them).
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import twilio from 'twilio';
import { z } from 'zod';
import type { SmsStore } from './store.js';

export interface TwilioStatusRouterDeps {
  authToken: string;
  /** The exact URL Twilio posted to, e.g. `(req) => new URL(req.originalUrl, PUBLIC_BASE_URL).href`. */
  publicUrl: (req: Request) => string;
  store: SmsStore;
  logger: Logger;
}

export const STATUS_CALLBACK_PATH = '/integrations/twilio/status';

const statusCallback = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/),
  // Twilio adds statuses over time; store any lowercase token rather than rejecting a new one.
  MessageStatus: z.string().regex(/^[a-z_]{1,32}$/),
  ErrorCode: z.string().regex(/^\d{1,8}$/).optional(),
});

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createTwilioStatusRouter(deps: TwilioStatusRouterDeps): Router {
  const router = express.Router();
  const log = deps.logger.child({ route: 'twilio-status' });

  router.post(STATUS_CALLBACK_PATH, express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    try {
      // Params include the customer's `To` number: they are checked and read, never logged.
      const params: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
      const signature = req.header('x-twilio-signature');
      if (!signature || !twilio.validateRequest(deps.authToken, signature, deps.publicUrl(req), params)) {
        log.warn('rejected Twilio status callback with a missing or invalid signature');
        sendError(res, 403, 'invalid_signature', 'Twilio signature check failed');
        return;
      }
      const parsed = statusCallback.safeParse(params);
      if (!parsed.success) {
        const field = parsed.error.issues[0]?.path.join('.') || 'body';
        sendError(res, 400, 'invalid_request', `${field}: invalid or missing`);
        return;
      }
      const { MessageSid: sid, MessageStatus: status, ErrorCode: errorCode } = parsed.data;
      const known = await deps.store.recordStatus(sid, status, errorCode);
      log.info({ sid, status, errorCode, known }, known ? 'SMS status recorded' : 'status for an unknown SMS ignored');
      // 2xx either way: an unknown sid will not become known by Twilio retrying.
      res.status(204).end();
    } catch (err) {
      log.error({ err }, 'recording SMS status failed');
      sendError(res, 500, 'internal', 'Could not record the status');
    }
  });
  return router;
}
