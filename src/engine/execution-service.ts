/**
 * ActionExecutionService: walks an action's handler chain one step at a time.
 * Each step runs inside an Agenda job; all state lives on the action document and every transition is a
 * single conditional update on `stepSeq` (a fencing token), so a duplicate or stale job can never advance
 * an action twice, and a worker that dies mid-step leaves state another worker can resume.
 */
import type { Logger } from 'pino';
import { Action, ActionExecution, ActionStatusUpdate, Provider, Receipt, type ActionDoc } from '../storage/models.js';
import { loadIntegrationView, loadProviderView, toActionView } from '../storage/views.js';
import { buildReceiptData, newReceiptNumber } from './receipts.js';
import { backoffDelay, type HandlerRegistry } from './registry.js';
import type { StatusBus } from './status-bus.js';
import {
  HandlerError, type ActionEvent, type ActionStatus, type Completion, type ExternalOutcomes, type FulfillmentState,
  type HandlerResult, type OutcomeResult, type ProviderView,
} from './types.js';

export interface StepScheduler {
  enqueueStep(actionId: string, stepSeq: number, runAt?: Date): Promise<void>;
  scheduleConfirmTimeout(actionId: string, stepSeq: number, at: Date): Promise<void>;
  enqueueNotify(actionId: string, eventType: NotifyEventType): Promise<void>;
}

export type NotifyEventType = 'action.completed' | 'action.ready';

export interface ExecutionServiceOptions {
  registry: HandlerRegistry;
  bus: StatusBus;
  logger: Logger;
  stepTimeoutMs: number;
  publicBaseUrl: string;
  /** How often a long step extends its job lock. */
  touchEveryMs: number;
  now?: () => Date;
}

export interface JobControl { touch(): Promise<void> }

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const LABEL: Record<string, string> = { api: 'the POS', webhook: 'the provider webhook', email: 'email', manual: 'an operator' };
const label = (entry: { type?: string | null; name?: string | null }) => LABEL[entry.type ?? ''] ?? entry.name ?? 'handler';

type Lean = ActionDoc;

export class ActionExecutionService implements ExternalOutcomes {
  private scheduler!: StepScheduler;
  private readonly now: () => Date;

  constructor(private readonly opts: ExecutionServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The scheduler (Agenda) and the service refer to each other; wire it once at start. */
  useScheduler(scheduler: StepScheduler): void {
    this.scheduler = scheduler;
  }

  /** Called once, right after the action was stored: records "queued" and enqueues the first step. */
  async start(action: Pick<Lean, '_id' | 'spaceId'>): Promise<void> {
    await this.record(action as Lean, 'queued', 'Request received; finding the best way to place it...');
    await this.scheduler.enqueueStep(action._id.toString(), 0);
  }

  async runStep(actionId: string, stepSeq: number, job: JobControl): Promise<void> {
    const action = await Action.findById(actionId).lean<Lean>();
    if (!action || action.stepSeq !== stepSeq || TERMINAL.has(action.status) || action.status === 'awaiting_confirmation') return;
    const log = this.opts.logger.child({ actionId, stepSeq });
    const entry = action.chain[action.chainIndex];
    const provider = await loadProviderView(action.providerId);
    if (!entry || !provider) return void (await this.fail(action, 'No handler is configured for this request'));
    const handler = this.opts.registry.get(entry.name ?? '');
    const integration = await loadIntegrationView(entry.integrationId, { type: (entry.type ?? 'manual') as 'manual', name: entry.name ?? 'manual' });
    const view = toActionView(action);
    const unavailable = !handler || !integration ? `handler "${entry.name}" is not available` : undefined;
    const can = unavailable ? { ok: false as const, reason: unavailable } : handler!.canHandle(view, provider, integration!);
    const executionId = `${actionId}:${action.chainIndex}:${action.attempt}`;
    const base = {
      actionId: action._id, spaceId: action.spaceId, integrationId: entry.integrationId ?? null, handlerType: entry.type ?? 'manual',
      handlerName: entry.name ?? 'manual', chainIndex: action.chainIndex, attempt: action.attempt,
      idempotencyKey: `${actionId}:${entry.integrationId?.toString() ?? entry.name}`,
    };
    if (!can.ok) {
      await ActionExecution.updateOne({ _id: executionId }, { $setOnInsert: { ...base, startedAt: this.now() }, $set: { status: 'skipped', finishedAt: this.now(), error: { code: 'unavailable', message: can.reason } } }, { upsert: true });
      return void (await this.advance(action, `${label(entry)} can't take it (${can.reason})`));
    }

    // Persist before calling out: the record (with its idempotency key) exists before the handler runs.
    const previous = await ActionExecution.findOneAndUpdate(
      { _id: executionId },
      { $setOnInsert: { ...base, status: 'running', startedAt: this.now() }, $inc: { runs: 1 } },
      { upsert: true, returnDocument: 'before' },
    ).lean();
    if (previous?.result) {
      log.warn('re-applying a result saved before a crash');
      return void (await this.apply(action, provider, executionId, previous.result as HandlerResult));
    }
    if (previous) log.warn({ executionId }, 'resuming a step whose worker died; the handler is idempotent on its key');

    if (action.status === 'queued') {
      const moved = await Action.updateOne({ _id: action._id, stepSeq, status: 'queued' }, { $set: { status: 'executing' } });
      if (moved.modifiedCount === 1) await this.record(action, 'executing', `Placing order with ${provider.name}...`);
    }

    const result = await this.execute(handler!, {
      action: view, provider, integration: integration!,
      execution: { id: executionId, attempt: action.attempt, idempotencyKey: base.idempotencyKey },
      orderNumber: () => this.allocateOrderNumber(action._id.toString(), provider),
      touch: () => job.touch(),
      publicBaseUrl: this.opts.publicBaseUrl,
      logger: log.child({ handler: handler!.name }),
      now: this.now,
    }, job);
    await this.saveResult(executionId, result, action);
    await this.apply(action, provider, executionId, result);
  }

  private async execute(handler: NonNullable<ReturnType<HandlerRegistry['get']>>, ctx: Omit<Parameters<NonNullable<ReturnType<HandlerRegistry['get']>>['execute']>[0], 'signal'>, job: JobControl): Promise<HandlerResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('step timed out')), this.opts.stepTimeoutMs);
    const keepAlive = setInterval(() => { job.touch().catch(() => undefined); }, this.opts.touchEveryMs);
    try {
      return await handler.execute({ ...ctx, signal: controller.signal });
    } catch (err) {
      if (err instanceof HandlerError) return err.retryable ? { kind: 'retryable', error: err } : { kind: 'permanent', error: err };
      const message = controller.signal.aborted ? 'step timed out' : String((err as Error)?.message ?? err).slice(0, 200);
      return { kind: 'retryable', error: HandlerError.transient(controller.signal.aborted ? 'timeout' : 'unknown', message) };
    } finally {
      clearTimeout(timer);
      clearInterval(keepAlive);
    }
  }

  private async saveResult(executionId: string, result: HandlerResult, action: Lean): Promise<void> {
    const policy = this.opts.registry.retryPolicy(action.chain[action.chainIndex]?.name ?? '');
    const willRetry = result.kind === 'retryable' && action.attempt < policy.maxAttempts;
    const status = result.kind === 'completed' ? 'completed' : result.kind === 'awaiting' ? 'awaiting'
      : willRetry ? 'retrying' : result.kind === 'permanent' && result.error.code === 'declined' ? 'declined' : 'failed';
    const error = 'error' in result ? { code: result.error.code, message: result.error.message } : { code: null, message: null };
    const stored = 'error' in result ? { ...result, error: { code: result.error.code, message: result.error.message, retryable: result.error.retryable } } : result;
    const finishedAt = this.now();
    const started = await ActionExecution.findById(executionId, { startedAt: 1 }).lean();
    await ActionExecution.updateOne({ _id: executionId }, {
      $set: {
        status, error, result: stored, externalRef: 'externalRef' in result ? result.externalRef ?? null : null,
        finishedAt, durationMs: started ? finishedAt.getTime() - new Date(started.startedAt).getTime() : null,
      },
    });
  }

  /** Applies a handler result to the action with one fenced transition. */
  private async apply(action: Lean, provider: ProviderView, executionId: string, raw: HandlerResult): Promise<void> {
    const result = reviveResult(raw);
    const entry = action.chain[action.chainIndex]!;
    switch (result.kind) {
      case 'completed':
        await this.complete(action, provider, result);
        return;
      case 'awaiting': {
        const deadline = result.timeoutMs === null ? null : new Date(this.now().getTime() + result.timeoutMs);
        const moved = await this.transition(action, {
          status: 'awaiting_confirmation', awaitingExecutionId: executionId, confirmDeadlineAt: deadline,
          externalRef: result.externalRef ?? null, nextStepAt: null,
        });
        if (!moved) return;
        await this.record(action, 'awaiting_confirmation', result.message);
        if (deadline) await this.scheduler.scheduleConfirmTimeout(action._id.toString(), moved.stepSeq, deadline);
        return;
      }
      case 'retryable': {
        const policy = this.opts.registry.retryPolicy(entry.name ?? '');
        if (action.attempt < policy.maxAttempts) {
          const delay = result.retryAfterMs ?? backoffDelay(policy, action.attempt);
          const at = new Date(this.now().getTime() + delay);
          const moved = await this.transition(action, { attempt: action.attempt + 1, nextStepAt: at, status: 'executing' });
          if (!moved) return;
          await this.record(action, 'executing', `${capitalize(label(entry))} didn't answer (${result.error.message}); retrying in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${action.attempt + 1} of ${policy.maxAttempts})`);
          return this.scheduler.enqueueStep(action._id.toString(), moved.stepSeq, at);
        }
        return this.advance(action, `${capitalize(label(entry))} failed ${action.attempt} times (${result.error.message})`);
      }
      case 'permanent':
        return this.advance(action, `${capitalize(label(entry))} couldn't take the order (${result.error.message})`);
    }
  }

  private async complete(action: Lean, provider: ProviderView, completion: Completion): Promise<OutcomeResult> {
    const actionId = action._id.toString();
    const orderNumber = completion.orderNumber ?? (await this.allocateOrderNumber(actionId, provider));
    const readyInMinutes = completion.readyInMinutes ?? provider.prepMinutes;
    const now = this.now();
    const moved = await this.transition(action, {
      status: 'completed', completedAt: now, orderNumber, externalRef: completion.externalRef ?? action.externalRef ?? null,
      nextStepAt: null, awaitingExecutionId: null, confirmDeadlineAt: null, error: null,
    });
    if (!moved) return { applied: false, status: (await this.currentStatus(actionId)) ?? 'completed' };
    const data = buildReceiptData(toActionView(action).order, provider, { orderNumber, readyInMinutes, totalCents: completion.totalCents, now });
    await Receipt.updateOne({ actionId: action._id }, { $setOnInsert: { spaceId: action.spaceId, receiptNumber: newReceiptNumber(now), status: 'issued', data } }, { upsert: true });
    const message = completion.message ?? `Order confirmed! Order #${orderNumber}, ready in ${readyInMinutes} minutes`;
    await this.record(action, 'completed', message, [{
      type: 'action.completed', actionId, spaceId: action.spaceId.toString(), externalReference: completion.externalRef ?? action.externalRef ?? null, receiptData: data, timestamp: now.toISOString(),
    }]);
    await this.scheduler.enqueueNotify(actionId, 'action.completed');
    return { applied: true, status: 'completed' };
  }

  /** Falls through to the next handler in the chain; manual is last, so this only fails if manual itself failed. */
  private async advance(action: Lean, reason: string): Promise<void> {
    const nextIndex = action.chainIndex + 1;
    const next = action.chain[nextIndex];
    if (!next) return void (await this.fail(action, reason));
    const moved = await this.transition(action, {
      chainIndex: nextIndex, attempt: 1, status: 'executing', nextStepAt: this.now(), awaitingExecutionId: null, confirmDeadlineAt: null,
    });
    if (!moved) return;
    await this.record(action, 'executing', `${reason}. Trying ${label(next)}...`);
    await this.scheduler.enqueueStep(action._id.toString(), moved.stepSeq);
  }

  private async fail(action: Lean, reason: string): Promise<void> {
    const moved = await this.transition(action, { status: 'failed', error: reason, nextStepAt: null, awaitingExecutionId: null, confirmDeadlineAt: null });
    if (!moved) return;
    const message = `We couldn't complete this request: ${reason}`;
    await this.record(action, 'failed', message, [{ type: 'action.failed', actionId: action._id.toString(), spaceId: action.spaceId.toString(), error: reason, timestamp: this.now().toISOString() }]);
  }

  // ---- inbound outcomes (confirm links, webhook confirmations, operators, POS webhooks) ----

  async confirm(executionId: string, completion: Completion): Promise<OutcomeResult> {
    const found = await this.awaitingAction(executionId);
    if ('result' in found) return found.result;
    const provider = await loadProviderView(found.action.providerId);
    if (!provider) return { applied: false, status: found.action.status };
    const result = await this.complete(found.action, provider, completion);
    if (result.applied) await ActionExecution.updateOne({ _id: found.action.awaitingExecutionId }, { $set: { status: 'completed', finishedAt: this.now(), externalRef: completion.externalRef ?? null } });
    return result;
  }

  async decline(executionId: string, reason: string): Promise<OutcomeResult> {
    const found = await this.awaitingAction(executionId);
    if ('result' in found) return found.result;
    await ActionExecution.updateOne({ _id: found.action.awaitingExecutionId }, { $set: { status: 'declined', finishedAt: this.now(), error: { code: 'declined', message: reason } } });
    const entry = found.action.chain[found.action.chainIndex];
    await this.advance(found.action, `${capitalize(label(entry ?? {}))} declined (${reason})`);
    return { applied: true, status: (await this.currentStatus(found.action._id.toString())) ?? 'executing' };
  }

  async confirmationTimeout(actionId: string, stepSeq: number): Promise<void> {
    const action = await Action.findById(actionId).lean<Lean>();
    if (!action || action.stepSeq !== stepSeq || action.status !== 'awaiting_confirmation') return;
    if (action.awaitingExecutionId) {
      await ActionExecution.updateOne({ _id: action.awaitingExecutionId, status: 'awaiting' }, { $set: { status: 'timed_out', finishedAt: this.now(), error: { code: 'timeout', message: 'no confirmation in time' } } });
    }
    const entry = action.chain[action.chainIndex];
    await this.advance(action, `No confirmation from ${label(entry ?? {})} in time`);
  }

  async reportFulfillment(actionId: string, state: FulfillmentState, message: string): Promise<OutcomeResult> {
    const set: Record<string, unknown> = { fulfillment: state };
    if (state === 'cancelled') set.status = 'cancelled';
    const action = await Action.findOneAndUpdate({ _id: actionId, fulfillment: { $ne: state } }, { $set: set }, { returnDocument: 'before' }).lean<Lean>();
    if (!action) return { applied: false, status: (await this.currentStatus(actionId)) ?? 'completed' };
    const extra: ActionEvent[] = state === 'ready' ? [{ type: 'action.ready', actionId, spaceId: action.spaceId.toString(), message, timestamp: this.now().toISOString() }] : [];
    await this.record(action, state, message, extra);
    if (state === 'ready') await this.scheduler.enqueueNotify(actionId, 'action.ready');
    return { applied: true, status: (state === 'cancelled' ? 'cancelled' : action.status) as ActionStatus };
  }

  /** The requester cancels: allowed until the action completes. */
  async cancel(actionId: string, reason = 'Cancelled by the requester'): Promise<OutcomeResult> {
    for (let i = 0; i < 3; i++) {
      const action = await Action.findById(actionId).lean<Lean>();
      if (!action) return { applied: false, status: 'cancelled' };
      if (TERMINAL.has(action.status)) return { applied: false, status: action.status as ActionStatus };
      const moved = await this.transition(action, { status: 'cancelled', nextStepAt: null, awaitingExecutionId: null, confirmDeadlineAt: null, error: reason });
      if (moved) {
        await this.record(action, 'cancelled', reason);
        return { applied: true, status: 'cancelled' };
      }
    }
    return { applied: false, status: (await this.currentStatus(actionId)) ?? 'executing' };
  }

  /** Re-enqueues steps and timeouts whose jobs were lost (e.g. a crash between a transition and its enqueue). */
  async sweep(graceMs: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - graceMs);
    let n = 0;
    for (const a of await Action.find({ status: { $in: ['queued', 'executing'] }, nextStepAt: { $lt: cutoff } }, { stepSeq: 1 }).limit(200).lean()) {
      await this.scheduler.enqueueStep(a._id.toString(), a.stepSeq); n++;
    }
    for (const a of await Action.find({ status: 'awaiting_confirmation', confirmDeadlineAt: { $lt: cutoff } }, { stepSeq: 1 }).limit(200).lean()) {
      await this.scheduler.scheduleConfirmTimeout(a._id.toString(), a.stepSeq, this.now()); n++;
    }
    return n;
  }

  // ---- helpers ----

  private async awaitingAction(executionId: string): Promise<{ action: Lean } | { result: OutcomeResult }> {
    const execution = await ActionExecution.findById(executionId).lean();
    if (!execution) return { result: { applied: false, status: 'failed' } };
    const action = await Action.findById(execution.actionId).lean<Lean>();
    if (!action) return { result: { applied: false, status: 'failed' } };
    // Any attempt of the awaited step counts: a receiver may confirm the delivery of an earlier attempt
    // (same webhook-id) whose answer we never read.
    const sameStep = action.awaitingExecutionId === executionId || (execution.chainIndex === action.chainIndex && !!action.awaitingExecutionId);
    if (action.status !== 'awaiting_confirmation' || !sameStep) return { result: { applied: false, status: action.status as ActionStatus } };
    return { action };
  }

  private async transition(action: Lean, set: Record<string, unknown>): Promise<Lean | null> {
    return Action.findOneAndUpdate({ _id: action._id, stepSeq: action.stepSeq }, { $set: set, $inc: { stepSeq: 1 } }, { returnDocument: 'after' }).lean<Lean>();
  }

  private async currentStatus(actionId: string): Promise<ActionStatus | null> {
    const a = await Action.findById(actionId, { status: 1 }).lean();
    return (a?.status as ActionStatus) ?? null;
  }

  /** PREFIX-counter, allocated once per action (a retry reuses it; a lost race wastes one number, never reuses one). */
  async allocateOrderNumber(actionId: string, provider: ProviderView): Promise<string> {
    const current = await Action.findById(actionId, { orderNumber: 1 }).lean();
    if (current?.orderNumber) return current.orderNumber;
    const p = await Provider.findOneAndUpdate({ _id: provider.id }, { $inc: { orderCounter: 1 } }, { returnDocument: 'after' }).lean();
    const candidate = `${provider.orderPrefix}-${p?.orderCounter ?? Date.now() % 100000}`;
    await Action.updateOne({ _id: actionId, orderNumber: null }, { $set: { orderNumber: candidate } });
    const final = await Action.findById(actionId, { orderNumber: 1 }).lean();
    return final?.orderNumber ?? candidate;
  }

  /** One status update per transition; it stores every event it broadcast so another process (ROLE=api) can replay them. */
  private async record(action: Lean, status: string, message: string, extra: ActionEvent[] = []): Promise<void> {
    const timestamp = this.now();
    const events: ActionEvent[] = [
      { type: 'action.status', actionId: action._id.toString(), spaceId: action.spaceId.toString(), status: status as ActionStatus, message, timestamp: timestamp.toISOString() },
      ...extra,
    ];
    await ActionStatusUpdate.create({ actionId: action._id, spaceId: action.spaceId, status, message, timestamp, events });
    for (const e of events) this.opts.bus.publish(e);
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Results stored on an execution lose their class; rebuild the HandlerError. */
function reviveResult(r: HandlerResult): HandlerResult {
  if ((r.kind === 'retryable' || r.kind === 'permanent') && !(r.error instanceof HandlerError)) {
    const e = r.error as { code: HandlerError['code']; message: string; retryable?: boolean };
    return { ...r, error: new HandlerError(e.code, e.message, r.kind === 'retryable') } as HandlerResult;
  }
  return r;
}
