import { formatMoney } from './money.js';
import type { ActionView } from './types.js';

/** "2× Latte (oat milk), 1× Croissant — $11.00 for Sam": one line for operators and confirm pages. */
export function summarizeOrder(action: ActionView): string {
  const o = action.order;
  const items = o.lines.map((l) => `${l.quantity}× ${l.name}${l.modifiers.length ? ` (${l.modifiers.map((m) => m.name).join(', ')})` : ''}`).join(', ');
  return `${items} — ${formatMoney(o.totalCents, o.currency)}${o.customerName ? ` for ${o.customerName}` : ''}`;
}
