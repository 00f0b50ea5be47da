/** The order email: everything the café needs to make it, plus one-click Confirm / Decline links. */
import { formatMoney } from '../../src/engine/money.js';
import type { ActionView, ProviderView } from '../../src/engine/types.js';

export interface OrderEmailLinks { confirmUrl: string; declineUrl: string; expiresAt: Date; orderNumber?: string }

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function formatPickup(pickupAt: Date | null, timezone: string): string {
  if (!pickupAt) return 'As soon as possible';
  return new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(pickupAt);
}

export function renderOrderEmail(action: ActionView, provider: ProviderView, links: OrderEmailLinks): { subject: string; text: string; html: string } {
  const o = action.order;
  const pickup = formatPickup(o.pickupAt, provider.timezone);
  const who = o.customerName ?? 'a customer';
  const lines = o.lines.map((l) => ({
    qty: l.quantity, name: l.name, mods: l.modifiers.map((m) => m.name).join(', '), price: formatMoney(l.lineTotalCents, o.currency),
  }));
  const total = formatMoney(o.totalCents, o.currency);
  const expires = new Intl.DateTimeFormat('en-US', { timeZone: provider.timezone, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(links.expiresAt);
  const number = links.orderNumber ? ` ${links.orderNumber}` : '';
  const subject = `New order${number} for ${who} — pickup ${pickup} — ${total}`;
  const text = [
    `New pickup order${number} for ${provider.name}`,
    '',
    ...lines.map((l) => `${l.qty} x ${l.name}${l.mods ? ` (${l.mods})` : ''} — ${l.price}`),
    '',
    `Total: ${total}`,
    `Pickup: ${pickup}`,
    `Customer: ${who}`,
    ...(o.specialInstructions ? [`Instructions: ${o.specialInstructions}`] : []),
    '',
    `Confirm (you can add an order number and ready-in minutes): ${links.confirmUrl}`,
    `Can't make it? Decline: ${links.declineUrl}`,
    `These links expire at ${expires}; after that the order goes to our operators.`,
    `Reference: ${action.id}`,
  ].join('\n');
  const rows = lines.map((l) => `<tr><td style="padding:4px 8px">${l.qty} ×</td><td style="padding:4px 8px"><b>${esc(l.name)}</b>${l.mods ? `<br><span style="color:#555">${esc(l.mods)}</span>` : ''}</td><td style="padding:4px 8px;text-align:right">${esc(l.price)}</td></tr>`).join('');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222">
<h2 style="margin:0 0 8px">New pickup order${esc(number)} for ${esc(provider.name)}</h2>
<p style="margin:0 0 12px">For <b>${esc(who)}</b> · Pickup <b>${esc(pickup)}</b></p>
<table style="border-collapse:collapse">${rows}<tr><td></td><td style="padding:4px 8px"><b>Total</b></td><td style="padding:4px 8px;text-align:right"><b>${esc(total)}</b></td></tr></table>
${o.specialInstructions ? `<p><b>Instructions:</b> ${esc(o.specialInstructions)}</p>` : ''}
<p style="margin:20px 0">
<a href="${esc(links.confirmUrl)}" style="background:#1a7f37;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Confirm order</a>
&nbsp;<a href="${esc(links.declineUrl)}" style="background:#cf222e;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Decline</a></p>
<p style="color:#666;font-size:12px">Links expire at ${esc(expires)}; after that the order goes to our operators. Reference ${esc(action.id)}.</p>
</body></html>`;
  return { subject, text, html };
}

/**
 * The cancellation the café gets when the customer cancels an order it was emailed: the order number and
 * reference it saw, what not to make, and for whom. Its confirm/decline links now say the order was cancelled.
 */
export function renderCancellationEmail(action: ActionView, provider: ProviderView, orderNumber: string | null): { subject: string; text: string; html: string } {
  const o = action.order;
  const label = orderNumber ? `Order ${orderNumber}` : 'Order';
  const who = o.customerName ?? 'a customer';
  const pickup = formatPickup(o.pickupAt, provider.timezone);
  const lines = o.lines.map((l) => `${l.quantity} x ${l.name}${l.modifiers.length ? ` (${l.modifiers.map((m) => m.name).join(', ')})` : ''}`);
  const subject = `${label} cancelled — do not prepare`;
  const text = [
    `${label} for ${who} was cancelled by the customer. Please do not prepare it.`,
    '',
    ...lines,
    '',
    `Customer: ${who}`,
    `Was for pickup: ${pickup}`,
    `Reference: ${action.id}`,
    '',
    'Nothing else to do: the confirm and decline links in the order email no longer apply.',
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222">
<h2 style="margin:0 0 8px;color:#cf222e">${esc(label)} cancelled — do not prepare</h2>
<p style="margin:0 0 12px">The customer <b>${esc(who)}</b> cancelled this order (was for pickup ${esc(pickup)}).</p>
<ul>${lines.map((l) => `<li><s>${esc(l)}</s></li>`).join('')}</ul>
<p style="color:#666;font-size:12px">Nothing else to do: the confirm and decline links in the order email no longer apply. Reference ${esc(action.id)}.</p>
</body></html>`;
  return { subject, text, html };
}
