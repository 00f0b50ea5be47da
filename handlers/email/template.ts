/** The order email: everything the café needs to make it, plus one-click Confirm / Decline links. */
import { formatMoney } from '../../src/engine/money.js';
import type { ActionView, ProviderView } from '../../src/engine/types.js';

export interface OrderEmailLinks { confirmUrl: string; declineUrl: string; expiresAt: Date }

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
  const subject = `New order for ${who} — pickup ${pickup} — ${total}`;
  const text = [
    `New pickup order for ${provider.name}`,
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
<h2 style="margin:0 0 8px">New pickup order for ${esc(provider.name)}</h2>
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
