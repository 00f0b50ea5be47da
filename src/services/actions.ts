/**
 * Actions as callers see them (the HTTP API and the chat bots call the same methods): create and start,
 * list, get, status detail, status by order number, cancel. Inputs are plain data, never HTTP requests;
 * failures are RequestErrors (code, message, field) that each caller turns into its own reply.
 */
import type { AdmissionGate } from '../engine/admission.js';
import { RequestError } from '../engine/errors.js';
import { createAction, type ActionRequest } from '../engine/create-action.js';
import type { ActionExecutionService } from '../engine/execution-service.js';
import type { ActionOrigin, ActionStatus, OriginChannel } from '../engine/types.js';
import { actionExists, loadAction } from '../storage/action-state.js';
import { executionsOf } from '../storage/executions.js';
import { receiptOf, statusUpdatesOf } from '../storage/action-story.js';
import { Action, ActionLive, OrderNumber, type ActionDoc } from '../storage/models.js';
import { isObjectId, type SpaceScope } from './providers.js';

export type { ActionRequest };

/** A space, optionally narrowed to one requester (a bot looking up "my order"). */
export interface RequesterScope extends SpaceScope { userId?: string }

export interface CreateAndStartInput {
  spaceId: string;
  /** Who asked (API: the x-user-id header; bots: the chat user id). */
  userId: string;
  request: ActionRequest;
  /** Same key + same request → the first action back (replayed: true); same key + other request → 422. */
  idempotencyKey?: string;
}

export interface ListActionsInput { status?: ActionStatus; limit: number; cursor?: string }

export interface ActionStatusDetail {
  action: ActionDoc;
  executions: Array<{ id: string; handlerType: string; handlerName: string; attempt: number; status: string; externalRef: string | null; error: { code: string; message: string } | null; startedAt: Date; finishedAt: Date | null; durationMs: number | null }>;
  receipts: Array<{ receiptNumber: string; status: string; data: unknown; createdAt: Date }>;
  statusUpdates: Array<{ status: string; message: string; timestamp: Date }>;
}

/** A chat request's origin, in the stored shape ({ channel: platform, ref: chat coordinates }). */
export function chatOrigin(o: { platform: Exclude<OriginChannel, 'api'>; workspace?: string; channel?: string; thread?: string; user?: string }): ActionOrigin {
  const ref = Object.fromEntries(Object.entries({ workspace: o.workspace, channel: o.channel, thread: o.thread, user: o.user }).filter(([, v]) => typeof v === 'string' && v !== '')) as Record<string, string>;
  return { channel: o.platform, ref };
}

const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const actionNotFound = () => new RequestError(404, 'not_found', 'action not found');

export class ActionService {
  constructor(private readonly deps: { execution: ActionExecutionService; now: () => Date; admission?: AdmissionGate }) {}

  /**
   * Prices, validates and stores the action (claiming the idempotency key), then queues its first step.
   * When the service is behind, refuses first (OverloadedError, 503) without writing anything.
   */
  async createAndStart(input: CreateAndStartInput): Promise<{ action: ActionDoc; replayed: boolean }> {
    const run = async () => {
      const created = await createAction({ spaceId: input.spaceId, userId: input.userId, body: input.request, idempotencyKey: input.idempotencyKey, now: this.deps.now() });
      if (!created.replayed) await this.deps.execution.start(created.action);
      return created;
    };
    return this.deps.admission ? this.deps.admission.admit(run) : run();
  }

  /** Newest first, `limit` per page; `nextCursor` continues after the last one. */
  async list(scope: RequesterScope, q: ListActionsInput): Promise<{ actions: ActionDoc[]; nextCursor: string | null }> {
    const filter: Record<string, unknown> = { spaceId: scope.spaceId, ...(scope.userId ? { userId: scope.userId } : {}) };
    if (q.cursor) filter._id = { $lt: q.cursor };
    // Live actions and finished ones are in two collections (storage/action-state.ts): read both, merge newest first.
    const wantsLive = !q.status || !TERMINAL_STATUSES.has(q.status);
    const wantsDone = !q.status || TERMINAL_STATUSES.has(q.status);
    const withStatus = q.status ? { ...filter, status: q.status } : filter;
    const [live, done] = await Promise.all([
      wantsLive ? ActionLive.find(withStatus).sort({ _id: -1 }).limit(q.limit + 1).lean<ActionDoc[]>() : [],
      wantsDone ? Action.find(withStatus).sort({ _id: -1 }).limit(q.limit + 1).lean<ActionDoc[]>() : [],
    ]);
    // Live documents from before the live/done split hold only the changing fields: loadAction overlays them.
    const current = await Promise.all(live.map(async (l) => (l.type ? l : await loadAction({ _id: l._id }))));
    const byId = new Map<string, ActionDoc>();
    for (const a of current) if (a) byId.set(a._id.toString(), a);
    // The final copy wins mid-move; an unfinished Action of the earlier layout loses to its live state.
    for (const a of done) if (a.phase === 'done' || !byId.has(a._id.toString())) byId.set(a._id.toString(), a);
    const docs = [...byId.values()].sort((a, b) => b._id.toString().localeCompare(a._id.toString())).slice(0, q.limit + 1);
    const page = docs.slice(0, q.limit);
    return { actions: page, nextCursor: docs.length > q.limit ? page.at(-1)!._id.toString() : null };
  }

  /** The action's current state; 404 for another space's (or requester's) action and for malformed ids. */
  async get(scope: RequesterScope, actionId: string): Promise<ActionDoc> {
    if (!isObjectId(actionId)) throw actionNotFound();
    const action = await loadAction({ _id: actionId, spaceId: scope.spaceId });
    if (!action || (scope.userId && action.userId !== scope.userId)) throw actionNotFound();
    return action;
  }

  /** The action with its handler attempts, receipts and status history. */
  async statusDetail(scope: RequesterScope, actionId: string): Promise<ActionStatusDetail> {
    return this.detailOf(await this.get(scope, actionId));
  }

  /**
   * Status by the order number a customer sees on the receipt ("DC-1547", "#dc-1547"); null when no action
   * in the scope has it. Covers numbers allocated before completion (e.g. sent to the POS) too.
   */
  async statusByOrderNumber(scope: RequesterScope, orderNumber: string): Promise<ActionStatusDetail | null> {
    const wanted = orderNumber.trim().replace(/^#/, '').toUpperCase();
    if (!wanted) return null;
    const owner = scope.userId ? { userId: scope.userId } : {};
    const done = await Action.findOne({ spaceId: scope.spaceId, orderNumber: wanted, ...owner }, { _id: 1 }).sort({ _id: -1 }).lean();
    let actionId = done?._id.toString() ?? null;
    if (!actionId) {
      const allocated = await OrderNumber.find({ orderNumber: wanted }, { _id: 1 }).sort({ _id: -1 }).limit(20).lean();
      for (const a of allocated) {
        if (await actionExists({ _id: a._id, spaceId: scope.spaceId, ...owner })) { actionId = a._id.toString(); break; }
      }
    }
    return actionId ? this.statusDetail(scope, actionId) : null;
  }

  /** The requester cancels: allowed until the action completes (409 otherwise). */
  async cancel(scope: RequesterScope, actionId: string, reason?: string): Promise<ActionDoc> {
    const action = await this.get(scope, actionId);
    const result = await this.deps.execution.cancel(action._id.toString(), reason);
    if (!result.applied) throw new RequestError(409, 'not_cancellable', `action is already ${result.status}`);
    return (await loadAction({ _id: action._id }))!;
  }

  private async detailOf(action: ActionDoc): Promise<ActionStatusDetail> {
    const [executions, receipt, updates] = await Promise.all([
      executionsOf(action._id, undefined, action.executionIds),
      receiptOf(action),
      statusUpdatesOf(action),
    ]);
    const receipts = receipt ? [receipt] : [];
    return {
      action,
      executions: executions.map((e) => ({
        id: e._id, handlerType: e.handlerType, handlerName: e.handlerName, attempt: e.attempt, status: e.status,
        externalRef: e.externalRef ?? null, error: e.error?.code ? (e.error as { code: string; message: string }) : null,
        startedAt: e.startedAt, finishedAt: e.finishedAt ?? null, durationMs: e.durationMs ?? null,
      })),
      receipts: receipts.map((r) => ({ receiptNumber: r.receiptNumber, status: r.status, data: r.data, createdAt: r.createdAt })),
      statusUpdates: updates.map((u) => ({ status: u.status, message: u.message, timestamp: u.timestamp })),
    };
  }
}
