/** Operator endpoints for manual tasks: list, claim, complete (order number, ready-in minutes), fail. */
import { Router } from 'express';
import { z } from 'zod';
import { RequestError } from '../../engine/errors.js';
import type { ExternalOutcomes } from '../../engine/types.js';
import { insertOnce } from '../../storage/insert-once.js';
import { Claim, ManualTask } from '../../storage/models.js';
import { fromZod } from '../errors.js';

const Operator = z.object({ operatorId: z.string().trim().min(1).max(100) });
const Complete = Operator.extend({ orderNumber: z.string().trim().min(1).max(40).optional(), readyInMinutes: z.number().int().min(0).max(24 * 60).optional() });
const Fail = Operator.extend({ reason: z.string().trim().min(1).max(500) });
const ListQuery = z.object({ status: z.enum(['open', 'claimed', 'completed', 'failed']).optional() });

const view = (t: Record<string, unknown> & { _id: unknown }) => {
  const { _id, details: _details, ...rest } = t;
  return { id: _id, ...rest };
};

export function manualTasksRouter(deps: { outcomes: ExternalOutcomes; now: () => Date }): Router {
  const router = Router();
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const r = schema.safeParse(body ?? {});
    if (!r.success) throw fromZod(r.error);
    return r.data;
  };
  const load = async (id: string, spaceId: string) => {
    const task = await ManualTask.findOne({ _id: id, spaceId }).lean();
    if (!task) throw new RequestError(404, 'not_found', 'manual task not found');
    return task;
  };

  router.get('/manual-tasks', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const tasks = await ManualTask.find({ spaceId: req.spaceId, status: q.status ?? { $in: ['open', 'claimed'] } }).sort({ createdAt: 1 }).limit(100).lean();
    res.json({ tasks: tasks.map(view) });
  });

  // Claims are inserts (first wins): conditional updates are not atomic on FerretDB.
  const claimOnce = async (key: string, by: string): Promise<string> =>
    (await insertOnce(Claim, { _id: key, by })) ? by : ((await Claim.findById(key).lean())?.by ?? '');

  router.post('/manual-tasks/:id/claim', async (req, res) => {
    const { operatorId } = parse(Operator, req.body);
    const task = await load(req.params.id, req.spaceId!);
    if (task.status === 'completed' || task.status === 'failed') throw new RequestError(409, 'task_closed', `task is already ${task.status}`);
    const owner = await claimOnce(`manual-task:${task._id}:claim`, operatorId);
    if (owner !== operatorId) throw new RequestError(409, 'already_claimed', 'task is already claimed by another operator');
    if (task.status === 'open') await ManualTask.updateOne({ _id: task._id, status: 'open' }, { $set: { status: 'claimed', operatorId, claimedAt: deps.now() } });
    res.json({ task: view((await ManualTask.findById(task._id).lean())!) });
  });

  router.post('/manual-tasks/:id/complete', async (req, res) => {
    const body = parse(Complete, req.body);
    const task = await load(req.params.id, req.spaceId!);
    if (task.status !== 'claimed' || task.operatorId !== body.operatorId) throw new RequestError(409, 'not_claimed_by_you', 'claim the task before completing it');
    if ((await claimOnce(`manual-task:${task._id}:close`, body.operatorId)) !== body.operatorId) throw new RequestError(409, 'task_closed', 'task is already closed');
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'completed', completedAt: deps.now(), orderNumber: body.orderNumber ?? null, readyInMinutes: body.readyInMinutes ?? null } });
    const outcome = await deps.outcomes.confirm(task._id, { orderNumber: body.orderNumber, readyInMinutes: body.readyInMinutes, externalRef: `manual:${task._id}` });
    res.json({ task: view((await ManualTask.findById(task._id).lean())!), action: outcome });
  });

  router.post('/manual-tasks/:id/fail', async (req, res) => {
    const body = parse(Fail, req.body);
    const task = await load(req.params.id, req.spaceId!);
    if (task.status === 'claimed' && task.operatorId !== body.operatorId) throw new RequestError(409, 'already_claimed', 'task is claimed by another operator');
    if (task.status === 'completed' || task.status === 'failed' || (await claimOnce(`manual-task:${task._id}:close`, body.operatorId)) !== body.operatorId) {
      throw new RequestError(409, 'task_closed', 'task is already closed');
    }
    await ManualTask.updateOne({ _id: task._id }, { $set: { status: 'failed', failedAt: deps.now(), failureReason: body.reason, operatorId: body.operatorId } });
    const outcome = await deps.outcomes.decline(task._id, body.reason);
    res.json({ task: view((await ManualTask.findById(task._id).lean())!), action: outcome });
  });

  return router;
}
