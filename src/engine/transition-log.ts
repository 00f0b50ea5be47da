/**
 * The transition log: the single way an action changes. A writer inserts Transition `${actionId}:${seq}`
 * (a unique _id, so exactly one writer wins each seq), then applies its plan: the action's fields, one
 * status update (deterministic _id, so events are broadcast once), a receipt, and the jobs to schedule.
 * Anyone who loads an action whose current transition exists but was not applied (a crash in between)
 * applies it first: every part of a plan is idempotent.
 */
import type { Logger } from 'pino';
import { insertOnce } from '../storage/insert-once.js';
import { loadAction, writeActionState } from '../storage/action-state.js';
import { ActionStatusUpdate, Receipt, Transition, type ActionDoc } from '../storage/models.js';
import { updateExecution } from '../storage/executions.js';
import type { StatusBus } from './status-bus.js';
import type { ActionEvent, ActionStatus, ReceiptData } from './types.js';

/** The event a notify job is about (each status update carries an `action.status` event, some one more). */
export type NotifyEventType = 'action.status' | 'action.completed' | 'action.failed' | 'action.ready' | 'action.cancelled';

/**
 * Actions that came from a chat thread report every status change there; others notify only the news the
 * SMS notifier sends (completed, ready, failed, cancelled), so API-only actions do not pay a notify job per step.
 */
const followsEveryStatus = (action: ActionDoc) => ((action.origin as { channel?: string } | undefined)?.channel ?? 'api') !== 'api';

function notifyEventOf(update: NonNullable<TransitionPlan['update']>): NotifyEventType {
  const extra = update.events?.find((e) => e.type !== 'action.status');
  return (extra?.type ?? 'action.status') as NotifyEventType;
}

export interface StepScheduler {
  /** `known`: the action as the caller just wrote it, so a step run in this process need not read it back. */
  enqueueStep(actionId: string, stepSeq: number, runAt?: Date, known?: ActionDoc): Promise<void>;
  scheduleConfirmTimeout(actionId: string, stepSeq: number, at: Date): Promise<void>;
  /**
   * Sends the event's notifications. `statusUpdateId` holds the event, for a later (durable) delivery; `now`
   * carries the action as of the event and the event itself, for delivering at once without reading them back.
   */
  enqueueNotify(actionId: string, eventType: NotifyEventType, statusUpdateId: string, now?: { action: ActionDoc; event: ActionEvent }): Promise<void>;
  /** Tells the provider, through the handler of `executionId`, that the customer cancelled (a durable job). */
  enqueueProviderCancel(actionId: string, executionId: string): Promise<void>;
}

export interface TransitionPlan {
  set: Record<string, unknown>;
  update?: { status: string; message: string; events?: ActionEvent[] };
  receipt?: { receiptNumber: string; data: ReceiptData };
  execution?: { id: string; set: Record<string, unknown> };
  schedule?: { stepAt?: Date; confirmTimeoutAt?: Date; notify?: NotifyEventType; /** An execution whose provider must hear of the cancel. */ providerCancel?: string };
}

/** Sees each transition once, right after its writer won it (metrics hook here instead of into the engine). */
export interface TransitionObserver {
  transitionCommitted(before: ActionDoc, set: TransitionPlan['set']): void;
}

export class TransitionLog {
  private readonly scheduler: StepScheduler;

  constructor(private readonly deps: { bus: StatusBus; logger: Logger; now: () => Date; scheduler: StepScheduler; observer?: TransitionObserver }) {
    this.scheduler = deps.scheduler;
  }

  /**
   * The action as its live state shows it. Optimistic: a transition committed by a writer that crashed before
   * applying it is not looked for here (that read would cost every load); whoever then tries to commit over it
   * loses the insert and settles the log first (see commit), and a decision that finds nothing to do settles
   * before concluding so.
   */
  async load(actionId: string): Promise<ActionDoc | null> {
    return loadAction({ _id: actionId });
  }

  /** The action with every committed transition applied. */
  async settle(actionId: string): Promise<ActionDoc | null> {
    for (let i = 0; i < 20; i++) {
      const action = await loadAction({ _id: actionId });
      if (!action) return null;
      const pending = await Transition.findById(`${actionId}:${action.stepSeq}`).lean();
      if (!pending) return action;
      this.deps.logger.debug({ actionId, seq: action.stepSeq }, 'rolling a committed transition forward');
      await this.apply(action, action.stepSeq, pending.plan as TransitionPlan);
    }
    throw new Error(`action ${actionId}: transition log did not settle`);
  }

  /** Claims the next transition; null when another writer got there first (the log is then settled: reload and decide again). */
  async commit(action: ActionDoc, plan: TransitionPlan): Promise<ActionDoc | null> {
    const seq = action.stepSeq;
    const won = await insertOnce(Transition, { _id: `${action._id.toString()}:${seq}`, actionId: action._id, seq, plan });
    if (!won) {
      await this.settle(action._id.toString());
      return null;
    }
    this.deps.observer?.transitionCommitted(action, plan.set);
    return this.apply(action, seq, plan);
  }

  /** Records the first status update ("queued") of a new action; not a transition. */
  async recordCreated(action: Pick<ActionDoc, '_id' | 'spaceId'>, message: string): Promise<void> {
    await this.writeUpdate(action, `${action._id.toString()}:created`, { status: 'queued', message });
  }

  private async apply(action: ActionDoc, seq: number, plan: TransitionPlan): Promise<ActionDoc> {
    const actionId = action._id.toString();
    // The execution first (a transition that ends the action moves its executions to history), then the action
    // and its receipt (independent, so together); the status update — which broadcasts — last, so a client
    // reacting to an event reads the state that event describes.
    if (plan.execution) await updateExecution(plan.execution.id, plan.execution.set);
    await Promise.all([
      writeActionState(action, seq, plan.set),
      // The receipt's _id is its action's, so readers find it by _id (see action-story.ts).
      plan.receipt ? insertOnce(Receipt, { _id: action._id, actionId: action._id, spaceId: action.spaceId, status: 'issued', ...plan.receipt }) : null,
    ]);
    const events = plan.update ? await this.writeUpdate(action, `${actionId}:${seq}`, plan.update) : undefined;
    const s = plan.schedule;
    const next = { ...action, ...plan.set, stepSeq: seq + 1 } as ActionDoc;
    if (s?.stepAt) await this.scheduler.enqueueStep(actionId, seq + 1, s.stepAt, next);
    if (s?.confirmTimeoutAt) await this.scheduler.scheduleConfirmTimeout(actionId, seq + 1, s.confirmTimeoutAt);
    if (s?.providerCancel) await this.scheduler.enqueueProviderCancel(actionId, s.providerCancel);
    const notify = s?.notify ?? (plan.update && followsEveryStatus(action) ? notifyEventOf(plan.update) : undefined);
    const event = events?.find((e) => e.type === notify);
    if (notify) await this.scheduler.enqueueNotify(actionId, notify, `${actionId}:${seq}`, event ? { action: next, event } : undefined);
    return next;
  }

  /**
   * The status update and its events; only the writer whose insert succeeds broadcasts them, and gets them back
   * (to notify at once). A writer that lost the insert (rolling a transition forward) gets undefined: its
   * notification is then read from the stored update, whose timestamps order the chat messages.
   */
  private async writeUpdate(action: Pick<ActionDoc, '_id' | 'spaceId'>, id: string, update: NonNullable<TransitionPlan['update']>): Promise<ActionEvent[] | undefined> {
    const timestamp = this.deps.now();
    const events: ActionEvent[] = [
      { type: 'action.status', actionId: action._id.toString(), spaceId: action.spaceId.toString(), status: update.status as ActionStatus, message: update.message, timestamp: timestamp.toISOString() },
      ...(update.events ?? []),
    ];
    const inserted = await insertOnce(ActionStatusUpdate, { _id: id, actionId: action._id, spaceId: action.spaceId, status: update.status, message: update.message, timestamp, events });
    if (!inserted) return undefined;
    this.deps.bus.publishUpdate(id, events);
    return events;
  }
}
