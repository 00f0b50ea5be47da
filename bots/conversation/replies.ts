/**
 * Everything the customer reads, in plain words: the order card (draft and after), status news, receipts,
 * menu and help. Internal errors never appear here: failure reasons are mapped to a few plain causes.
 */
import { formatMoney } from '../../src/engine/money.js';
import type { OrderDraft } from './draft.js';
import type { OrderView, ProviderMenu, ProviderSummary } from './ports.js';
import type { Reply, ReplyBlock, ReplyButton } from './types.js';

/** Button payloads (≤ 64 bytes): place/drop a draft version, ask/confirm cancelling an order, pick a provider. */
export const BUTTON = {
  place: (version: number) => `place:${version}`,
  drop: (version: number) => `drop:${version}`,
  cancelAsk: (actionId: string) => `cxl?:${actionId}`,
  cancelYes: (actionId: string) => `cxl!:${actionId}`,
  keep: (actionId: string) => `keep:${actionId}`,
  provider: (providerId: string) => `prov:${providerId}`,
} as const;

export type ButtonPress =
  | { kind: 'place' | 'drop'; version: number }
  | { kind: 'cancelAsk' | 'cancelYes' | 'keep'; actionId: string }
  | { kind: 'provider'; providerId: string };

export function parseButton(value: string): ButtonPress | null {
  const [head, arg = ''] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)];
  if ((head === 'place' || head === 'drop') && /^\d+$/.test(arg)) return { kind: head, version: Number(arg) };
  if (!/^[0-9a-f]{24}$/.test(arg)) return null;
  if (head === 'cxl?') return { kind: 'cancelAsk', actionId: arg };
  if (head === 'cxl!') return { kind: 'cancelYes', actionId: arg };
  if (head === 'keep') return { kind: 'keep', actionId: arg };
  if (head === 'prov') return { kind: 'provider', providerId: arg };
  return null;
}

const reply = (text: string, blocks: ReplyBlock[] = [], buttons: ReplyButton[] = [], extra: Partial<Reply> = {}): Reply => ({ text, blocks, buttons, ...extra });
export const say = (text: string): Reply => reply(text, [{ type: 'text', text }]);

/** "8:15 AM", with the weekday when not today, in the provider's time zone. */
export function localTime(at: Date | string, timezone: string, now: Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  const day = dateFormat(timezone, 'day');
  const sameDay = day.format(d) === day.format(now);
  return dateFormat(timezone, sameDay ? 'time' : 'weekdayTime').format(d).replace(/[\u202f\u00a0]/g, ' ');
}

// Building an Intl formatter costs far more than formatting with it: one per (time zone, shape).
const SHAPES = {
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  time: { hour: 'numeric', minute: '2-digit' },
  weekdayTime: { hour: 'numeric', minute: '2-digit', weekday: 'short' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(timeZone: string, shape: keyof typeof SHAPES): Intl.DateTimeFormat {
  const key = `${timeZone}|${shape}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, ...SHAPES[shape] });
    if (dateFormats.size < 1000) dateFormats.set(key, f);
  }
  return f;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- the draft card

export interface PricedDraft {
  lines: Array<{ label: string; detail: string | null; amount: string }>;
  total: string;
}

export function priceDraft(draft: OrderDraft, menu: ProviderMenu): PricedDraft {
  const currency = menu.provider.currency;
  let total = 0;
  const lines = draft.lines.map((l) => {
    const item = menu.items.find((i) => i.sku === l.sku);
    const mods = l.modifications.map((id) => menu.modifiers.find((m) => m.id === id)).filter((m): m is NonNullable<typeof m> => !!m);
    const cents = ((item?.priceCents ?? 0) + mods.reduce((s, m) => s + m.priceCents, 0)) * l.quantity;
    total += cents;
    return { label: `${l.quantity}× ${item?.name ?? l.sku}`, detail: mods.length ? mods.map((m) => m.name).join(', ') : null, amount: formatMoney(cents, currency) };
  });
  return { lines, total: formatMoney(total, currency) };
}

export function draftCard(draft: OrderDraft, menu: ProviderMenu, version: number, cardKey: string, now: Date): Reply {
  const priced = priceDraft(draft, menu);
  const tz = menu.provider.timezone;
  const pickup = draft.pickupTime ? localTime(draft.pickupTime, tz, now) : 'as soon as possible';
  const fields = [{ label: 'Total', value: priced.total }, { label: 'Pickup', value: pickup }];
  if (draft.customerName) fields.push({ label: 'Name', value: draft.customerName });
  if (draft.instructions) fields.push({ label: 'Notes', value: draft.instructions });
  if (draft.customerPhone) fields.push({ label: 'Texts to', value: `number ending ${draft.customerPhone.slice(-2)}` });
  const missing = draft.unrecognized.map((u) => `No ${u} on the menu.`);
  const blocks: ReplyBlock[] = [
    { type: 'header', text: `Your order from ${menu.provider.name}` },
    ...priced.lines.map((l) => ({ type: 'line' as const, ...l })),
    { type: 'fields', fields },
    ...missing.map((text) => ({ type: 'context' as const, text })),
    { type: 'context', text: 'Reply in this thread to change it ("make it 2", "for 9:30", "name\'s Sam").' },
  ];
  const text = [
    `Your order from ${menu.provider.name}:`,
    ...priced.lines.map((l) => `${l.label}${l.detail ? ` (${l.detail})` : ''} ${l.amount}`),
    `Total ${priced.total}, pickup ${pickup}${draft.customerName ? `, for ${draft.customerName}` : ''}${draft.instructions ? ` (note: ${draft.instructions})` : ''}.`,
    ...missing,
  ].join('\n');
  return reply(text, blocks, [
    { label: 'Place order', value: BUTTON.place(version), style: 'primary' },
    { label: 'Cancel', value: BUTTON.drop(version), style: 'danger' },
  ], { card: cardKey });
}

export function droppedCard(menu: ProviderSummary, cardKey: string): Reply {
  return reply(`Order from ${menu.name} dropped. Write again whenever you like.`, [{ type: 'context', text: `Order from ${menu.name} dropped. Write again whenever you like.` }], [], { card: cardKey });
}

// ---------------------------------------------------------------- an order's state

/** How far an order has come; news about an earlier stage than the current one is stale and not posted. */
export function stageOf(status: string, fulfillment: string | null): number {
  if (fulfillment === 'picked_up') return 6;
  if (fulfillment === 'ready') return 5;
  switch (status) {
    case 'queued': return 0;
    case 'executing': return 1;
    case 'awaiting_confirmation': return 2;
    case 'completed': return 4;
    default: return 7; // failed, cancelled: final
  }
}

/** The engine's failure reasons → what a customer may read. */
export function plainFailure(reason: string | null, provider: string): string {
  const r = (reason ?? '').toLowerCase();
  if (/declin/.test(r)) return `${provider} couldn't take this order.`;
  if (/no confirmation|timed? ?out|didn't answer|time/.test(r)) return `${provider} didn't confirm in time.`;
  if (/closed/.test(r)) return `${provider} is closed right now.`;
  return `we couldn't get the order through to ${provider}.`;
}

function orderLines(order: OrderView): ReplyBlock[] {
  return order.lines.map((l) => ({ type: 'line' as const, label: `${l.quantity}× ${l.name}`, detail: l.modifiers.length ? l.modifiers.join(', ') : null, amount: l.amount }));
}

export function statusHeadline(order: OrderView, now: Date): string {
  const p = order.provider.name;
  const num = order.orderNumber ? `Order #${order.orderNumber}` : 'Your order';
  if (order.fulfillment === 'ready') return `${num} is ready for pickup at ${p}!`;
  if (order.fulfillment === 'picked_up') return `${num} was picked up. Enjoy!`;
  switch (order.status) {
    case 'queued':
    case 'executing': return `Placing your order with ${p}…`;
    case 'awaiting_confirmation': return `Waiting for ${p} to confirm your order…`;
    case 'completed': {
      const at = order.receipt?.pickupTime ? localTime(order.receipt.pickupTime, order.provider.timezone, now) : null;
      return `Confirmed! ${num}, ${order.receipt?.total ?? order.total}${at ? `, pickup at ${at}` : ''}.`;
    }
    case 'cancelled': return `${num} was cancelled.`;
    case 'failed': return `Sorry, ${plainFailure(order.failureReason, p)} You have not been charged.`;
  }
}

/** The card after Place order: the order's current state, no draft buttons (a Cancel while it can still be cancelled). */
export function orderCard(order: OrderView, cardKey: string, now: Date): Reply {
  const headline = statusHeadline(order, now);
  const fields = [{ label: 'Total', value: order.receipt?.total ?? order.total }];
  const pickup = order.receipt?.pickupTime ?? order.pickupAt;
  fields.push({ label: 'Pickup', value: pickup ? localTime(pickup, order.provider.timezone, now) : 'as soon as possible' });
  if (order.customerName) fields.push({ label: 'Name', value: order.customerName });
  if (order.orderNumber) fields.push({ label: 'Order #', value: order.orderNumber });
  if (order.receipt) fields.push({ label: 'Receipt', value: order.receipt.receiptNumber });
  const cancellable = order.status === 'queued' || order.status === 'executing' || order.status === 'awaiting_confirmation';
  return reply(headline, [
    { type: 'header', text: `Order from ${order.provider.name}` },
    ...orderLines(order),
    { type: 'fields', fields },
    { type: 'text', text: headline },
  ], cancellable ? [{ label: 'Cancel order', value: BUTTON.cancelAsk(order.id), style: 'danger' }] : [], { card: cardKey });
}

/**
 * A thread reply for one stage of the order (placing, waiting, confirmed with receipt, ready, failed, cancelled).
 * `trackingUrl`: the customer's live order page, linked from the receipt.
 */
export function statusNews(order: OrderView, now: Date, trackingUrl: string | null = null): Reply {
  const headline = statusHeadline(order, now);
  if (order.status === 'completed' && !order.fulfillment && order.receipt) {
    const r = order.receipt;
    return reply(`${headline} Receipt ${r.receiptNumber}.${trackingUrl ? ` Track your order: ${trackingUrl}` : ''}`, [
      { type: 'text', text: headline },
      ...orderLines(order),
      { type: 'fields', fields: [
        { label: 'Order #', value: r.orderNumber }, { label: 'Total', value: r.total },
        { label: 'Pickup', value: localTime(r.pickupTime, order.provider.timezone, now) }, { label: 'Receipt', value: r.receiptNumber },
      ] },
      ...(trackingUrl ? [{ type: 'link' as const, label: 'Track your order', url: trackingUrl }] : []),
    ]);
  }
  return say(headline);
}

export function statusAnswer(order: OrderView, now: Date): Reply {
  const headline = statusHeadline(order, now);
  const cancellable = order.status === 'queued' || order.status === 'executing' || order.status === 'awaiting_confirmation';
  return reply(headline, [{ type: 'text', text: headline }, ...orderLines(order)], cancellable ? [{ label: 'Cancel order', value: BUTTON.cancelAsk(order.id), style: 'danger' }] : []);
}

export function cancelQuestion(order: OrderView): Reply {
  const what = order.orderNumber ? `order #${order.orderNumber}` : `your order from ${order.provider.name} (${order.total})`;
  return reply(`Cancel ${what}?`, [{ type: 'text', text: `Cancel ${what}?` }], [
    { label: 'Yes, cancel it', value: BUTTON.cancelYes(order.id), style: 'danger' },
    { label: 'Keep it', value: BUTTON.keep(order.id) },
  ]);
}

export function menuReply(menu: ProviderMenu): Reply {
  const currency = menu.provider.currency;
  const lines = menu.items.map((i) => ({ type: 'line' as const, label: i.name, detail: null, amount: formatMoney(i.priceCents, currency) }));
  const options = menu.modifiers.map((m) => `${m.name}${m.priceCents ? ` (+${formatMoney(m.priceCents, currency)})` : ''}`);
  const text = [`${menu.provider.name} menu:`, ...menu.items.map((i) => `${i.name} ${formatMoney(i.priceCents, currency)}`), ...(options.length ? [`Options: ${options.join(', ')}`] : [])].join('\n');
  return reply(text, [{ type: 'header', text: `${menu.provider.name} menu` }, ...lines, ...(options.length ? [{ type: 'context' as const, text: `Options: ${options.join(', ')}` }] : [])]);
}

export function helpReply(providerName: string | null): Reply {
  const where = providerName ? ` from ${providerName}` : '';
  const lines = [
    `I take orders${where}. Write what you want, e.g. "2 oat lattes for 8:15, name's Sam", then tap Place order.`,
    'Change it by replying in the thread: "make it 3", "oat milk on the latte", "for 9:30", "no croissant".',
    '"where\'s my order" or "is DC-1547 ready" tells you where it stands; "cancel" cancels it; "menu" shows the menu.',
  ];
  return reply(lines.join('\n'), lines.map((text) => ({ type: 'text' as const, text })));
}

export function chooseProvider(providers: ProviderSummary[]): Reply {
  return reply('Which place would you like to order from?', [{ type: 'text', text: 'Which place would you like to order from?' }],
    providers.slice(0, 8).map((p) => ({ label: p.name, value: BUTTON.provider(p.id) })));
}

export const expiresNote = (ttlMs: number) => `This draft is kept for ${plural(Math.round(ttlMs / 60_000), 'minute')}.`;
