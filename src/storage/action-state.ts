/**
 * Where an action is: its whole document in ActionLive while it is live, in Action once it is done (see the
 * models). The transition that ends it inserts the final document into Action, moves its executions, then
 * deletes the live one; readers look at live first, so one that misses the live document finds the final
 * one. Every reader that needs the current state goes through here.
 */
import type { Types } from 'mongoose';
import { Action, ActionLive, actionStateFields, type ActionDoc } from './models.js';
import { insertOnce, isDuplicateKey } from './insert-once.js';
import { archiveExecutions } from './executions.js';

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

type Filter = { _id: string | Types.ObjectId; spaceId?: string | Types.ObjectId; userId?: string; providerId?: string };

/**
 * The current state. Live documents written before this layout held only the changing fields over an Action
 * document inserted at creation: those are overlaid on it (and a not-done Action without a live document —
 * a crash at creation then — gets one).
 */
export async function loadAction(filter: Filter): Promise<ActionDoc | null> {
  const live = await ActionLive.findOne(filter as Record<string, unknown>).lean<ActionDoc>();
  if (live && live.type) return live;
  const done = await Action.findOne(filter as Record<string, unknown>).lean<ActionDoc>();
  if (!done) return null;
  if (live) return { ...done, ...liveFieldsOf(live as unknown as Record<string, unknown>), updatedAt: (live as { updatedAt?: Date }).updatedAt } as ActionDoc;
  if (done.phase !== 'done') {
    await insertOnce(ActionLive, { ...done, ...liveFieldsOf(done as unknown as Record<string, unknown>) });
    return loadAction(filter);
  }
  return done;
}

/** Whether the action exists in that space (live or done). */
export async function actionExists(filter: Filter): Promise<boolean> {
  return !!(await ActionLive.exists(filter as Record<string, unknown>)) || !!(await Action.exists(filter as Record<string, unknown>));
}

/**
 * Writes the fields of one transition. A live action changes its live document; the transition that ends it
 * writes the final document (an insert) and deletes the live one; a change after the end (a provider's
 * "ready") updates the final document — the one update of the history collection, off the step path.
 */
export async function writeActionState(current: ActionDoc, seq: number, set: Record<string, unknown>): Promise<void> {
  const next: Record<string, unknown> = { ...set, stepSeq: seq + 1 };
  next.wakeAt = wakeAtOf({ ...current, ...next });
  const done = (next.phase ?? current.phase) === 'done';
  if (!done) {
    await ActionLive.updateOne({ _id: current._id, stepSeq: seq }, { $set: next });
    return;
  }
  if (current.phase === 'done') {
    // By _id only: on FerretDB every extra condition makes this collection scan several times slower.
    await Action.updateOne({ _id: current._id }, { $set: next });
    return;
  }
  // Inserts first (executions and the final action, together), deletes once they all landed: a crash in
  // between leaves copies in both places, which readers count once and the roll-forward completes.
  const final = { ...current, ...next, updatedAt: new Date() };
  const executions = await archiveExecutions(current._id, Array.isArray(final.executionIds) ? final.executionIds : undefined);
  await Promise.all([executions.copy, insertFinal(final)]);
  await Promise.all([executions.drop(), ActionLive.deleteOne({ _id: current._id })]);
}

async function insertFinal(final: ActionDoc & Record<string, unknown>): Promise<void> {
  try {
    await Action.collection.insertOne(final as never);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // Already there: this transition is being rolled forward after a crash (nothing to do), or the action was
    // created before this layout, with its Action document inserted at creation (bring it up to date).
    const existing = await Action.findById(final._id, { phase: 1 }).lean();
    if (existing?.phase !== 'done') await Action.replaceOne({ _id: final._id }, final);
  }
}

/** Live actions due for longer than `overdueMs` (at most `atMost` counted: a limited find, not a count). */
export async function countOverdue(overdueMs: number, atMost: number): Promise<number> {
  const before = new Date(Date.now() - overdueMs);
  return (await ActionLive.find({ wakeAt: { $lte: before } }, { _id: 1 }).limit(atMost).lean()).length;
}

/** Every stored action matching a filter, live or done (newest first): for lookups by other fields than the id. */
export async function storedActions(filter: Record<string, unknown>): Promise<ActionDoc[]> {
  const [live, done] = await Promise.all([ActionLive.find(filter).lean<ActionDoc[]>(), Action.find(filter).lean<ActionDoc[]>()]);
  const byId = new Map<string, ActionDoc>();
  for (const a of [...live.filter((l) => l.type), ...done]) byId.set(a._id.toString(), a);
  return [...byId.values()].sort((a, b) => b._id.toString().localeCompare(a._id.toString()));
}

/** The newest stored action matching a filter, live or done. */
export async function findStoredAction(filter: Record<string, unknown>): Promise<ActionDoc | null> {
  return (await storedActions(filter))[0] ?? null;
}
