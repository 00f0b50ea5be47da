/**
 * Operator work on manual tasks: list, claim, release, complete (order number, ready-in minutes), fail.
 * Claims and closes are inserts on a unique key (first wins): conditional updates are not atomic on FerretDB.
 */
import { RequestError } from '../engine/errors.js';
import type { ExternalOutcomes, OutcomeResult } from '../engine/types.js';
import { insertOnce } from '../storage/insert-once.js';
import { Claim, ManualTask } from '../storage/models.js';
import type { SpaceScope } from './providers.js';

export const MANUAL_TASK_STATUSES = ['open', 'claimed', 'completed', 'failed'] as const;
export type ManualTaskStatus = (typeof MANUAL_TASK_STATUSES)[number];

/** A task as operators see it (the structured order details stay internal; the summary says it all). */
export type ManualTaskRecord = Record<string, unknown> & { id: string; status: ManualTaskStatus };

const recordOf = (t: Record<string, unknown> & { _id: unknown }): ManualTaskRecord => {
  const { _id, details: _details, ...rest } = t;
  return { id: String(_id), ...rest } as ManualTaskRecord;
};

const claimKey = (taskId: string) => `manual-task:${taskId}:claim`;
const closeKey = (taskId: string) => `manual-task:${taskId}:close`;

export class ManualTaskService {
  constructor(private readonly deps: { outcomes: ExternalOutcomes; now: () => Date }) {}

  private async load(scope: SpaceScope, id: string) {
    const task = await ManualTask.findOne({ _id: id, spaceId: scope.spaceId }).lean();
    if (!task) throw new RequestError(404, 'not_found', 'manual task not found');
    return task;
  }

  private async reload(id: string): Promise<ManualTaskRecord> {
    return recordOf((await ManualTask.findById(id).lean())!);
  }

  /** The first insert of `key` wins; everyone else learns who holds it. */
  private async claimOnce(key: string, by: string): Promise<string> {
    return (await insertOnce(Claim, { _id: key, by })) ? by : ((await Claim.findById(key).lean())?.by ?? '');
  }

  /** Open and claimed tasks (oldest first) unless a status is given. */
  async list(scope: SpaceScope, status?: ManualTaskStatus): Promise<ManualTaskRecord[]> {
    const tasks = await ManualTask.find({ spaceId: scope.spaceId, status: status ?? { $in: ['open', 'claimed'] } }).sort({ createdAt: 1 }).limit(100).lean();
    return tasks.map(recordOf);
  }

  async claim(scope: SpaceScope, id: string, operatorId: string): Promise<ManualTaskRecord> {
    const task = await this.load(scope, id);
    if (task.status === 'completed' || task.status === 'failed') throw new RequestError(409, 'task_closed', `task is already ${task.status}`);
    const owner = await this.claimOnce(claimKey(task._id), operatorId);
    if (owner !== operatorId) throw new RequestError(409, 'already_claimed', `task is already claimed by ${owner}`);
    if (task.status === 'open') await ManualTask.updateOne({ _id: task._id, status: 'open' }, { $set: { status: 'claimed', operatorId, claimedAt: this.deps.now() } });
    return this.reload(task._id);
  }

  /** The claiming operator hands the task back: open again for anyone to claim. */
  async release(scope: SpaceScope, id: string, operatorId: string): Promise<ManualTaskRecord> {
    const task = await this.load(scope, id);
    if (task.status !== 'claimed' || task.operatorId !== operatorId) {
      throw new RequestError(409, 'not_claimed_by_you', task.status === 'claimed' ? `task is claimed by ${task.operatorId}; only they can release it` : `task is ${task.status}, not claimed`);
    }
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'open', operatorId: null, claimedAt: null } });
    await Claim.deleteOne({ _id: claimKey(task._id), by: operatorId });
    return this.reload(task._id);
  }

  async complete(scope: SpaceScope, id: string, input: { operatorId: string; orderNumber?: string; readyInMinutes?: number }): Promise<{ task: ManualTaskRecord; action: OutcomeResult }> {
    const task = await this.load(scope, id);
    if (task.status === 'claimed' && task.operatorId !== input.operatorId) {
      throw new RequestError(409, 'claimed_by_another', `task is claimed by ${task.operatorId}; only they can complete it (or release it first)`);
    }
    if (task.status !== 'claimed') throw new RequestError(409, 'not_claimed_by_you', task.status === 'open' ? 'claim the task before completing it' : `task is already ${task.status}`);
    if ((await this.claimOnce(closeKey(task._id), input.operatorId)) !== input.operatorId) throw new RequestError(409, 'task_closed', 'task is already closed');
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'completed', completedAt: this.deps.now(), orderNumber: input.orderNumber ?? null, readyInMinutes: input.readyInMinutes ?? null } });
    const action = await this.deps.outcomes.confirm(task._id, { orderNumber: input.orderNumber, readyInMinutes: input.readyInMinutes, externalRef: `manual:${task._id}` });
    return { task: await this.reload(task._id), action };
  }

  async fail(scope: SpaceScope, id: string, input: { operatorId: string; reason: string }): Promise<{ task: ManualTaskRecord; action: OutcomeResult }> {
    const task = await this.load(scope, id);
    if (task.status === 'claimed' && task.operatorId !== input.operatorId) {
      throw new RequestError(409, 'claimed_by_another', `task is claimed by ${task.operatorId}; only they can fail it (or release it first)`);
    }
    if (task.status === 'completed' || task.status === 'failed' || (await this.claimOnce(closeKey(task._id), input.operatorId)) !== input.operatorId) {
      throw new RequestError(409, 'task_closed', 'task is already closed');
    }
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'failed', failedAt: this.deps.now(), failureReason: input.reason, operatorId: input.operatorId } });
    const action = await this.deps.outcomes.decline(task._id, input.reason);
    return { task: await this.reload(task._id), action };
  }
}
