import { Router } from 'express';
import { createAction } from '../../engine/create-action.js';
import { RequestError } from '../../engine/errors.js';
import type { ActionExecutionService } from '../../engine/execution-service.js';
import { loadAction, withLiveState } from '../../storage/action-state.js';
import { Action, ActionExecution, ActionLive, ActionStatusUpdate, Receipt, type ActionDoc } from '../../storage/models.js';

const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
import { fromZod } from '../errors.js';
import { CreateActionBody, IdempotencyKeyHeader, ListActionsQuery, UserIdHeader, objectId } from '../schemas.js';
import { ledgerEntry, serializeAction as serialize } from '../serialize.js';

export function actionsRouter(deps: { service: ActionExecutionService; now: () => Date; trackingUrl: (actionId: string) => string }): Router {
  const router = Router();
  const serializeAction = (a: ActionDoc) => serialize(a, deps.trackingUrl);

  router.post('/actions', async (req, res) => {
    const userId = UserIdHeader.safeParse(req.get('x-user-id'));
    if (!userId.success) throw new RequestError(400, 'missing_header', 'x-user-id header is required', 'x-user-id');
    const key = req.get('idempotency-key');
    if (key !== undefined && !IdempotencyKeyHeader.safeParse(key).success) throw new RequestError(400, 'invalid_header', 'Idempotency-Key must be 1-255 characters', 'Idempotency-Key');
    const body = CreateActionBody.safeParse(req.body ?? {});
    if (!body.success) throw fromZod(body.error);
    const { action, replayed } = await createAction({ spaceId: req.spaceId!, userId: userId.data, body: body.data, idempotencyKey: key, now: deps.now() });
    if (!replayed) await deps.service.start(action);
    else res.set('Idempotent-Replayed', 'true');
    req.log.info({ actionId: action._id.toString(), replayed }, 'action created');
    res.status(201).json({ action: serializeAction(action), lead: null, ledger: ledgerEntry(action) });
  });

  router.get('/actions', async (req, res) => {
    const q = ListActionsQuery.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, 'query');
    const filter: Record<string, unknown> = { spaceId: req.spaceId };
    if (q.data.cursor) filter._id = { $lt: q.data.cursor };
    let docs: ActionDoc[];
    if (q.data.status && !TERMINAL_STATUSES.has(q.data.status)) {
      // Live statuses are only current on the live documents.
      const live = await ActionLive.find({ ...filter, status: q.data.status }, { _id: 1 }).sort({ _id: -1 }).limit(q.data.limit + 1).lean();
      const byId = new Map((await Action.find({ _id: { $in: live.map((l) => l._id) } }).lean<ActionDoc[]>()).map((a) => [a._id.toString(), a]));
      docs = live.map((l) => byId.get(l._id.toString())).filter((a): a is ActionDoc => !!a);
    } else {
      docs = await Action.find(q.data.status ? { ...filter, status: q.data.status } : filter).sort({ _id: -1 }).limit(q.data.limit + 1).lean<ActionDoc[]>();
    }
    docs = await withLiveState(docs);
    const page = docs.slice(0, q.data.limit);
    res.json({ actions: page.map(serializeAction), nextCursor: docs.length > q.data.limit ? page.at(-1)!._id.toString() : null });
  });

  const findOwned = async (id: string, spaceId: string) => {
    if (!objectId.safeParse(id).success) throw new RequestError(404, 'not_found', 'action not found');
    const action = await loadAction({ _id: id, spaceId });
    if (!action) throw new RequestError(404, 'not_found', 'action not found');
    return action;
  };

  router.get('/actions/:id', async (req, res) => {
    res.json({ action: serializeAction(await findOwned(req.params.id, req.spaceId!)) });
  });

  router.get('/actions/:id/status', async (req, res) => {
    const action = await findOwned(req.params.id, req.spaceId!);
    const [executions, receipts, updates] = await Promise.all([
      ActionExecution.find({ actionId: action._id }).sort({ chainIndex: 1, attempt: 1 }).lean(),
      Receipt.find({ actionId: action._id }).lean(),
      ActionStatusUpdate.find({ actionId: action._id }).sort({ timestamp: 1 }).lean(),
    ]);
    res.json({
      action: {
        ...serializeAction(action),
        executions: executions.map((e) => ({
          id: e._id, handlerType: e.handlerType, handlerName: e.handlerName, attempt: e.attempt, status: e.status,
          externalRef: e.externalRef ?? null, error: e.error?.code ? e.error : null, startedAt: e.startedAt, finishedAt: e.finishedAt ?? null, durationMs: e.durationMs ?? null,
        })),
        receipts: receipts.map((r) => ({ receiptNumber: r.receiptNumber, status: r.status, data: r.data, createdAt: r.createdAt })),
      },
      statusUpdates: updates.map((u) => ({ status: u.status, message: u.message, timestamp: u.timestamp })),
    });
  });

  router.post('/actions/:id/cancel', async (req, res) => {
    const action = await findOwned(req.params.id, req.spaceId!);
    const result = await deps.service.cancel(action._id.toString());
    if (!result.applied) throw new RequestError(409, 'not_cancellable', `action is already ${result.status}`);
    res.json({ action: serializeAction((await loadAction({ _id: action._id }))!) });
  });

  return router;
}
