/**
 * Customer-facing SMS text per event. Short on purpose: one GSM-7 segment is 160 characters, and every extra
 * segment is billed; a provider name is clipped so a long one cannot push the message into two.
 */
import type { ActionEvent } from '../../engine/types.js';

export const SMS_EVENT_TYPES = ['action.completed', 'action.ready'] as const;
export type SmsEventType = (typeof SMS_EVENT_TYPES)[number];

const MAX_PROVIDER_NAME = 40;

export interface SmsTemplateContext {
  providerName: string;
  /** IANA zone used to print a scheduled pickup time in the provider's local time. */
  timezone: string;
  /** Scheduled pickup, or null for ASAP orders. */
  pickupAt: Date | null;
  /** For `action.ready`, which does not carry the receipt; null gives a text without the number. */
  orderNumber?: string | null;
  /** The live order page, appended to the confirmation so the customer can follow the order. */
  trackingUrl?: string | null;
}

export function isSmsEvent(event: ActionEvent): event is Extract<ActionEvent, { type: SmsEventType }> {
  return (SMS_EVENT_TYPES as readonly string[]).includes(event.type);
}

function clip(name: string): string {
  const trimmed = name.trim();
  return trimmed.length <= MAX_PROVIDER_NAME ? trimmed : `${trimmed.slice(0, MAX_PROVIDER_NAME - 3).trimEnd()}...`;
}

function minutes(n: number): string {
  return n === 1 ? '1 minute' : `${n} minutes`;
}

/** "12:30 PM", plus the day when pickup is not on the day the message is sent. */
function localPickupTime(pickupAt: Date, timezone: string, sentAt: Date): string {
  const day = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const sameDay = day.format(pickupAt) === day.format(sentAt);
  return new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hour: 'numeric',
    minute: '2-digit',
    ...(sameDay ? {} : { weekday: 'short', month: 'short', day: 'numeric' }),
  })
    .format(pickupAt)
    // Some ICU versions put U+202F before AM/PM; any non-GSM-7 character switches the SMS to 70-char UCS-2 segments.
    .replace(/[\u202f\u00a0]/g, ' ');
}

function completedText(event: Extract<ActionEvent, { type: 'action.completed' }>, ctx: SmsTemplateContext): string {
  const name = clip(ctx.providerName);
  const order = `Order #${event.receiptData.order_number}`;
  if (ctx.pickupAt) return `${name}: ${order} confirmed for pickup at ${localPickupTime(ctx.pickupAt, ctx.timezone, new Date(event.timestamp))}.`;
  const ready = event.receiptData.ready_in_minutes;
  return ready > 0 ? `${name}: ${order} confirmed, ready in ${minutes(ready)}!` : `${name}: ${order} confirmed!`;
}

function readyText(ctx: SmsTemplateContext): string {
  const name = clip(ctx.providerName);
  return ctx.orderNumber ? `${name}: Order #${ctx.orderNumber} is ready for pickup!` : `${name}: Your order is ready for pickup!`;
}

/** The SMS body for an event, or null when the event is not one customers get a text for. */
export function smsTextFor(event: ActionEvent, ctx: SmsTemplateContext): string | null {
  switch (event.type) {
    case 'action.completed':
      return ctx.trackingUrl ? `${completedText(event, ctx)} Track it: ${ctx.trackingUrl}` : completedText(event, ctx);
    case 'action.ready':
      return readyText(ctx);
    default:
      return null;
  }
}
