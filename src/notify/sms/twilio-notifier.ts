/**
 * Texts the customer when their order is confirmed and when it is ready, through Twilio.
 * Persist before calling out: the dedupe record is claimed first, the outcome written in `finally`.
 * A claim that exists for any reason (sent, failed, or a crash mid-send) means no second SMS.
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
  };
}

export interface SmsNotifierDeps {
  client: TwilioLike;
  /** Twilio sender: an E.164 number or alphanumeric sender id owned by the account. */
  from: string;
  /** Public URL of the status router (`/integrations/twilio/status`); omitted = no delivery receipts. */
  statusCallbackUrl?: string;
  store: SmsStore;
  logger: Logger;
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

  const orderNumberFor = (event: ActionEvent, context: NotifyContext): string | null =>
    event.type === 'action.completed' ? event.receiptData.order_number : context.orderNumber;

  return {
    name: 'sms',

    // The phone number lives on the action, which `wants` does not see; `notify` checks it.
    wants: (event) => isSmsEvent(event),

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

      if (!(await deps.store.claim(context.dedupeKey, { actionId: context.action.id, event: event.type, toMasked }))) {
        log.info({ ...meta, toMasked }, 'SMS already sent or attempted for this event; not sending again');
        return 'skipped';
      }

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
