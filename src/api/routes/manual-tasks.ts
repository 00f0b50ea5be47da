/** Operator endpoints for manual tasks: parse → ManualTaskService → JSON. */
import { Router } from 'express';
import type { z } from 'zod';
import { fromZod } from '../../engine/errors.js';
import type { ManualTaskService } from '../../services/manual-tasks.js';
import { CompleteTaskBody as Complete, FailTaskBody as Fail, ListTasksQuery as ListQuery, OperatorBody as Operator } from '../schemas.js';


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

  /** The task as operators see it on a card: items, total, pickup (provider time), customer, why it fell through. */
  router.get('/manual-tasks/:id', async (req, res) => {
    res.json({ task: await deps.tasks.view(scope(req), req.params.id) });
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
