/** /actions: parse the request → call the ActionService → serialize. */
import { Router } from 'express';
import { RequestError, fromZod } from '../../engine/errors.js';
import type { ActionService } from '../../services/actions.js';
import type { ActionDoc } from '../../storage/models.js';
import { CreateActionBody, IdempotencyKeyHeader, ListActionsQuery, UserIdHeader } from '../schemas.js';
import { ledgerEntry, serializeAction as serialize } from '../serialize.js';

export function actionsRouter(deps: { actions: ActionService; trackingUrl: (actionId: string) => string }): Router {
  const router = Router();
  const serializeAction = (a: ActionDoc) => serialize(a, deps.trackingUrl);

  router.post('/actions', async (req, res) => {
    const userId = UserIdHeader.safeParse(req.get('x-user-id'));
    if (!userId.success) throw new RequestError(400, 'missing_header', 'x-user-id header is required', 'x-user-id');
    const key = req.get('idempotency-key');
    if (key !== undefined && !IdempotencyKeyHeader.safeParse(key).success) throw new RequestError(400, 'invalid_header', 'Idempotency-Key must be 1-255 characters', 'Idempotency-Key');
    const body = CreateActionBody.safeParse(req.body ?? {});
    if (!body.success) throw fromZod(body.error);
    const { action, replayed } = await deps.actions.createAndStart({ spaceId: req.spaceId!, userId: userId.data, request: body.data, idempotencyKey: key });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    req.log.info({ actionId: action._id.toString(), replayed }, 'action created');
    res.status(201).json({ action: serializeAction(action), lead: null, ledger: ledgerEntry(action) });
  });

  router.get('/actions', async (req, res) => {
    const q = ListActionsQuery.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, 'query');
    const { actions, nextCursor } = await deps.actions.list({ spaceId: req.spaceId! }, q.data);
    res.json({ actions: actions.map(serializeAction), nextCursor });
  });

  router.get('/actions/:id', async (req, res) => {
    res.json({ action: serializeAction(await deps.actions.get({ spaceId: req.spaceId! }, req.params.id)) });
  });

  router.get('/actions/:id/status', async (req, res) => {
    const detail = await deps.actions.statusDetail({ spaceId: req.spaceId! }, req.params.id);
    res.json({
      action: { ...serializeAction(detail.action), executions: detail.executions, receipts: detail.receipts },
      statusUpdates: detail.statusUpdates,
    });
  });

  router.post('/actions/:id/cancel', async (req, res) => {
    res.json({ action: serializeAction(await deps.actions.cancel({ spaceId: req.spaceId! }, req.params.id)) });
  });

  return router;
}
