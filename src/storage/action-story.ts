/**
 * An action's story — its receipt and status updates — read by `_id`, because the action knows those ids: the
 * receipt's `_id` is the action's, and status updates are `${actionId}:created` and `${actionId}:${seq}` for the
 * transitions before `stepSeq` (see transition-log.ts). On FerretDB any other filter reads every document of
 * the collection (a find by actionId took 1.3 s with 20,000 finished actions stored); by `_id` it is an index
 * lookup there and on MongoDB. Records written before these ids existed are found by actionId, as before.
 * (Executions: `executionsOf` in executions.ts, by the action's `executionIds`.)
 */
import type { Types } from 'mongoose';
import { ActionStatusUpdate, Receipt } from './models.js';

type Lean<T> = T & { _id: unknown };
export type ReceiptRecord = Lean<{ actionId: Types.ObjectId; receiptNumber: string; status: string; data: unknown; createdAt: Date }>;
export type StatusUpdateRecord = Lean<{ status: string; message: string; timestamp: Date }>;

/** Beyond this many transitions, one query by actionId is cheaper than a lookup per transition. */
const MAX_LOOKUPS = 64;

interface StoryOf { _id: Types.ObjectId; stepSeq?: number | null; completedAt?: Date | null }

/** The action's receipt, or null. */
export async function receiptOf(action: StoryOf): Promise<ReceiptRecord | null> {
  const byId = await Receipt.findById(action._id).lean<ReceiptRecord>();
  if (byId) return byId;
  // Only a completed action has a receipt; one issued before receipts took the action's _id is found by actionId.
  return action.completedAt ? Receipt.findOne({ actionId: action._id }).lean<ReceiptRecord>() : null;
}

/** The action's status updates, oldest first. */
export async function statusUpdatesOf(action: StoryOf): Promise<StatusUpdateRecord[]> {
  const id = action._id.toString();
  const seqs = action.stepSeq ?? 0;
  if (seqs <= MAX_LOOKUPS) {
    const ids = [`${id}:created`, ...Array.from({ length: seqs }, (_, seq) => `${id}:${seq}`)];
    const found = (await Promise.all(ids.map((_id) => ActionStatusUpdate.findById(_id).lean<StatusUpdateRecord>()))).filter((u) => u !== null);
    // Every action records ":created" first; without it the updates predate these ids.
    if (found.some((u) => u._id === `${id}:created`)) return found.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }
  return ActionStatusUpdate.find({ actionId: action._id }).sort({ timestamp: 1 }).lean<StatusUpdateRecord[]>();
}
