/**
 * An action's executions (one per handler attempt): in ActionExecutionLive while the action is live — the
 * engine inserts and updates them there — and in ActionExecution once it is done, moved by inserts when the
 * action ends (see action-state.ts). Readers look at both.
 */
import type { Types } from 'mongoose';
import { ActionExecution, ActionExecutionLive, type ExecutionDoc } from './models.js';
import { isDuplicateKey } from './insert-once.js';

/** One execution by id (live first). */
export async function findExecution(executionId: string): Promise<ExecutionDoc | null> {
  return (await ActionExecutionLive.findById(executionId).lean<ExecutionDoc>()) ?? ActionExecution.findById(executionId).lean<ExecutionDoc>();
}

/**
 * An action's executions in chain order (a copy in both places, mid-move, counts once). `ids` (the action's
 * executionIds) are read by _id; without them, by actionId (on FerretDB a read of every stored execution).
 */
export async function executionsOf(actionId: string | Types.ObjectId, projection?: Record<string, 1>, ids?: readonly string[] | null): Promise<ExecutionDoc[]> {
  const byIds = async (m: typeof ActionExecution) => (await Promise.all(ids!.map((id) => m.findById(id, projection).lean<ExecutionDoc>()))).filter((e) => e !== null);
  const [live, done] = Array.isArray(ids)
    ? await Promise.all([byIds(ActionExecutionLive), byIds(ActionExecution)])
    : await Promise.all([
      ActionExecutionLive.find({ actionId }, projection).lean<ExecutionDoc[]>(),
      ActionExecution.find({ actionId }, projection).lean<ExecutionDoc[]>(),
    ]);
  const byId = new Map([...live, ...done].map((e) => [String(e._id), e]));
  return [...byId.values()].sort((a, b) => a.chainIndex - b.chainIndex || a.attempt - b.attempt);
}

/** `ids` plus `id` (once); undefined stays undefined: an action without the list has its executions found by actionId. */
export function withExecutionId(ids: readonly string[] | null | undefined, id: string): string[] | undefined {
  if (!Array.isArray(ids)) return undefined;
  return ids.includes(id) ? [...ids] : [...ids, id];
}

/**
 * Moves a finished action's executions to the history collection: `copy` inserts them (a re-run after a crash
 * skips copies already there); the returned `drop` deletes the live ones — call it only once every copy landed.
 * `ids` (the action's executionIds) are read and deleted by _id; without them, by actionId (a scan on FerretDB).
 * An execution recorded after its action ended, by a worker that lost its lease, is left to the retention job.
 */
export async function archiveExecutions(actionId: Types.ObjectId, ids?: readonly string[]): Promise<{ copy: Promise<void>; drop: () => Promise<void> }> {
  const live = ids
    ? (await Promise.all(ids.map((id) => ActionExecutionLive.findById(id).lean()))).filter((e) => e !== null)
    : await ActionExecutionLive.find({ actionId }).lean();
  const copy = Promise.all(live.map((e) => ActionExecution.collection.insertOne(e as never).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err;
  }))).then(() => undefined);
  const drop = async () => {
    if (ids) await Promise.all(live.map((e) => ActionExecutionLive.deleteOne({ _id: e._id })));
    else if (live.length) await ActionExecutionLive.deleteMany({ actionId });
  };
  return { copy, drop };
}

/** archiveExecutions, start to end. */
export async function moveExecutions(actionId: Types.ObjectId): Promise<void> {
  const { copy, drop } = await archiveExecutions(actionId);
  await copy;
  await drop();
}

/** Sets fields of an execution: the live copy, or the archived one when the action has ended meanwhile (a step that finished after a cancel). */
export async function updateExecution(executionId: string, set: Record<string, unknown>): Promise<void> {
  const live = await ActionExecutionLive.updateOne({ _id: executionId }, { $set: set });
  if (live.matchedCount === 0) await ActionExecution.updateOne({ _id: executionId }, { $set: set });
}
