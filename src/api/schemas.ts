import { z } from 'zod';
import { isE164 } from '../engine/phone.js';
import { ACTION_STATUSES, ORIGIN_CHANNELS } from '../engine/types.js';
import { MANUAL_TASK_STATUSES } from '../services/manual-tasks.js';
import { plainText } from './text.js';

const objectId = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character hex id');

/** A client-sent price: a non-negative number, or "5.50" / "$5.50" (at most two decimals, nothing else). */
export const ClientPrice = z.union([
  z.number().nonnegative().finite(),
  z.string().regex(/^\s*\$?\d{1,7}(\.\d{1,2})?\s*$/, 'must be a price such as 5.50 or "$5.50"'),
]);

/** origin.ref: a few identifiers of the chat message (Slack channel/ts, Telegram chat/message ids). */
const ORIGIN_REF_MAX_KEYS = 20;
const OriginRef = z.record(
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys must be 1-64 letters, digits, _ or -'),
  plainText(200, { allowEmpty: true }),
).refine((r) => Object.keys(r).length <= ORIGIN_REF_MAX_KEYS, `must have at most ${ORIGIN_REF_MAX_KEYS} keys`);

export const OrderItemInput = z.object({
  name: plainText(100).optional(),
  sku: plainText(100).optional(),
  quantity: z.number().int('must be a whole number').min(1).max(50).default(1),
  modifications: z.array(plainText(100)).max(10).default([]),
  /** Optional: checked against the catalog, never used as the price. */
  price: ClientPrice.optional(),
}).refine((i) => i.name !== undefined || i.sku !== undefined, { message: 'name or sku is required', path: ['name'] });

export const OrderParameters = z.object({
  items: z.array(OrderItemInput).min(1, 'at least one item is required').max(50),
  pickup_time: z.string().max(100).nullable().optional(),
  customer_name: plainText(80).optional(),
  customer_phone: z.string().refine(isE164, 'must be an E.164 phone number such as +14155550123').optional(),
  special_instructions: plainText(500, { multiline: true, allowEmpty: true }).optional(),
});

export const CreateActionBody = z.object({
  itemId: objectId,
  type: z.literal('order', { error: 'unsupported action type; supported: order' }),
  parameters: OrderParameters,
  origin: z.object({
    // A chat origin makes the bot post into that thread: only the bots set one (through the engine service).
    channel: z.literal('api', { error: `chat origins (${ORIGIN_CHANNELS.filter((c) => c !== 'api').join(', ')}) are set by the chat bots only; send "api" or leave origin out` }).default('api'),
    ref: OriginRef.optional(),
  }).optional(),
});
export type CreateActionBody = z.infer<typeof CreateActionBody>;

export const ListActionsQuery = z.object({
  status: z.enum(ACTION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: objectId.optional(),
});

export const UserIdHeader = plainText(200);
export const IdempotencyKeyHeader = z.string().min(1).max(255);
export const OperatorBody = z.object({ operatorId: plainText(100) });
export const CompleteTaskBody = OperatorBody.extend({
  orderNumber: plainText(40).optional(),
  readyInMinutes: z.number().int().min(0).max(24 * 60).optional(),
  note: plainText(500, { multiline: true }).optional(),
});
/** `reason` is for the team; `customerMessage`, when given, is what the customer is told. */
export const FailTaskBody = OperatorBody.extend({ reason: plainText(500, { multiline: true }), customerMessage: plainText(500, { multiline: true }).optional() });
export const ListTasksQuery = z.object({ status: z.enum(MANUAL_TASK_STATUSES).optional() });

const SlackId = z.string().trim().regex(/^[A-Z0-9]{2,30}$/, 'must be a Slack id such as C0123ABC');
/** A space's operator channel (its members are the operators) and an optional explicit list of operators. */
export const PutOperatorsBody = z.object({
  channel: z.object({ platform: z.literal('slack').default('slack'), id: SlackId, workspaceId: SlackId.nullish() }).strict().nullable(),
  operators: z.array(z.string().trim().regex(/^slack:[A-Z0-9]+:[A-Z0-9]+$/, 'must look like slack:<team>:<user>')).max(200).nullish(),
}).strict();

export const CreateSpaceBody = z.object({
  name: plainText(120),
  keyLabel: plainText(60).default('default'),
});
export const CreateKeyBody = z.object({ label: plainText(60).default('default') });

export { objectId };
