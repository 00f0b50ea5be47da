/**
 * Texts the customer about their order through Twilio, exactly once per (action, event).
 * Persist before calling out: the dedupe record is claimed first, the outcome written in `finally`.
 * A sent or failed record means no second SMS. A record still "claimed" after `staleClaimMs` means its sender
 * died mid-send (the notify job is re-run only after its lock expired): one later attempt takes the claim over,
 * asks Twilio's message list whether the message exists (To + DateSent, matched on the exact body, which
 * carries the order number), records its SID if so, and sends only if not.
 *
 * The window that remains: a message Twilio accepted but has not yet given a DateSent (still queued at
 * Twilio when the takeover looks, i.e. more than `staleClaimMs` after it was sent) is not listed, and would be
 * sent twice. A failed lookup sends nothing (and records why), preferring a missing text to a duplicate.
 */
import type { Logger } from 'pino';
import type { ActionEvent, Notifier, NotifyContext, NotifyOutcome } from '../../engine/types.js';
import { isE164, maskPhone } from '../../engine/phone.js';
import type { SmsStore } from './store.js';
import { isSmsEvent, smsTextFor } from './templates.js';

/** The part of the twilio client we use; the real `twilio(accountSid, authToken, opts)` instance satisfies it. */
export interface TwilioLike {
  messages: {
    create(params: { to: string; from: string; body: string; statusCallback?: string }): Promise<{ sid: string; status?: string }>;
    list(params: { to: string; dateSentAfter: Date; limit: number }): Promise<Array<{ sid: string; body: string; to: string }>>;
  };
}

/** Clock skew between us and Twilio that the DateSent filter tolerates. */
const LOOKUP_MARGIN_MS = 10 * 60_000;

export interface SmsNotifierDeps {
  client: TwilioLike;
  /** Twilio sender: an E.164 number or alphanumeric sender id owned by the account. */
  from: string;
  /** Public URL of the status router (`/integrations/twilio/status`); omitted = no delivery receipts. */
  statusCallbackUrl?: string;
  store: SmsStore;
  logger: Logger;
  /** A claim older than this whose record is not sent/failed belongs to a sender that died (default 60 s: Agenda's lock). */
  staleClaimMs?: number;
  now?: () => Date;
}

/** Twilio error text can quote the number ("The 'To' number +1555... is not valid"): keep code and status, mask digits. */
export function describeSendError(err: unknown, to: string): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; status?: unknown; message?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const masked = raw.split(to).join(maskPhone(to)).replace(/\+?\d[\d\s().-]{6,}\d/g, (m) => maskPhone(m.replace(/[^\d+]/g, '')));
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? ` ${e.code}` : '';
  const status = typeof e.status === 'number' ? ` (HTTP ${e.status})` : '';
  return `Twilio error${code}${status}: ${masked}`.slice(0, 500);
}

export function createSmsNotifier(deps: SmsNotifierDeps): Notifier {
  if (!deps.from) throw new Error('SMS notifier needs a `from` sender');
  const log = deps.logger.child({ notifier: 'sms' });
  const staleClaimMs = deps.staleClaimMs ?? 60_000;
  const now = deps.now ?? (() => new Date());

  /** true: the send is ours. false: someone else sent, is sending, or we found the dead sender's message. */
  async function ownTheSend(key: string, to: string, body: string, meta: Record<string, unknown>): Promise<boolean> {
    const existing = await deps.store.get(key);
    if (!existing || existing.state !== 'claimed') {
      log.info(meta, 'SMS already sent or attempted for this event; not sending again');
      return false;
    }
    if (now().getTime() - existing.claimedAt.getTime() < staleClaimMs) {
      log.info(meta, 'SMS is being sent by another attempt');
      return false;
    }
    if (!(await deps.store.takeOver(key, existing.takeovers))) return false;
    let listed: Array<{ sid: string; body: string; to: string }>;
    try {
      listed = await deps.client.messages.list({ to, dateSentAfter: new Date(existing.claimedAt.getTime() - LOOKUP_MARGIN_MS), limit: 50 });
    } catch (err) {
      const failure = `could not check Twilio for an earlier send, so not sending (a duplicate is worse): ${describeSendError(err, to)}`;
      log.warn({ ...meta, error: failure }, 'SMS lookup failed');
      await deps.store.markFailed(key, failure);
      return false;
    }
    const found = listed.find((m) => m.to === to && m.body === body);
    if (found) {
      log.info({ ...meta, sid: found.sid }, 'SMS of a stopped sender found at Twilio; recorded, not sent again');
      await deps.store.markSent(key, found.sid);
      return false;
    }
    log.warn(meta, 'SMS of a stopped sender is not at Twilio; sending it now');
    return true;
  }

  const orderNumberFor = (event: ActionEvent, context: NotifyContext): string | null =>
    event.type === 'action.completed' ? event.receiptData.order_number : context.orderNumber;

  return {
    name: 'sms',

    // The phone number lives on the action, which `wants` does not see; `notify` checks it.
    wants: (event) => isSmsEvent(event),
    concerns: (action) => isE164(action.order.customerPhone),

    async notify(event: ActionEvent, context: NotifyContext): Promise<NotifyOutcome> {
      if (!isSmsEvent(event)) return 'skipped';
      const to = context.action.order.customerPhone;
      const meta = { actionId: context.action.id, event: event.type, dedupeKey: context.dedupeKey };
      if (!isE164(to)) {
        log.debug(meta, 'no valid customer phone; SMS skipped');
        return 'skipped';
      }
      const toMasked = maskPhone(to);
      const body = smsTextFor(event, {
        providerName: context.provider.name,
        timezone: context.provider.timezone,
        pickupAt: context.action.order.pickupAt,
        orderNumber: orderNumberFor(event, context),
        trackingUrl: context.trackingUrl,
      });
      if (!body) return 'skipped';

      if (!(await deps.store.claim(context.dedupeKey, { actionId: context.action.id, event: event.type, toMasked }))
        && !(await ownTheSend(context.dedupeKey, to, body, { ...meta, toMasked }))) return 'skipped';

      let sid: string | null = null;
      let failure = 'SMS send did not complete';
      try {
        const message = await deps.client.messages.create({
          to,
          from: deps.from,
          body,
          ...(deps.statusCallbackUrl ? { statusCallback: deps.statusCallbackUrl } : {}),
        });
        sid = message.sid;
        log.info({ ...meta, toMasked, sid, status: message.status }, 'SMS sent');
      } catch (err) {
        failure = describeSendError(err, to);
        // Not rethrown: the claim forbids a resend, so an engine retry could only repeat this log line.
        log.warn({ ...meta, toMasked, error: failure }, 'SMS send failed');
      } finally {
        if (sid) await deps.store.markSent(context.dedupeKey, sid);
        else await deps.store.markFailed(context.dedupeKey, failure);
      }
      return sid ? 'sent' : 'failed';
    },
  };
}
