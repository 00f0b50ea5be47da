/**
 * Block Kit for operators: the task card (channel message and App Home row), the Complete and Fail modals
 * and their validation. Pure: a task view in, Slack JSON out. Buttons carry the task id as their value.
 */
import type { OperatorTaskView } from '../../../src/operators/task-view.js';

export const ACTION = { claim: 'op_claim', complete: 'op_complete', fail: 'op_fail', release: 'op_release' } as const;
export const VIEW = { complete: 'op_complete_modal', fail: 'op_fail_modal' } as const;
/** Modal inputs: block_id = action_id, so `response_action: errors` names the same key the driver types into. */
export const FIELD = { orderNumber: 'op_order_number', readyIn: 'op_ready_in', note: 'op_note', reason: 'op_reason', customerMessage: 'op_customer_message' } as const;

type Block = Record<string, unknown>;
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
/** Slack's mrkdwn control characters in user-provided text. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `slack:<team>:<user>` → a mention; other operator ids (API callers) as they are. */
export function who(operatorId: string | null): string {
  if (!operatorId) return 'someone';
  const m = /^slack:[^:]+:([A-Z0-9]+)$/.exec(operatorId);
  return m ? `<@${m[1]}>` : esc(operatorId);
}

export function statusLine(t: OperatorTaskView): string {
  const o = t.outcome;
  switch (t.status) {
    case 'open': return t.round > 0 ? ':large_yellow_circle: *Open again* — released, nobody holds it' : ':large_yellow_circle: *Open* — nobody has claimed it yet';
    case 'claimed': return `:hammer_and_wrench: *Claimed by ${who(t.operatorId)}*`;
    case 'completed': return `:white_check_mark: *Completed by ${who(t.operatorId)}*${o.orderNumber ? ` — order #${esc(o.orderNumber)}` : ''}${o.readyInMinutes !== null ? `, ready in ${o.readyInMinutes} min` : ''}${o.note ? `\n>${esc(o.note)}` : ''}`;
    case 'failed': return `:x: *Failed by ${who(t.operatorId)}* — ${esc(o.failureReason ?? 'no reason given')}`;
    case 'cancelled': return ':no_entry_sign: *Cancelled by the customer* — nothing to do';
  }
}

/** One line for notifications and App Home: "2× Latte (oat milk), 1× Croissant — $14.25 for Sam". */
export function summary(t: OperatorTaskView): string {
  const items = t.items.map((i) => `${i.quantity}× ${i.name}${i.modifiers.length ? ` (${i.modifiers.join(', ')})` : ''}`).join(', ');
  return `${items} — ${t.total}${t.customer.name ? ` for ${t.customer.name}` : ''}`;
}

function buttons(t: OperatorTaskView, blockId: string): Block | null {
  const button = (action: string, text: string, style?: 'primary' | 'danger') => ({ type: 'button', action_id: action, text: plain(text), value: t.id, ...(style ? { style } : {}) });
  if (t.status === 'open') return { type: 'actions', block_id: blockId, elements: [button(ACTION.claim, 'Claim', 'primary')] };
  if (t.status === 'claimed') {
    return { type: 'actions', block_id: blockId, elements: [button(ACTION.complete, 'Complete', 'primary'), button(ACTION.fail, 'Fail', 'danger'), button(ACTION.release, 'Release')] };
  }
  return null; // closed: no buttons left to press
}

/** The full card: everything an operator needs to place the order by phone, and why it came to them. */
export function taskCard(t: OperatorTaskView, opts: { heading?: string } = {}): { text: string; blocks: Block[] } {
  const provider = [esc(t.provider.name), t.provider.phone, t.provider.email].filter(Boolean).join(' · ');
  const customer = [t.customer.name ? esc(t.customer.name) : 'no name', t.customer.phoneMasked].filter(Boolean).join(' · ');
  const items = t.items.map((i) => `• ${i.quantity}× *${esc(i.name)}*${i.modifiers.length ? ` — ${esc(i.modifiers.join(', '))}` : ''}  ${i.price}`).join('\n');
  const blocks: Block[] = [
    { type: 'header', text: plain(opts.heading ?? `Manual order — ${t.provider.name}`.slice(0, 150)) },
    { type: 'section', block_id: 'status', text: mrkdwn(statusLine(t)) },
    { type: 'section', block_id: 'items', text: mrkdwn(items || '_no items_') },
    {
      type: 'section', block_id: 'facts', fields: [
        mrkdwn(`*Provider*\n${provider}`), mrkdwn(`*Pickup*\n${t.pickup}`),
        mrkdwn(`*Customer*\n${customer}`), mrkdwn(`*Total*\n${t.total}`),
      ],
    },
    ...(t.instructions ? [{ type: 'section', block_id: 'instructions', text: mrkdwn(`*Instructions*\n${esc(t.instructions)}`) }] : []),
    ...(t.attempts.length ? [{ type: 'context', block_id: 'why', elements: [mrkdwn(`*Why it's here:* ${esc(t.attempts.join(' · '))}`)] }] : []),
  ];
  const actions = buttons(t, `task:${t.id}`.slice(0, 255));
  if (actions) blocks.push(actions);
  // The plain-text version (notifications, terminals): no emoji codes or mrkdwn marks.
  const status = statusLine(t).replace(/:[a-z_]+:\s*/g, '').replace(/\*/g, '').replace(/\n>/g, ' — ');
  const text = `${opts.heading ?? 'Manual order'}: ${summary(t)} — ${status}`;
  return { text: text.slice(0, 3000), blocks };
}

/** The App Home of someone who operates for no space here. */
export const NON_OPERATOR_HOME: Block = {
  type: 'home', blocks: [{ type: 'section', text: mrkdwn('Order here by DM or with `/order`. (Manual orders are shown to operators only.)') }],
};

/** App Home: the operator's own tasks first, then the unclaimed ones, each with its buttons. */
export function homeView(board: { mine: OperatorTaskView[]; unclaimed: OperatorTaskView[] }): Block {
  const row = (t: OperatorTaskView): Block[] => {
    const actions = buttons(t, `home:${t.id}`.slice(0, 255));
    return [
      { type: 'section', text: mrkdwn(`*${esc(t.provider.name)}* · pickup ${t.pickup}\n${esc(summary(t))}${t.provider.phone ? `\n:telephone_receiver: ${t.provider.phone}` : ''}`) },
      ...(t.attempts.length ? [{ type: 'context', elements: [mrkdwn(esc(t.attempts.join(' · ')))] }] : []),
      ...(actions ? [actions] : []),
    ];
  };
  const section = (title: string, tasks: OperatorTaskView[], empty: string): Block[] => [
    { type: 'header', text: plain(`${title} (${tasks.length})`) },
    ...(tasks.length ? tasks.flatMap((t) => [...row(t), { type: 'divider' }]) : [{ type: 'context', elements: [mrkdwn(empty)] }]),
  ];
  return {
    type: 'home',
    blocks: [...section('Your tasks', board.mine, 'Nothing claimed by you.'), ...section('Unclaimed', board.unclaimed, 'No order is waiting for an operator.')].slice(0, 100),
  };
}

export interface ModalContext { taskId: string; channel: string | null; messageTs: string | null }

const input = (id: string, label: string, opts: { optional?: boolean; multiline?: boolean; placeholder?: string; max?: number } = {}): Block => ({
  type: 'input', block_id: id, optional: !!opts.optional, label: plain(label),
  element: { type: 'plain_text_input', action_id: id, multiline: !!opts.multiline, ...(opts.max ? { max_length: opts.max } : {}), ...(opts.placeholder ? { placeholder: plain(opts.placeholder) } : {}) },
});

export function completeModal(t: OperatorTaskView, ctx: ModalContext): Block {
  return {
    type: 'modal', callback_id: VIEW.complete, private_metadata: JSON.stringify(ctx),
    title: plain('Complete order'), submit: plain('Complete'), close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`*${esc(t.provider.name)}*: ${esc(summary(t))}`) },
      input(FIELD.orderNumber, 'Order number (the café’s, if it gave one)', { optional: true, placeholder: 'e.g. 1547', max: 40 }),
      input(FIELD.readyIn, 'Ready in (minutes)', { placeholder: 'e.g. 10' }),
      input(FIELD.note, 'Note for the team', { optional: true, multiline: true, max: 500 }),
    ],
  };
}

export function failModal(t: OperatorTaskView, ctx: ModalContext): Block {
  return {
    type: 'modal', callback_id: VIEW.fail, private_metadata: JSON.stringify(ctx),
    title: plain('Fail order'), submit: plain('Fail order'), close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`*${esc(t.provider.name)}*: ${esc(summary(t))}`) },
      input(FIELD.reason, 'Reason (for the team)', { multiline: true, max: 500, placeholder: 'e.g. café closed early' }),
      input(FIELD.customerMessage, 'Message for the customer (optional)', { optional: true, multiline: true, max: 500, placeholder: 'e.g. Sorry, the café closed early today.' }),
    ],
  };
}

/** The typed value of a modal input (Slack's view.state.values[block][action].value). */
export function fieldValue(state: unknown, id: string): string {
  const v = (state as { values?: Record<string, Record<string, { value?: string | null }>> } | undefined)?.values?.[id]?.[id]?.value;
  return typeof v === 'string' ? v.trim() : '';
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

export function checkComplete(state: unknown): Checked<{ orderNumber?: string; readyInMinutes: number; note?: string }> {
  const errors: Record<string, string> = {};
  const orderNumber = fieldValue(state, FIELD.orderNumber);
  const readyRaw = fieldValue(state, FIELD.readyIn);
  const note = fieldValue(state, FIELD.note);
  if (orderNumber && !/^[A-Za-z0-9][A-Za-z0-9#-]{0,39}$/.test(orderNumber)) errors[FIELD.orderNumber] = 'Letters, digits and - only (up to 40), e.g. 1547 or DC-1547';
  const ready = /^\d{1,4}$/.test(readyRaw) ? Number(readyRaw) : NaN;
  if (!Number.isInteger(ready) || ready > 24 * 60) errors[FIELD.readyIn] = 'Whole minutes between 0 and 1440, e.g. 10';
  if (note.length > 500) errors[FIELD.note] = 'At most 500 characters';
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { ...(orderNumber ? { orderNumber } : {}), readyInMinutes: ready, ...(note ? { note } : {}) } };
}

export function checkFail(state: unknown): Checked<{ reason: string; customerMessage?: string }> {
  const reason = fieldValue(state, FIELD.reason);
  const customerMessage = fieldValue(state, FIELD.customerMessage);
  const errors: Record<string, string> = {};
  if (!reason) errors[FIELD.reason] = 'Say why, for the team';
  else if (reason.length > 500) errors[FIELD.reason] = 'At most 500 characters';
  if (customerMessage.length > 500) errors[FIELD.customerMessage] = 'At most 500 characters';
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { reason, ...(customerMessage ? { customerMessage } : {}) } };
}

export function parseModalContext(raw: unknown): ModalContext | null {
  try {
    const v = JSON.parse(String(raw)) as Partial<ModalContext>;
    return typeof v.taskId === 'string' ? { taskId: v.taskId, channel: v.channel ?? null, messageTs: v.messageTs ?? null } : null;
  } catch {
    return null;
  }
}
