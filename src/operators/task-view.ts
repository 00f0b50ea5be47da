/**
 * What an operator sees of a manual task, platform-neutral: a Slack card, an App Home row or an API client
 * renders this and nothing else. Customer phone numbers appear masked only.
 */
import { formatMoney } from '../engine/money.js';
import { maskPhone } from '../engine/phone.js';
import type { PricedOrder } from '../engine/types.js';
import { summarizeAttempts, type AttemptRecord } from './attempts.js';

export const MANUAL_TASK_STATUSES = ['open', 'claimed', 'completed', 'failed', 'cancelled'] as const;
export type ManualTaskStatus = (typeof MANUAL_TASK_STATUSES)[number];
export const isClosed = (s: ManualTaskStatus) => s === 'completed' || s === 'failed' || s === 'cancelled';

export interface OperatorTaskView {
  id: string;
  actionId: string;
  spaceId: string;
  status: ManualTaskStatus;
  /** The operator holding the task (claimed), or who closed it. */
  operatorId: string | null;
  round: number;
  provider: { id: string; name: string; phone: string | null; email: string | null; timezone: string };
  items: Array<{ quantity: number; name: string; modifiers: string[]; price: string }>;
  total: string;
  /** In the provider's local time, e.g. "Mon, 8:15 AM EST"; "as soon as possible" when none was asked. */
  pickup: string;
  customer: { name: string | null; phoneMasked: string | null };
  instructions: string | null;
  /** Why it fell through: one line per earlier step of the chain. */
  attempts: string[];
  outcome: { orderNumber: string | null; readyInMinutes: number | null; note: string | null; failureReason: string | null };
  createdAt: string;
  claimedAt: string | null;
}

export interface TaskFacts {
  task: {
    _id: string; actionId: unknown; spaceId: unknown; status: string; operatorId?: string | null; round?: number | null;
    orderNumber?: string | null; readyInMinutes?: number | null; note?: string | null; failureReason?: string | null;
    createdAt?: Date | null; claimedAt?: Date | null;
  };
  order: PricedOrder;
  provider: { _id: unknown; name: string; timezone: string; contactEmail?: string | null; contactPhone?: string | null };
  executions: readonly AttemptRecord[];
}

export function formatPickup(at: Date | null, timezone: string): string {
  if (!at) return 'as soon as possible';
  return new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);
}

export function buildTaskView({ task, order, provider, executions }: TaskFacts): OperatorTaskView {
  return {
    id: task._id,
    actionId: String(task.actionId),
    spaceId: String(task.spaceId),
    status: task.status as ManualTaskStatus,
    operatorId: task.operatorId ?? null,
    round: task.round ?? 0,
    provider: { id: String(provider._id), name: provider.name, phone: provider.contactPhone ?? null, email: provider.contactEmail ?? null, timezone: provider.timezone },
    items: order.lines.map((l) => ({ quantity: l.quantity, name: l.name, modifiers: l.modifiers.map((m) => m.name), price: formatMoney(l.lineTotalCents, order.currency) })),
    total: formatMoney(order.totalCents, order.currency),
    pickup: formatPickup(order.pickupAt, provider.timezone),
    customer: { name: order.customerName, phoneMasked: order.customerPhone ? maskPhone(order.customerPhone) : null },
    instructions: order.specialInstructions,
    attempts: summarizeAttempts(executions),
    outcome: { orderNumber: task.orderNumber ?? null, readyInMinutes: task.readyInMinutes ?? null, note: task.note ?? null, failureReason: task.failureReason ?? null },
    createdAt: (task.createdAt ?? new Date(0)).toISOString(),
    claimedAt: task.claimedAt ? task.claimedAt.toISOString() : null,
  };
}
