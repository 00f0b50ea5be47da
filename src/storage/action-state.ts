/**
 * An action = its Action document (what was asked, fixed at creation; final state once done) overlaid with
 * its ActionLive document while it is live. Every reader that needs the current state goes through here.
 */
import type { Types } from 'mongoose';
import { Action, ActionLive, actionStateFields, type ActionDoc } from './models.js';
import { insertOnce } from './insert-once.js';

export const LIVE_FIELDS = Object.keys(actionStateFields) as Array<keyof typeof actionStateFields>;

export function liveFieldsOf(doc: Record<string, unknown>): Record<string, unknown> {
  const fields = Object.fromEntries(LIVE_FIELDS.filter((k) => doc[k] !== undefined).map((k) => [k, doc[k]]));
  return { ...fields, wakeAt: wakeAtOf(fields) };
}

/** When a worker next has something to do for an action in this state (see `wakeAt` in models.ts). */
export function wakeAtOf(state: Record<string, unknown>): Date | null {
  const at = { ready: state.nextStepAt ?? new Date(0), running: state.leaseUntil, awaiting: state.confirmDeadlineAt }[String(state.phase ?? 'ready')];
  return at ? new Date(at as Date) : null;
}

function overlay(base: ActionDoc, live: Record<string, unknown> | null): ActionDoc {
  return live ? ({ ...base, ...liveFieldsOf(live), updatedAt: live.updatedAt ?? (base as { updatedAt?: Date }).updatedAt } as ActionDoc) : base;
}

/** The current state. An action that is not done but has no live document (a crash at creation) gets one. */
export async function loadAction(filter: { _id: string | Types.ObjectId; spaceId?: string | Types.ObjectId }): Promise<ActionDoc | null> {
  // Live first, then base: the final transition updates the base before deleting the live document, so a
  // missing live document read here means the base we read next is already final (no stale resurrection).
  const live = await ActionLive.findById(filter._id).lean();
  const base = await Action.findOne(filter as Record<string, unknown>).lean<ActionDoc>();
  if (!base) return null;
  if (!live && base.phase !== 'done') {
    await insertOnce(ActionLive, { _id: base._id, spaceId: base.spaceId, ...liveFieldsOf(base as unknown as Record<string, unknown>) });
    return overlay(base, await ActionLive.findById(base._id).lean());
  }
  return overlay(base, live as Record<string, unknown> | null);
}

export async function withLiveState(docs: ActionDoc[]): Promise<ActionDoc[]> {
  if (docs.length === 0) return docs;
  const lives = await ActionLive.find({ _id: { $in: docs.map((d) => d._id) } }).lean();
  const byId = new Map(lives.map((l) => [l._id.toString(), l as unknown as Record<string, unknown>]));
  return docs.map((d) => overlay(d, byId.get(d._id.toString()) ?? null));
}

/**
 * Writes the fields of one transition. Live actions change their small live document; the transition that
 * makes an action done copies the final state onto the Action document, then drops the live one.
 */
export async function writeActionState(current: ActionDoc, seq: number, set: Record<string, unknown>): Promise<void> {
  const next: Record<string, unknown> = { ...set, stepSeq: seq + 1 };
  next.wakeAt = wakeAtOf({ ...current, ...next });
  const done = (next.phase ?? current.phase) === 'done';
  if (!done) {
    await ActionLive.updateOne({ _id: current._id, stepSeq: seq }, { $set: next });
    return;
  }
  // By _id only: on FerretDB every extra condition makes this collection scan several times slower. (Retention
  // removes a finished action's transition log only long after any writer could still hold its old state.)
  await Action.updateOne({ _id: current._id }, { $set: { ...liveFieldsOf(current as unknown as Record<string, unknown>), ...next } });
  await ActionLive.deleteOne({ _id: current._id });
}

/** Live actions due for longer than `overdueMs` (at most `atMost` counted: a limited find, not a count). */
export async function countOverdue(overdueMs: number, atMost: number): Promise<number> {
  const before = new Date(Date.now() - overdueMs);
  return (await ActionLive.find({ wakeAt: { $lte: before } }, { _id: 1 }).limit(atMost).lean()).length;
}
