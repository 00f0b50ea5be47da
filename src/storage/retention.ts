/**
 * Retention: a finished action keeps its story (the action, executions, status updates, receipts), but the
 * bookkeeping that only guarded its steps while it ran is removed once it has been finished for a while —
 * its transition log entries (the step leases live on ActionLive, which is deleted when the action is done)
 * and its order-number claim (the number itself is on the action) — plus API idempotency keys and inbound
 * event ids older than a day. Collections read on the hot path then stay bounded by recent work.
 */
import { Action, ActionExecutionLive, ActionLive, IdempotencyRecord, OrderNumber, ProcessedEvent, Transition } from './models.js';
import { moveExecutions } from './executions.js';

export interface RetentionSettings {
  /** Bookkeeping of an action is kept this long after its last transition (stale workers must be long gone). */
  stepBookkeepingMs: number;
  /** Idempotency-Key replays and inbound webhook event ids are honoured this long. */
  dedupeMs: number;
  /** At most this many actions per run (bounded work; the next run continues). */
  batch?: number;
}

export async function removeFinishedBookkeeping(s: RetentionSettings, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - s.stepBookkeepingMs);
  const old = await Transition.find({ createdAt: { $lt: cutoff } }, { actionId: 1 }).limit(s.batch ?? 1000).lean();
  const ids = [...new Map(old.map((t) => [t.actionId.toString(), t.actionId])).values()];
  const done = ids.length ? await Action.find({ _id: { $in: ids }, phase: 'done' }, { _id: 1 }).lean() : [];
  const doneIds = done.map((a) => a._id);
  if (doneIds.length) {
    await Transition.deleteMany({ actionId: { $in: doneIds } });
    await OrderNumber.deleteMany({ _id: { $in: doneIds } });
  }
  // A worker that lost its lease can record a run after its action ended: such a live execution is archived too.
  const stale = await ActionExecutionLive.find({ createdAt: { $lt: cutoff } }, { actionId: 1 }).limit(s.batch ?? 1000).lean();
  const staleActions = [...new Map(stale.map((e) => [e.actionId.toString(), e.actionId])).values()];
  const stillLive = new Set((staleActions.length ? await ActionLive.find({ _id: { $in: staleActions } }, { _id: 1 }).lean() : []).map((a) => a._id.toString()));
  for (const actionId of staleActions) if (!stillLive.has(actionId.toString())) await moveExecutions(actionId);
  const dedupeCutoff = new Date(now.getTime() - s.dedupeMs);
  await IdempotencyRecord.deleteMany({ createdAt: { $lt: dedupeCutoff } });
  await ProcessedEvent.deleteMany({ createdAt: { $lt: dedupeCutoff } });
  return doneIds.length;
}
