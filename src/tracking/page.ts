/**
 * The customer's order page, rendered on the server. The browser script only listens on socket.io and
 * swaps in a freshly rendered `#order` fragment, so there is one renderer (this file) for first paint and
 * live updates alike.
 */
import type { TrackingView } from './view.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const time = (d: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit' }).format(d).replace(/[\u202f\u00a0]/g, ' ');

/** How far along the order is: 0 received, 1 with the café, 2 confirmed, 3 ready. */
function reached(v: TrackingView): number {
  if (v.fulfillment === 'ready' || v.fulfillment === 'picked_up') return 3;
  if (v.status === 'completed') return 2;
  if (v.status === 'executing' || v.status === 'awaiting_confirmation') return 1;
  return 0;
}

/** One line saying where the order is, in words (never only a colour). */
export function statusLine(v: TrackingView): string {
  if (v.status === 'failed') return 'We could not place this order';
  if (v.status === 'cancelled') return 'This order was cancelled';
  if (v.fulfillment === 'picked_up') return 'Picked up — enjoy!';
  if (v.fulfillment === 'ready') return 'Ready for pickup';
  if (v.status === 'completed') {
    const ready = v.receipt?.data.ready_in_minutes;
    return v.pickupAt ? `Confirmed for pickup at ${time(new Date(v.pickupAt), v.provider.timezone)}` : ready ? `Confirmed — ready in about ${ready} minutes` : 'Confirmed';
  }
  if (v.status === 'awaiting_confirmation') return `Waiting for ${v.provider.name} to confirm`;
  if (v.status === 'executing') return `Sending your order to ${v.provider.name}`;
  return 'Order received';
}

type StepState = 'done' | 'current' | 'upcoming';

function timeline(v: TrackingView): string {
  const stopped = v.status === 'failed' || v.status === 'cancelled';
  const at = reached(v);
  const states: StepState[] = [
    'done',
    at >= 2 ? 'done' : stopped ? 'upcoming' : 'current',
    at >= 2 ? 'done' : 'upcoming',
    at >= 3 ? 'done' : at === 2 && !stopped ? 'current' : 'upcoming',
  ];
  const labels = ['Order received', `Sent to ${v.provider.name}`, 'Confirmed', at === 2 ? 'Being prepared' : 'Ready for pickup'];
  const MARK: Record<StepState, string> = { done: '✓', current: '●', upcoming: '○' };
  const WORDS: Record<StepState, string> = { done: 'done', current: 'in progress', upcoming: 'not yet' };
  return `<ol class="timeline">${labels.map((label, i) => {
    const state = states[i]!;
    return `<li class="${state}"${state === 'current' ? ' aria-current="step"' : ''}><span class="mark" aria-hidden="true">${MARK[state]}</span> <span class="label">${esc(label)}</span> <span class="state">(${WORDS[state]})</span></li>`;
  }).join('')}</ol>`;
}

/** The part of the page that changes: replaced as a whole on every live update. */
export function orderFragment(v: TrackingView): string {
  const tz = v.provider.timezone;
  const items = v.items.map((i) => `<li><span>${i.quantity} × ${esc(i.name)}${i.modifications.length ? ` <small>(${esc(i.modifications.join(', '))})</small>` : ''}</span> <span class="price">${esc(i.price)}</span></li>`).join('');
  const receipt = v.receipt
    ? `<section aria-labelledby="receipt-h" class="card"><h2 id="receipt-h">Receipt</h2><dl>
<dt>Order number</dt><dd>${esc(v.receipt.data.order_number)}</dd>
<dt>Receipt</dt><dd>${esc(v.receipt.receiptNumber)}</dd>
<dt>Pickup</dt><dd>${esc(time(new Date(v.receipt.data.pickup_time), tz))}</dd>
<dt>Total</dt><dd>${esc(v.receipt.data.total)}</dd></dl></section>`
    : '';
  const problem = v.error ? `<p class="problem" role="alert"><strong>${v.status === 'failed' ? 'Not placed:' : 'Cancelled:'}</strong> ${esc(v.error)}</p>` : '';
  const history = v.history.map((h) => `<li><time datetime="${h.at.toISOString()}">${esc(time(h.at, tz))}</time> ${esc(h.message)}</li>`).join('');
  return `<section aria-labelledby="status-h" class="card">
<h2 id="status-h">Status</h2>
<p id="status" class="status" data-status="${esc(v.fulfillment ?? v.status)}">${esc(statusLine(v))}</p>
${problem}${timeline(v)}
</section>
${receipt}
<section aria-labelledby="items-h" class="card"><h2 id="items-h">Your order${v.orderNumber ? ` <span class="number">#${esc(v.orderNumber)}</span>` : ''}</h2>
<ul class="items">${items}</ul>
<p class="total"><span>Total</span> <span>${esc(v.total)}</span></p>
${v.pickupAt ? `<p>Pickup at ${esc(time(new Date(v.pickupAt), tz))}</p>` : '<p>Pickup as soon as it is ready</p>'}
</section>
<section aria-labelledby="history-h" class="card"><h2 id="history-h">History</h2><ol class="history">${history}</ol></section>`;
}

export function orderPage(v: TrackingView, token: string): string {
  const title = `${v.provider.name}${v.orderNumber ? ` — order #${v.orderNumber}` : ' — your order'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/o/assets/order-page.css">
<link rel="icon" href="data:,">
</head>
<body data-token="${esc(token)}">
<header><p class="brand">${esc(v.provider.name)}</p><h1>${v.customerName ? `${esc(v.customerName)}, here is your order` : 'Your order'}</h1></header>
<main id="order">${orderFragment(v)}</main>
<div id="announce" class="visually-hidden" aria-live="polite"></div>
<footer><p id="live" data-live="off">Updates appear here as they happen.</p></footer>
<script src="/socket.io/socket.io.min.js"></script>
<script src="/o/assets/order-page.js"></script>
</body>
</html>`;
}

export function notFoundPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Order not found</title>
<link rel="stylesheet" href="/o/assets/order-page.css"></head><body><main><h1>Order not found</h1><p>This tracking link is not valid. Check the link in your text message.</p></main></body></html>`;
}

/** Dark text on white, accents well above WCAG AA contrast; state is always also written out. */
export const ORDER_PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#f4f4f2}
header,main,footer{max-width:34rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.25rem}
.brand{margin:0;font-weight:600;color:#3d3d3d}
h1{font-size:1.4rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:0 0 .5rem}
.card{background:#fff;border:1px solid #d6d6d2;border-radius:.75rem;padding:1rem;margin-bottom:1rem}
.status{font-size:1.2rem;font-weight:700;margin:.25rem 0 .75rem}
.timeline,.items,.history{list-style:none;margin:0;padding:0}
.timeline li{padding:.35rem 0;color:#4a4a4a}
.timeline li.done{color:#0b5a2b}
.timeline li.current{color:#1b1b1b;font-weight:700}
.timeline .mark{display:inline-block;width:1.4rem;text-align:center}
.timeline .state{font-size:.85rem}
.items li,.total{display:flex;justify-content:space-between;gap:1rem;padding:.3rem 0}
.total{border-top:1px solid #d6d6d2;margin-top:.5rem;padding-top:.5rem;font-weight:700}
.number{font-weight:400;color:#3d3d3d}
.history li{padding:.25rem 0;font-size:.9rem}
.history time{color:#3d3d3d;margin-right:.5rem;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{color:#3d3d3d}dd{margin:0;font-weight:600}
.problem{background:#fdecea;border:1px solid #a4231b;color:#6b1510;padding:.5rem .75rem;border-radius:.5rem}
footer{color:#3d3d3d;font-size:.85rem;padding-bottom:2rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/**
 * The browser side, written as a function so it is type-checked and linted with the rest; served as
 * `(${fn})()`. It re-renders from the server whenever the order's room gets an event (and on (re)connect,
 * which covers anything missed while offline).
 */
interface PageElement { textContent: string | null; innerHTML: string; dataset: Record<string, string | undefined> }
declare const document: { body: PageElement; getElementById(id: string): PageElement | null };
declare const location: { pathname: string };
declare const io: (opts: Record<string, unknown>) => { on(event: string, fn: () => void): void };
export function orderPageClient(): void {
  const token = document.body.dataset.token ?? '';
  const order = document.getElementById('order')!;
  const announce = document.getElementById('announce')!;
  const live = document.getElementById('live')!;
  let running: Promise<void> = Promise.resolve();
  const refresh = () => {
    running = running.then(async () => {
      const res = await fetch(`${location.pathname}/live`, { headers: { accept: 'text/html' } });
      if (!res.ok) return;
      const before = document.getElementById('status')?.textContent;
      order.innerHTML = await res.text();
      const now = document.getElementById('status')?.textContent;
      if (now && now !== before) announce.textContent = now;
    }).catch(() => undefined);
  };
  const socket = io({ auth: { tracking: token } });
  socket.on('connect', () => { live.dataset.live = 'on'; live.textContent = 'Live: this page updates by itself.'; refresh(); });
  socket.on('disconnect', () => { live.dataset.live = 'off'; live.textContent = 'Reconnecting…'; });
  for (const name of ['action.status', 'action.completed', 'action.ready', 'action.failed']) socket.on(name, refresh);
}
