/**
 * The email's one-click links. GET shows a page (mail scanners prefetch links, so GET never changes
 * anything); the page's button POSTs the decision with optional order number and ready-in minutes.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { summarizeOrder } from '../../engine/order-summary.js';
import type { ExternalOutcomes, OutcomeResult } from '../../engine/types.js';
import { confirmationTarget } from '../../storage/integration-lookups.js';
import { toActionView } from '../../storage/views.js';
import { verifyLink, type LinkPurpose } from '../links.js';

const ConfirmForm = z.object({
  order_number: z.string().trim().max(40).optional().transform((v) => v || undefined),
  ready_in_minutes: z.union([z.string(), z.number()]).optional().transform((v) => (v === undefined || v === '' ? undefined : Number(v)))
    .pipe(z.number().int().min(0).max(1440).optional()),
});
const DeclineForm = z.object({ reason: z.string().trim().max(300).optional().transform((v) => v || 'declined by the provider') });

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const page = (title: string, body: string) => `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222"><h2>${esc(title)}</h2>${body}</body></html>`;

function reply(req: Request, res: Response, status: number, title: string, message: string, code: string, extra: Record<string, unknown> = {}): void {
  if (req.accepts(['html', 'json']) === 'json') {
    res.status(status).json(status >= 400 ? { error: { code, message } } : { status: code, message, ...extra });
  } else {
    res.status(status).type('html').send(page(title, `<p>${esc(message)}</p>`));
  }
}

const CANCELLED_TITLE = 'Order cancelled — nothing to prepare';

/**
 * A link to an order that is no longer waiting for the café. Cancelled: the page a person opens says so plainly
 * (200: nothing is wrong with the link), a decision or a JSON client gets 409 `order_cancelled`.
 */
function notOpen(req: Request, res: Response, status: string, byCafe = false): void {
  if (status !== 'cancelled') return reply(req, res, 409, 'Already handled', `This order is already ${status.replace('_', ' ')}.`, 'already_handled');
  const message = byCafe ? 'This order was cancelled in your system — nothing to prepare.' : 'This order was cancelled by the customer — nothing to prepare.';
  const asPage = req.method === 'GET' && req.accepts(['html', 'json']) !== 'json';
  reply(req, res, asPage ? 200 : 409, CANCELLED_TITLE, message, 'order_cancelled');
}

/** How long a click waits for the step that sent the email to record it (the café can be faster than our write). */
const EARLY_CLICK_WAIT_MS = 5_000;
const EARLY_CLICK_POLL_MS = 200;
const RETRY_AFTER_SECONDS = 5;

/** Runs a decision, waiting (bounded) while it is too early: the email is out but its step is not yet recorded. */
async function decideWhenReady(decide: () => Promise<OutcomeResult>): Promise<OutcomeResult> {
  const deadline = Date.now() + EARLY_CLICK_WAIT_MS;
  let outcome = await decide();
  while (outcome.retryLater && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, EARLY_CLICK_POLL_MS));
    outcome = await decide();
  }
  return outcome;
}

function tooEarly(req: Request, res: Response): void {
  res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  reply(req, res, 503, 'One moment', `The order is still being placed; try again in ${RETRY_AFTER_SECONDS} seconds.`, 'not_ready');
}

export function confirmLinksRouter(deps: { outcomes: ExternalOutcomes; secret: string; now: () => Date }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const json = express.json({ limit: '8kb' });

  const check = async (req: Request, res: Response, purpose: LinkPurpose) => {
    const link = verifyLink(String(req.params.token), deps.secret, deps.now(), purpose);
    if (!link.ok) {
      const expired = link.reason === 'expired';
      reply(req, res, expired ? 410 : 404, expired ? 'This link has expired' : 'Link not valid',
        expired ? 'This link has expired; the order was passed on to our operators.' : 'This link is not valid.', expired ? 'link_expired' : 'invalid_link');
      return null;
    }
    const target = await confirmationTarget(link.payload.executionId);
    if (!target) reply(req, res, 404, 'Order not found', 'This order no longer exists.', 'not_found');
    return target;
  };

  router.get('/confirm/:token', async (req, res) => {
    const found = await check(req, res, 'confirm');
    if (!found) return;
    const summary = summarizeOrder(toActionView(found.action));
    if (!found.open) return notOpen(req, res, found.action.status, found.action.fulfillment === 'cancelled');
    res.type('html').send(page(`Confirm order for ${found.provider?.name ?? 'your café'}`, `<p>${esc(summary)}</p>
<form method="post"><p><label>Ready in (minutes) <input name="ready_in_minutes" type="number" min="0" max="1440" value="${found.provider?.prepMinutes ?? 10}"></label></p>
<p><label>Your order number (optional) <input name="order_number" maxlength="40"></label></p>
<p><button type="submit" style="background:#1a7f37;color:#fff;padding:10px 18px;border:0;border-radius:6px">Confirm order</button></p></form>`));
  });

  router.post('/confirm/:token', form, json, async (req, res) => {
    const found = await check(req, res, 'confirm');
    if (!found) return;
    const body = ConfirmForm.safeParse(req.body ?? {});
    if (!body.success) return reply(req, res, 400, 'Check the form', `${body.error.issues[0]?.path.join('.')}: ${body.error.issues[0]?.message}`, 'validation_failed');
    const completion = { orderNumber: body.data.order_number, readyInMinutes: body.data.ready_in_minutes, externalRef: `email:${found.executionId}` };
    const outcome = await decideWhenReady(() => deps.outcomes.confirm(found.executionId, completion));
    if (outcome.retryLater) return tooEarly(req, res);
    if (!outcome.applied) return notOpen(req, res, outcome.status);
    reply(req, res, 200, 'Order confirmed — thank you!', 'The customer has been told their order is confirmed.', 'confirmed', { action: outcome });
  });

  router.get('/decline/:token', async (req, res) => {
    const found = await check(req, res, 'decline');
    if (!found) return;
    if (!found.open) return notOpen(req, res, found.action.status, found.action.fulfillment === 'cancelled');
    res.type('html').send(page('Decline this order?', `<p>${esc(summarizeOrder(toActionView(found.action)))}</p>
<form method="post"><p><label>Reason (optional) <input name="reason" maxlength="300"></label></p>
<p><button type="submit" style="background:#cf222e;color:#fff;padding:10px 18px;border:0;border-radius:6px">Decline order</button></p></form>`));
  });

  router.post('/decline/:token', form, json, async (req, res) => {
    const found = await check(req, res, 'decline');
    if (!found) return;
    const body = DeclineForm.safeParse(req.body ?? {});
    if (!body.success) return reply(req, res, 400, 'Check the form', 'reason is too long', 'validation_failed');
    const outcome = await decideWhenReady(() => deps.outcomes.decline(found.executionId, body.data.reason));
    if (outcome.retryLater) return tooEarly(req, res);
    if (!outcome.applied) return notOpen(req, res, outcome.status);
    reply(req, res, 200, 'Order declined', 'Thanks for letting us know; we will place it another way.', 'declined', { action: outcome });
  });

  return router;
}
