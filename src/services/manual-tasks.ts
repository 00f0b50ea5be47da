/**
 * Operator work on manual tasks, for every caller (HTTP API, Slack): list, claim, release, complete, fail,
 * and closing tasks whose action ended meanwhile (the customer cancelled). Every decision is an insert on a
 * unique key (first wins; conditional updates are not atomic on FerretDB):
 *   manual-task:<id>:claim[:<round>]  who holds the task in claim round n (round 0 keeps the historic key)
 *   manual-task:<id>:release:<round>  the holder gave it back: round n is over, round n+1 may be claimed
 *   manual-task:<id>:close            how it ended, "<complete|fail|cancel> <operatorId>"
 * The ManualTask document is the readable copy of those decisions. Each change is published once per key
 * (status bus + a durable job that tells operators), so a retried request repeats no side effect.
 */
import { RequestError } from '../engine/errors.js';
import type { ExternalOutcomes, OutcomeResult } from '../engine/types.js';
import type { OperatorTaskChange, OperatorTaskEventType, OperatorTaskPublisher } from '../operators/events.js';
import { viewOf } from '../operators/load-view.js';
import { isClosed, MANUAL_TASK_STATUSES, type ManualTaskStatus, type OperatorTaskView } from '../operators/task-view.js';
import { loadAction } from '../storage/action-state.js';
import { insertOnce } from '../storage/insert-once.js';
import { Claim, ManualTask } from '../storage/models.js';
import type { SpaceScope } from './providers.js';

export { MANUAL_TASK_STATUSES, type ManualTaskStatus };

/** A task as the API shows it (the structured order details stay internal; the summary says it all). */
export type ManualTaskRecord = Record<string, unknown> & { id: string; status: ManualTaskStatus };

/** A refusal that names who holds the task, so a chat can say "already claimed by @op". */
export class TaskConflict extends RequestError {
  constructor(code: string, message: string, readonly holder: string | null) {
    super(409, code, message);
  }
}

type TaskDoc = {
  _id: string; actionId: unknown; spaceId: unknown; providerId: unknown; status: ManualTaskStatus; operatorId?: string | null; round?: number | null;
  createdAt?: Date | null; claimedAt?: Date | null; openedAt?: Date | null; completedAt?: Date | null;
} & Record<string, unknown>;

const recordOf = (t: TaskDoc): ManualTaskRecord => {
  const { _id, details: _details, ...rest } = t;
  // The API promises these (null until set); a task stored without them (an upsert that skipped the schema's
  // defaults) must not answer without them.
  return { id: String(_id), ...rest, operatorId: t.operatorId ?? null, claimedAt: t.claimedAt ?? null, completedAt: t.completedAt ?? null } as ManualTaskRecord;
};

const claimKey = (taskId: string, round: number) => (round === 0 ? `manual-task:${taskId}:claim` : `manual-task:${taskId}:claim:${round}`);
const releaseKey = (taskId: string, round: number) => `manual-task:${taskId}:release:${round}`;
const closeKey = (taskId: string) => `manual-task:${taskId}:close`;
const nudgeKey = (taskId: string, round: number) => `manual-task:${taskId}:nudge:${round}`;
const reminderKey = (taskId: string, round: number) => `manual-task:${taskId}:reminder:${round}`;
type CloseKind = 'complete' | 'fail' | 'cancel';
const SYSTEM = 'system';

const ACTION_ENDED: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface NudgeSettings {
  /** An open task nobody claimed for this long is announced again (once per open period). */
  nudgeAfterMs: number;
  /** A claimed task not finished for this long gets a reminder to its claimer (once per claim). */
  remindAfterMs: number;
}

export class ManualTaskService {
  constructor(private readonly deps: { outcomes: ExternalOutcomes; publisher: OperatorTaskPublisher; now: () => Date }) {}

  private async load(scope: SpaceScope, id: string): Promise<TaskDoc> {
    const task = await ManualTask.findOne({ _id: id, spaceId: scope.spaceId }).lean<TaskDoc>();
    if (!task) throw new RequestError(404, 'not_found', 'manual task not found');
    return task;
  }

  private async reload(id: string): Promise<TaskDoc> {
    return (await ManualTask.findById(id).lean<TaskDoc>())!;
  }

  private async publish(task: TaskDoc, type: OperatorTaskEventType, operatorId: string | null, round: number, key: string): Promise<void> {
    const change: OperatorTaskChange = {
      type, taskId: task._id, actionId: String(task.actionId), spaceId: String(task.spaceId), operatorId, round, key, at: this.deps.now().toISOString(),
    };
    await this.deps.publisher.publish(change);
  }

  /** The current claim round and its holder, read from the decision records (the document may lag). */
  private async holder(task: TaskDoc): Promise<{ round: number; by: string | null }> {
    for (let round = task.round ?? 0, n = 0; n < 1000; round++, n++) {
      const claim = await Claim.findById(claimKey(task._id, round)).lean();
      if (!claim) return { round, by: null };
      if (!(await Claim.exists({ _id: releaseKey(task._id, round) }))) return { round, by: claim.by ?? null };
    }
    throw new Error(`manual task ${task._id}: too many claim rounds`);
  }

  private async closer(taskId: string): Promise<{ kind: CloseKind; by: string } | null> {
    const c = await Claim.findById(closeKey(taskId)).lean();
    if (!c?.by) return null;
    const [kind, ...rest] = c.by.split(' ');
    // Tasks closed before close records named their kind hold just the operator id.
    return rest.length ? { kind: kind as CloseKind, by: rest.join(' ') } : { kind: 'complete', by: c.by };
  }

  /** The first close wins; true when it is `kind` by `operatorId` (this call or an earlier try of the same request). */
  private async closeOnce(taskId: string, kind: CloseKind, operatorId: string): Promise<boolean> {
    if (await insertOnce(Claim, { _id: closeKey(taskId), by: `${kind} ${operatorId}` })) return true;
    const c = await this.closer(taskId);
    return c?.kind === kind && c.by === operatorId;
  }

  /**
   * A task whose action ended without it (the customer cancelled) is closed as cancelled, and its card says so.
   * Called when a cancel is seen, by every operator request, and by the periodic sweep (so none is missed).
   */
  async closeIfActionEnded(task: TaskDoc): Promise<boolean> {
    if (isClosed(task.status)) return false;
    const action = await loadAction({ _id: String(task.actionId) });
    if (action && !ACTION_ENDED.has(action.status)) return false;
    if (!(await this.closeOnce(task._id, 'cancel', SYSTEM))) return false;
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'cancelled', cancelledAt: this.deps.now() } });
    await this.publish(task, 'task.cancelled', null, task.round ?? 0, `${task._id}:closed`);
    return true;
  }

  async closeTasksOfEndedAction(actionId: string): Promise<void> {
    const tasks = await ManualTask.find({ actionId, status: { $in: ['open', 'claimed'] } }).lean<TaskDoc[]>();
    for (const t of tasks) await this.closeIfActionEnded(t);
  }

  private async refuseIfClosed(task: TaskDoc): Promise<void> {
    if (await this.closeIfActionEnded(task)) throw new TaskConflict('task_closed', 'the order was cancelled', null);
    if (isClosed(task.status)) throw new TaskConflict('task_closed', `task is already ${task.status}`, task.operatorId ?? null);
  }

  /** The step must be waiting for the operator: a task is created just before its action records that. */
  private async requireAwaiting(task: TaskDoc): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const action = await loadAction({ _id: String(task.actionId) });
      if (action?.status === 'awaiting_confirmation' && action.awaitingExecutionId === task._id) return;
      if (!action || action.phase === 'done') break;
      await new Promise((r) => setTimeout(r, 100)); // the step is committing (a few ms): wait, bounded to 2 s
    }
    throw new RequestError(409, 'not_ready', 'the task is not waiting for an operator yet; try again in a moment');
  }

  // ---- reads

  /** Open and claimed tasks (oldest first) unless a status is given. */
  async list(scope: SpaceScope, status?: ManualTaskStatus): Promise<ManualTaskRecord[]> {
    const tasks = await ManualTask.find({ spaceId: scope.spaceId, status: status ?? { $in: ['open', 'claimed'] } }).sort({ createdAt: 1 }).limit(100).lean<TaskDoc[]>();
    return tasks.map(recordOf);
  }

  /** What an operator's home shows: the tasks they hold and the unclaimed ones, as cards. */
  async board(scope: SpaceScope, operatorId: string): Promise<{ mine: OperatorTaskView[]; unclaimed: OperatorTaskView[] }> {
    const tasks = await ManualTask.find({ spaceId: scope.spaceId, status: { $in: ['open', 'claimed'] } }).sort({ createdAt: 1 }).limit(100).lean<TaskDoc[]>();
    const views = (await Promise.all(tasks.map((t) => viewOf(t)))).filter((v): v is OperatorTaskView => !!v);
    return { mine: views.filter((v) => v.status === 'claimed' && v.operatorId === operatorId), unclaimed: views.filter((v) => v.status === 'open') };
  }

  async view(scope: SpaceScope, id: string): Promise<OperatorTaskView> {
    const view = await viewOf(await this.load(scope, id));
    if (!view) throw new RequestError(404, 'not_found', 'manual task not found');
    return view;
  }

  // ---- lifecycle

  /** The manual handler stored a new task: stamp when it opened and announce it (idempotent). */
  async opened(taskId: string): Promise<void> {
    await ManualTask.updateOne({ _id: taskId, openedAt: null }, { $set: { openedAt: this.deps.now() } });
    const task = await this.reload(taskId);
    if (task) await this.publish(task, 'task.opened', null, 0, `${taskId}:opened`);
  }

  async claim(scope: SpaceScope, id: string, operatorId: string): Promise<ManualTaskRecord> {
    const task = await this.load(scope, id);
    await this.refuseIfClosed(task);
    for (let tries = 0; tries < 10; tries++) {
      const { round, by } = await this.holder(task);
      if (by && by !== operatorId) throw new TaskConflict('already_claimed', `task is already claimed by ${by}`, by);
      // Not held: try to take this round. Held by us: an earlier try of this request won; finish its writes.
      if (by === operatorId || (await insertOnce(Claim, { _id: claimKey(id, round), by: operatorId }))) {
        // Only moves forward: never back over a later round or a closed task.
        await ManualTask.updateOne(
          { _id: id, status: { $in: ['open', 'claimed'] }, $or: [{ round: { $lt: round } }, { round, status: 'open' }] },
          { $set: { status: 'claimed', operatorId, claimedAt: this.deps.now(), round } },
        );
        await this.publish(task, 'task.claimed', operatorId, round, `${id}:claimed:${round}`);
        return recordOf(await this.reload(id));
      }
    }
    throw new RequestError(409, 'busy', 'the task changed hands too often; try again');
  }

  /** The holder hands the task back: open again for anyone to claim. */
  async release(scope: SpaceScope, id: string, operatorId: string): Promise<ManualTaskRecord> {
    const task = await this.load(scope, id);
    await this.refuseIfClosed(task);
    const { round, by } = await this.holder(task);
    if (by !== operatorId) throw notHolder(by, 'release');
    await insertOnce(Claim, { _id: releaseKey(id, round), by: operatorId });
    await ManualTask.updateOne({ _id: id, round, status: 'claimed' }, { $set: { status: 'open', operatorId: null, claimedAt: null, openedAt: this.deps.now(), round: round + 1 } });
    await this.publish(task, 'task.released', operatorId, round, `${id}:released:${round}`);
    return recordOf(await this.reload(id));
  }

  async complete(scope: SpaceScope, id: string, input: { operatorId: string; orderNumber?: string; readyInMinutes?: number; note?: string }): Promise<{ task: ManualTaskRecord; action: OutcomeResult }> {
    const task = await this.load(scope, id);
    const retry = task.status === 'completed' && (await this.closer(id))?.by === input.operatorId;
    if (!retry) {
      await this.refuseIfClosed(task);
      const { by } = await this.holder(task);
      if (by !== input.operatorId) throw notHolder(by, 'complete');
      await this.requireAwaiting(task);
      if (!(await this.closeOnce(id, 'complete', input.operatorId))) throw new TaskConflict('task_closed', 'task is already closed', null);
      await ManualTask.updateOne({ _id: id }, {
        $set: { status: 'completed', completedAt: this.deps.now(), orderNumber: input.orderNumber ?? null, readyInMinutes: input.readyInMinutes ?? null, note: input.note ?? null },
      });
    }
    // Idempotent: the engine confirms a step once; a retry only finishes what a crash may have cut short.
    const action = await this.deps.outcomes.confirm(id, { orderNumber: input.orderNumber, readyInMinutes: input.readyInMinutes, externalRef: `manual:${id}` });
    await this.publish(task, 'task.completed', input.operatorId, task.round ?? 0, `${id}:closed`);
    return { task: recordOf(await this.reload(id)), action };
  }

  /** Fails the action. `reason` is for the team; `customerMessage`, when given, is what the customer is told. */
  async fail(scope: SpaceScope, id: string, input: { operatorId: string; reason: string; customerMessage?: string }): Promise<{ task: ManualTaskRecord; action: OutcomeResult }> {
    const task = await this.load(scope, id);
    const retry = task.status === 'failed' && (await this.closer(id))?.by === input.operatorId;
    if (!retry) {
      await this.refuseIfClosed(task);
      // An unclaimed task may be failed by any operator; a claimed one only by its holder.
      const { by } = await this.holder(task);
      if (by && by !== input.operatorId) throw notHolder(by, 'fail');
      await this.requireAwaiting(task);
      if (!(await this.closeOnce(id, 'fail', input.operatorId))) throw new TaskConflict('task_closed', 'task is already closed', null);
      await ManualTask.updateOne({ _id: id }, {
        $set: { status: 'failed', failedAt: this.deps.now(), failureReason: input.reason, customerMessage: input.customerMessage ?? null, operatorId: input.operatorId },
      });
    }
    const action = await this.deps.outcomes.decline(id, input.reason, input.customerMessage);
    await this.publish(task, 'task.failed', input.operatorId, task.round ?? 0, `${id}:closed`);
    return { task: recordOf(await this.reload(id)), action };
  }

  // ---- nudges (run by a periodic job; `now` is injectable, so tests move the clock instead of waiting)

  /** Re-announces open tasks nobody claimed, reminds claimers of unfinished ones, closes tasks of ended actions. */
  async sweep(settings: NudgeSettings): Promise<{ nudged: number; reminded: number; cancelled: number }> {
    const now = this.deps.now().getTime();
    const out = { nudged: 0, reminded: 0, cancelled: 0 };
    const live = await ManualTask.find({ status: { $in: ['open', 'claimed'] } }).sort({ openedAt: 1 }).limit(500).lean<TaskDoc[]>();
    for (const task of live) {
      if (await this.closeIfActionEnded(task)) { out.cancelled++; continue; }
      const round = task.round ?? 0;
      if (task.status === 'open' && task.openedAt && now - task.openedAt.getTime() >= settings.nudgeAfterMs) {
        if (await this.once(nudgeKey(task._id, round), () => this.publish(task, 'task.nudge', null, round, `${task._id}:nudge:${round}`))) out.nudged++;
      } else if (task.status === 'claimed' && task.claimedAt && now - task.claimedAt.getTime() >= settings.remindAfterMs) {
        if (await this.once(reminderKey(task._id, round), () => this.publish(task, 'task.reminder', task.operatorId ?? null, round, `${task._id}:reminder:${round}`))) out.reminded++;
      }
    }
    return out;
  }

  /**
   * Records the decision first (an insert: exactly one sweep makes it), then publishes, then marks it
   * published. A crash in between leaves a decided, unpublished change: a later sweep publishes it again
   * under the same change key, which notifiers and the chat outbox deliver once. True when this call decided.
   */
  private async once(key: string, publish: () => Promise<void>): Promise<boolean> {
    const published = `${key}:published`;
    if (await Claim.exists({ _id: published })) return false;
    const decided = await insertOnce(Claim, { _id: key, by: SYSTEM });
    await publish();
    await insertOnce(Claim, { _id: published, by: SYSTEM });
    return decided;
  }
}

/** Someone else holds it: `claimed_by_another` for closing verbs (they may release it first), `not_claimed_by_you` for release. */
function notHolder(holder: string | null, what: 'release' | 'complete' | 'fail'): TaskConflict {
  if (!holder) return new TaskConflict('not_claimed_by_you', `claim the task before you ${what} it`, null);
  if (what === 'release') return new TaskConflict('not_claimed_by_you', `task is claimed by ${holder}; only they can release it`, holder);
  return new TaskConflict('claimed_by_another', `task is claimed by ${holder}; only they can ${what} it (or release it first)`, holder);
}
