/**
 * ActionExecutionService: walks an action's handler chain one step at a time.
 * A worker's StepDispatcher calls runStep when the action's live state says a step is due; all state lives
 * on the action and changes only through the transition log, so a duplicate or stale call never advances an
 * action twice. A running step is held by a lease (renewed while the handler runs); a worker that dies leaves
 * the lease to expire and the next worker takes the step over, re-running the handler with the same
 * idempotency key.
 */
import type { Logger } from 'pino';
import { type ActionDoc, ActionExecutionLive, Integration } from '../storage/models.js';
import { updateExecution, withExecutionId } from '../storage/executions.js';
import { allocateOrderNumber } from '../storage/order-numbers.js';
import { StepLease } from '../storage/step-lease.js';
import { insertOnce } from '../storage/insert-once.js';
import { recordExternalRef } from '../storage/integration-lookups.js';
import { loadIntegrationWithSecrets, loadProviderView, toActionView } from '../storage/views.js';
import { tellProviderCancelled, type ProviderCancelOutcome } from './provider-cancel.js';
import { buildReceiptData, newReceiptNumber } from './receipts.js';
import type { HandlerRegistry, RetryDecision } from './registry.js';
import type { StatusBus } from './status-bus.js';
import { TransitionLog, type StepScheduler, type TransitionObserver, type TransitionPlan } from './transition-log.js';
import {
  HandlerError, type ActionHandler, type ActionStatus, type Completion, type ExternalOutcomes, type FulfillmentState,
  type HandlerContext, type HandlerResult, type OutcomeResult, type ProviderView,
} from './types.js';

export type { NotifyEventType, StepScheduler } from './transition-log.js';

export interface ExecutionServiceOptions {
  registry: HandlerRegistry;
  bus: StatusBus;
  logger: Logger;
  stepTimeoutMs: number;
  /** How long a running step's lease lasts without renewal; a dead worker's step is taken over after it. */
  leaseMs: number;
  publicBaseUrl: string;
  /** Where steps, confirmation timeouts and notifications are queued (Agenda in production). */
  scheduler: StepScheduler;
  now?: () => Date;
  /** Told about every committed transition (metrics). */
  observer?: TransitionObserver;
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const DONE = { nextStepAt: null, awaitingExecutionId: null, confirmDeadlineAt: null, leaseUntil: null };
const NEEDS_A_PERSON: ReadonlySet<string> = new Set(['unauthorized', 'misconfigured', 'bad_request']);

export class ActionExecutionService implements ExternalOutcomes {
  readonly log: TransitionLog;
  private readonly scheduler: StepScheduler;
  private readonly now: () => Date;
  private readonly successRecordedAt = new Map<string, number>();

  constructor(private readonly opts: ExecutionServiceOptions) {
    this.now = opts.now ?? (() => new Date());
    this.scheduler = opts.scheduler;
    this.log = new TransitionLog({ bus: opts.bus, logger: opts.logger, now: this.now, scheduler: opts.scheduler, observer: opts.observer });
  }

  /** How status messages name a chain entry's handler (its manifest label). */
  private label(entry?: { name?: string | null } | null): string {
    return this.opts.registry.label(entry?.name);
  }

  /** Called once, right after the action was stored: records "queued" and enqueues the first step. */
  async start(action: ActionDoc): Promise<void> {
    await Promise.all([
      this.log.recordCreated(action, 'Request received; finding the best way to place it...'),
      this.scheduler.enqueueStep(action._id.toString(), 0, undefined, action),
    ]);
  }

  /**
   * Runs the action's current step if it is due and nobody holds it. Safe to call any number of times.
   * `known` is the action as this process last wrote it (no read then); if another writer moved it since, the
   * claim below loses its insert and nothing runs.
   */
  async runStep(actionId: string, known?: ActionDoc): Promise<void> {
    const action = known ?? await this.log.load(actionId);
    if (!action || TERMINAL.has(action.status) || action.phase === 'awaiting') return;
    const now = this.now();
    if (action.phase === 'running') {
      const until = action.leaseUntil?.getTime() ?? new Date(action.updatedAt ?? now).getTime() + this.opts.leaseMs;
      if (until > now.getTime()) return; // another worker is on it
      this.opts.logger.warn({ actionId, seq: action.stepSeq }, 'taking over a step whose worker stopped renewing its lease');
    } else if (action.nextStepAt && action.nextStepAt.getTime() > now.getTime() + 50) {
      return; // a retry is scheduled for later; its own job will come
    }

    const entry = action.chain[action.chainIndex];
    const [provider, integration] = await Promise.all([
      loadProviderView(action.providerId),
      entry ? loadIntegrationWithSecrets(entry.integrationId, { type: (entry.type ?? 'manual') as 'manual', name: entry.name ?? 'manual' }) : null,
    ]);
    if (!entry || !provider) return void (await this.fail(action, 'no handler is configured for this request'));
    const handler = this.opts.registry.get(entry.name ?? '');
    const view = toActionView(action);
    const can = !handler || !integration ? { ok: false as const, reason: `handler "${entry.name}" is not available` } : handler.canHandle(view, provider, integration);
    if (!can.ok || !handler || !integration) {
      const skipped = `${actionId}:${action.chainIndex}:${action.attempt}`;
      await ActionExecutionLive.updateOne({ _id: skipped }, {
        $setOnInsert: { ...this.executionBase(action, entry), startedAt: now },
        $set: { status: 'skipped', finishedAt: now, error: { code: 'unavailable', message: can.ok ? 'unavailable' : can.reason } },
      }, { upsert: true });
      const plan = this.advancePlan(action, `${capitalize(this.label(entry))} isn't available for this order`);
      return void (await this.log.commit(action, { ...plan, set: { ...plan.set, ...executionIdsWith(action, skipped) } }));
    }

    // Claim the run: one worker wins; a takeover is a new claim on the same step (and the same execution).
    const executionId = `${actionId}:${action.chainIndex}:${action.attempt}`;
    const running = await this.log.commit(action, {
      set: { phase: 'running', status: 'executing', nextStepAt: null, leaseUntil: new Date(now.getTime() + this.opts.leaseMs), ...executionIdsWith(action, executionId) },
      ...(action.status === 'queued' ? { update: { status: 'executing', message: `Placing order with ${provider.name}...` } } : {}),
    });
    if (!running) return;

    // Persist before calling out: the execution record and its idempotency key exist before the handler runs.
    const base = this.executionBase(action, entry);
    // An insert in the normal case (into the live executions: small, see storage/executions.ts); a takeover bumps `runs`.
    const fresh = await insertOnce(ActionExecutionLive, { _id: executionId, ...base, status: 'running', startedAt: now, runs: 1 });
    const previous = fresh ? null : await ActionExecutionLive.findById(executionId).lean();
    if (previous) await ActionExecutionLive.updateOne({ _id: executionId }, { $inc: { runs: 1 } });
    let result: HandlerResult;
    const recorded = new Set<string>(); // external refs the handler already recorded (one insert each)
    if (previous?.result) {
      result = reviveResult(previous.result as HandlerResult);
    } else {
      result = await this.execute(handler, {
        action: view, provider, integration,
        execution: { id: executionId, attempt: action.attempt, idempotencyKey: base.idempotencyKey },
        orderNumber: () => this.allocateOrderNumber(actionId, provider),
        recordExternalRef: async (ref) => { await recordExternalRef(provider.id, ref, actionId); recorded.add(ref); },
        touch: async () => undefined, // replaced in execute() by the lease's renew
        publicBaseUrl: this.opts.publicBaseUrl,
        logger: this.opts.logger.child({ actionId, handler: handler.name }),
        now: this.now,
      }, running);
    }
    // Decided once: the execution record and the transition must agree on "retrying" vs "failed".
    const retry = result.kind === 'retryable'
      ? this.opts.registry.retryDecision(entry.name ?? '', integration.config, action.attempt, result.retryAfterMs)
      : null;
    if ('externalRef' in result && result.externalRef && !recorded.has(result.externalRef)) await recordExternalRef(provider.id, result.externalRef, actionId);
    if (!previous?.result) {
      await this.saveResult(executionId, result, retry, previous?.startedAt ?? now);
      await this.recordHealth(entry.integrationId?.toString() ?? null, actionId, result);
    }
    await this.log.commit(running, await this.planFor(running, provider, executionId, result, retry));
  }

  private executionBase(action: ActionDoc, entry: NonNullable<ActionDoc['chain'][number]>) {
    return {
      actionId: action._id, spaceId: action.spaceId, integrationId: entry.integrationId ?? null, handlerType: entry.type ?? 'manual',
      handlerName: entry.name ?? 'manual', chainIndex: action.chainIndex, attempt: action.attempt,
      idempotencyKey: `${action._id.toString()}:${entry.integrationId?.toString() ?? entry.name}`,
    };
  }

  private async execute(handler: ActionHandler, ctx: Omit<HandlerContext, 'signal'>, running: ActionDoc): Promise<HandlerResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('step timed out')), this.opts.stepTimeoutMs);
    const lease = new StepLease({
      actionId: running._id.toString(), stepSeq: running.stepSeq, leaseMs: this.opts.leaseMs, until: running.leaseUntil!, now: this.now,
      onLost: () => controller.abort(new Error('step lease could not be renewed')),
    });
    try {
      return await handler.execute({ ...ctx, touch: () => lease.renew(), signal: controller.signal });
    } catch (err) {
      if (err instanceof HandlerError) return err.retryable ? { kind: 'retryable', error: err } : { kind: 'permanent', error: err };
      const timedOut = controller.signal.aborted;
      return { kind: 'retryable', error: HandlerError.transient(timedOut ? 'timeout' : 'unknown', timedOut ? 'step timed out' : String((err as Error)?.message ?? err).slice(0, 200)) };
    } finally {
      clearTimeout(timer);
      await lease.release();
    }
  }

  private async saveResult(executionId: string, result: HandlerResult, retry: RetryDecision | null, startedAt: Date): Promise<void> {
    const willRetry = retry?.retry === true;
    const status = result.kind === 'completed' ? 'completed' : result.kind === 'awaiting' ? 'awaiting'
      : willRetry ? 'retrying' : result.kind === 'permanent' && result.error.code === 'declined' ? 'declined' : 'failed';
    const error = 'error' in result ? { code: result.error.code, message: result.error.message } : { code: null, message: null };
    const stored = 'error' in result ? { ...result, error: { code: result.error.code, message: result.error.message } } : result;
    const finishedAt = this.now();
    await updateExecution(executionId, {
      status, error, result: stored, externalRef: 'externalRef' in result ? result.externalRef ?? null : null,
      finishedAt, durationMs: finishedAt.getTime() - new Date(startedAt).getTime(),
    });
  }

  /** Failures a person must fix (credentials, configuration, mapping) are shown on the integration for operators. */
  private async recordHealth(integrationId: string | null, actionId: string, result: HandlerResult): Promise<void> {
    if (!integrationId) return;
    if (result.kind === 'completed' || result.kind === 'awaiting') {
      // At most once a minute per integration and process: a write per successful step is the hot path's cost.
      const last = this.successRecordedAt.get(integrationId) ?? 0;
      if (this.now().getTime() - last < 60_000) return;
      this.successRecordedAt.set(integrationId, this.now().getTime());
      await Integration.updateOne({ _id: integrationId }, { $set: { 'health.lastSuccessAt': this.now() } });
    } else if (result.kind === 'permanent' && NEEDS_A_PERSON.has(result.error.code)) {
      await Integration.updateOne({ _id: integrationId }, { $set: { 'health.lastError': { code: result.error.code, message: result.error.message, at: this.now(), actionId } } });
      this.opts.logger.warn({ integrationId, actionId, code: result.error.code }, 'integration needs attention');
    }
  }

  /** What a handler result does to the action, as one transition. */
  private async planFor(action: ActionDoc, provider: ProviderView, executionId: string, result: HandlerResult, retry: RetryDecision | null): Promise<TransitionPlan> {
    const entry = action.chain[action.chainIndex];
    switch (result.kind) {
      case 'completed':
        return this.completionPlan(action, provider, result);
      case 'awaiting': {
        const deadline = result.timeoutMs === null ? null : new Date(this.now().getTime() + result.timeoutMs);
        return {
          set: { status: 'awaiting_confirmation', phase: 'awaiting', awaitingExecutionId: executionId, confirmDeadlineAt: deadline, externalRef: result.externalRef ?? null, nextStepAt: null },
          update: { status: 'awaiting_confirmation', message: result.message },
          ...(deadline ? { schedule: { confirmTimeoutAt: deadline } } : {}),
        };
      }
      case 'retryable': {
        if (retry?.retry) {
          const delay = retry.delayMs;
          const at = new Date(this.now().getTime() + delay);
          return {
            set: { phase: 'ready', status: 'executing', attempt: retry.nextAttempt, nextStepAt: at },
            // Customers read status messages: the error itself stays on the execution record, for operators.
            update: { status: 'executing', message: `${capitalize(this.label(entry))} didn't answer; retrying in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${retry.nextAttempt} of ${retry.maxAttempts})` },
            schedule: { stepAt: at },
          };
        }
        return this.advancePlan(action, `${capitalize(this.label(entry))} didn't answer after ${action.attempt} tries`, undefined, result.error.message);
      }
      case 'permanent':
        return this.advancePlan(action, `${capitalize(this.label(entry))} couldn't take the order`, undefined, result.error.message);
    }
  }

  private async completionPlan(action: ActionDoc, provider: ProviderView, completion: Completion, execution?: TransitionPlan['execution']): Promise<TransitionPlan> {
    const actionId = action._id.toString();
    const orderNumber = completion.orderNumber ?? (await this.allocateOrderNumber(actionId, provider));
    const readyInMinutes = completion.readyInMinutes ?? provider.prepMinutes;
    const now = this.now();
    const externalRef = completion.externalRef ?? action.externalRef ?? null;
    const data = buildReceiptData(toActionView(action).order, provider, { orderNumber, readyInMinutes, totalCents: completion.totalCents, now });
    return {
      set: { status: 'completed', phase: 'done', completedAt: now, orderNumber, externalRef, error: null, ...DONE },
      receipt: { receiptNumber: newReceiptNumber(now), data },
      update: {
        status: 'completed',
        message: completion.message ?? `Order confirmed! Order #${orderNumber}, ready in ${readyInMinutes} minutes`,
        events: [{ type: 'action.completed', actionId, spaceId: action.spaceId.toString(), externalReference: externalRef, receiptData: data, timestamp: now.toISOString() }],
      },
      schedule: { notify: 'action.completed' },
      ...(execution ? { execution } : {}),
    };
  }

  /** Fall through to the next handler; manual is last, so running out means manual itself failed. */
  /**
   * `reason` is the customer's status message; `detail` (for operators: the action's error when it fails) may
   * say more; `customerMessage` replaces the plain failure text when one was given (e.g. by an operator).
   */
  private advancePlan(action: ActionDoc, reason: string, execution?: TransitionPlan['execution'], detail = reason, customerMessage?: string): TransitionPlan {
    const next = action.chain[action.chainIndex + 1];
    if (!next) return { ...this.failPlan(action, detail, customerMessage), ...(execution ? { execution } : {}) };
    return {
      set: { chainIndex: action.chainIndex + 1, attempt: 1, phase: 'ready', status: 'executing', ...DONE, nextStepAt: this.now() },
      update: { status: 'executing', message: `${reason}. Trying ${this.label(next)}...` },
      schedule: { stepAt: this.now() },
      ...(execution ? { execution } : {}),
    };
  }

  /** `reason` is for operators (it stays on the action's error and the executions); the customer gets plain words. */
  private failPlan(action: ActionDoc, reason: string, customerMessage?: string): TransitionPlan {
    const message = customerMessage ?? "Sorry, we couldn't place your order.";
    return {
      set: { status: 'failed', phase: 'done', error: reason, ...DONE },
      update: { status: 'failed', message, events: [{ type: 'action.failed', actionId: action._id.toString(), spaceId: action.spaceId.toString(), error: message, timestamp: this.now().toISOString() }] },
      schedule: { notify: 'action.failed' },
    };
  }

  private async fail(action: ActionDoc, reason: string): Promise<void> {
    await this.log.commit(action, this.failPlan(action, reason));
  }

  /**
   * Decides against the latest state and commits; if another writer moved the action meanwhile, decides again.
   * `decide` returns null when nothing applies (the outcome is then `applied: false`).
   */
  private async decideAndCommit(actionId: string, decide: (a: ActionDoc) => Promise<TransitionPlan | null>): Promise<OutcomeResult> {
    let settled = false;
    for (let i = 0; i < 5; i++) {
      const action = settled ? await this.log.settle(actionId) : await this.log.load(actionId);
      if (!action) return { applied: false, status: 'failed' };
      const plan = await decide(action);
      if (!plan && !settled) { settled = true; continue; } // "nothing to do" is only trusted on a settled log
      if (!plan) return { applied: false, status: action.status as ActionStatus };
      const after = await this.log.commit(action, plan);
      if (after) return { applied: true, status: after.status as ActionStatus };
    }
    const latest = await this.log.load(actionId);
    return { applied: false, status: (latest?.status ?? 'failed') as ActionStatus };
  }

  // ---- inbound outcomes (confirm links, webhook confirmations, operators, POS webhooks) ----

  /** Any attempt of the awaited step counts: a receiver may confirm an earlier delivery of the same webhook-id. */
  private awaits(action: ActionDoc, executionId: string): boolean {
    const [aid, chainIndex] = executionId.split(':');
    return action.status === 'awaiting_confirmation' && aid === action._id.toString() && Number(chainIndex) === action.chainIndex;
  }

  /**
   * A confirmation for the step that is still being run (the receiver answered before our own record of
   * sending it was saved, or the sender died in between): nothing changes, `retryLater` asks for it again.
   */
  private async tooEarly(executionId: string): Promise<OutcomeResult | null> {
    const [actionId, chainIndex] = executionId.split(':');
    const action = actionId ? await this.log.load(actionId) : null;
    if (!action || TERMINAL.has(action.status) || action.status === 'awaiting_confirmation' || Number(chainIndex) !== action.chainIndex) return null;
    return { applied: false, status: action.status as ActionStatus, retryLater: true };
  }

  async confirm(executionId: string, completion: Completion): Promise<OutcomeResult> {
    const early = await this.tooEarly(executionId);
    if (early) return early;
    return this.decideAndCommit(executionId.split(':')[0]!, async (action) => {
      if (!this.awaits(action, executionId)) return null;
      const provider = await loadProviderView(action.providerId);
      if (!provider) return null;
      return this.completionPlan(action, provider, completion, { id: action.awaitingExecutionId!, set: { status: 'completed', finishedAt: this.now(), externalRef: completion.externalRef ?? null } });
    });
  }

  async decline(executionId: string, reason: string, customerMessage?: string): Promise<OutcomeResult> {
    const early = await this.tooEarly(executionId);
    if (early) return early;
    return this.decideAndCommit(executionId.split(':')[0]!, async (action) => {
      if (!this.awaits(action, executionId)) return null;
      const entry = action.chain[action.chainIndex];
      return this.advancePlan(action, `The order wasn't accepted via ${this.label(entry)}`, { id: action.awaitingExecutionId!, set: { status: 'declined', finishedAt: this.now(), error: { code: 'declined', message: reason } } }, `${capitalize(this.label(entry))} declined (${reason})`, customerMessage);
    });
  }

  async confirmationTimeout(actionId: string, stepSeq: number): Promise<void> {
    await this.decideAndCommit(actionId, async (action) => {
      if (action.stepSeq !== stepSeq || action.status !== 'awaiting_confirmation' || !action.awaitingExecutionId) return null;
      return this.advancePlan(action, `No confirmation from ${this.label(action.chain[action.chainIndex])} in time`, {
        id: action.awaitingExecutionId, set: { status: 'timed_out', finishedAt: this.now(), error: { code: 'timeout', message: 'no confirmation in time' } },
      });
    });
  }

  /**
   * A provider event about an order it accepted. "ready"/"picked up" before the action is completed (the
   * provider was faster than our bookkeeping, or a worker died in between) are not dropped: nothing changes
   * and the result says `retryLater`, so the caller has the provider deliver it again. A cancellation applies
   * whenever it comes: it ends the action, even one still being placed.
   */
  async reportFulfillment(actionId: string, state: FulfillmentState, message: string): Promise<OutcomeResult> {
    const current = await this.log.load(actionId);
    if (current && state !== 'cancelled' && !TERMINAL.has(current.status)) return { applied: false, status: current.status as ActionStatus, retryLater: true };
    return this.decideAndCommit(actionId, async (action) => {
      if (action.fulfillment === state || (action.status !== 'completed' && state !== 'cancelled')) return null;
      if (action.status === 'cancelled' || action.status === 'failed') return null; // already over (e.g. the customer's cancel reached the POS)
      const spaceId = action.spaceId.toString();
      const timestamp = this.now().toISOString();
      if (state === 'cancelled') {
        // Also after "confirmed": everyone who was told it was confirmed hears it was cancelled.
        return {
          set: { fulfillment: state, status: 'cancelled', phase: 'done', ...DONE },
          update: { status: 'cancelled', message, events: [{ type: 'action.cancelled' as const, actionId, spaceId, by: 'provider' as const, message, timestamp }] },
          schedule: { notify: 'action.cancelled' as const },
        };
      }
      const ready = state === 'ready';
      return {
        set: { fulfillment: state },
        update: { status: state, message, ...(ready ? { events: [{ type: 'action.ready' as const, actionId, spaceId, message, timestamp }] } : {}) },
        ...(ready ? { schedule: { notify: 'action.ready' as const } } : {}),
      };
    });
  }

  /**
   * The requester cancels: allowed until the action completes. A handler call in flight is not recalled; the
   * step that told the provider (awaiting its confirmation) or may be telling it (running) gets its handler's
   * `cancel` hook, from a durable job (see provider-cancel.ts).
   */
  async cancel(actionId: string, reason = 'Cancelled by the requester'): Promise<OutcomeResult> {
    const message = 'Your order was cancelled.';
    return this.decideAndCommit(actionId, async (action) => {
      if (TERMINAL.has(action.status)) return null;
      const toldProvider = action.phase === 'awaiting' ? action.awaitingExecutionId
        : action.phase === 'running' ? `${actionId}:${action.chainIndex}:${action.attempt}` : null;
      return {
        set: { status: 'cancelled', phase: 'done', error: reason, ...DONE },
        update: { status: 'cancelled', message, events: [{ type: 'action.cancelled', actionId, spaceId: action.spaceId.toString(), by: 'customer', message, timestamp: this.now().toISOString() }] },
        schedule: { notify: 'action.cancelled', ...(toldProvider ? { providerCancel: toldProvider } : {}) },
      };
    });
  }

  /** The job the customer's cancel scheduled: tells the provider through the handler's `cancel` hook. */
  tellProviderCancelled(actionId: string, executionId: string, jobId: string): Promise<ProviderCancelOutcome> {
    const { registry, logger, publicBaseUrl, stepTimeoutMs, leaseMs } = this.opts;
    return tellProviderCancelled({ registry, logger, publicBaseUrl, stepTimeoutMs, leaseMs, now: this.now }, { actionId, executionId, jobId });
  }

  /** PREFIX-n, allocated once per action (retries reuse it); see storage/order-numbers.ts. */
  allocateOrderNumber(actionId: string, provider: ProviderView): Promise<string> {
    return allocateOrderNumber(actionId, provider);
  }
}

/** The `executionIds` field of a transition that starts execution `id` (none for an action without the list). */
function executionIdsWith(action: ActionDoc, id: string): { executionIds?: string[] } {
  const ids = withExecutionId(action.executionIds, id);
  return ids ? { executionIds: ids } : {};
}

/** Results stored on an execution lose their class; rebuild the HandlerError. */
function reviveResult(r: HandlerResult): HandlerResult {
  if ((r.kind === 'retryable' || r.kind === 'permanent') && !(r.error instanceof HandlerError)) {
    const e = r.error as { code: HandlerError['code']; message: string };
    return { ...r, error: new HandlerError(e.code, e.message, r.kind === 'retryable') } as HandlerResult;
  }
  return r;
}
