/** Operator endpoints for manual tasks: parse → ManualTaskService → JSON. */
import { Router } from 'express';
import { z } from 'zod';
import { fromZod } from '../../engine/errors.js';
import { MANUAL_TASK_STATUSES, type ManualTaskService } from '../../services/manual-tasks.js';

const Operator = z.object({ operatorId: z.string().trim().min(1).max(100) });
const Complete = Operator.extend({ orderNumber: z.string().trim().min(1).max(40).optional(), readyInMinutes: z.number().int().min(0).max(24 * 60).optional() });
const Fail = Operator.extend({ reason: z.string().trim().min(1).max(500) });
const ListQuery = z.object({ status: z.enum(MANUAL_TASK_STATUSES).optional() });

const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw fromZod(r.error);
  return r.data;
};

export function manualTasksRouter(deps: { tasks: ManualTaskService }): Router {
  const router = Router();
  const scope = (req: { spaceId?: string }) => ({ spaceId: req.spaceId! });

  router.get('/manual-tasks', async (req, res) => {
    res.json({ tasks: await deps.tasks.list(scope(req), parse(ListQuery, req.query).status) });
  });

  router.post('/manual-tasks/:id/claim', async (req, res) => {
    res.json({ task: await deps.tasks.claim(scope(req), req.params.id, parse(Operator, req.body).operatorId) });
  });

  router.post('/manual-tasks/:id/release', async (req, res) => {
    res.json({ task: await deps.tasks.release(scope(req), req.params.id, parse(Operator, req.body).operatorId) });
  });

  router.post('/manual-tasks/:id/complete', async (req, res) => {
    res.json(await deps.tasks.complete(scope(req), req.params.id, parse(Complete, req.body)));
  });

  router.post('/manual-tasks/:id/fail', async (req, res) => {
    res.json(await deps.tasks.fail(scope(req), req.params.id, parse(Fail, req.body)));
  });

  return router;
}
