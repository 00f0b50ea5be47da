/**
 * Operator jobs: deliver one manual task change to the operator notifiers (retried with backoff; notifiers
 * dedupe), and a periodic sweep that nudges about unclaimed tasks, reminds claimers, and closes tasks whose
 * action ended. Durable jobs, not timers: the sweep reads the tasks' times against the service's clock.
 */
import { backoffStrategies, type Agenda, type BackoffStrategy } from 'agenda';
import type { Logger } from 'pino';
import type { OperatorTaskChange } from '../operators/events.js';
import type { OperatorDispatcher } from '../operators/dispatcher.js';
import type { ManualTaskService, NudgeSettings } from '../services/manual-tasks.js';

export const OPERATOR_JOB = { change: 'operator.task-change', sweep: 'operators.sweep' } as const;

export const enqueueOperatorChange = (agenda: Agenda) => async (change: OperatorTaskChange): Promise<void> => {
  // dueAt rides along like the engine's jobs (metrics: queue lag); the dispatcher ignores it.
  await agenda.now(OPERATOR_JOB.change, { ...change, dueAt: new Date().toISOString() });
};

export async function defineOperatorJobs(agenda: Agenda, deps: {
  dispatcher: OperatorDispatcher; tasks: ManualTaskService; nudges: NudgeSettings; sweepEvery: string; lockLifetimeMs: number; logger: Logger;
}): Promise<void> {
  const exponential = backoffStrategies.exponential({ delay: 500, factor: 2, maxRetries: 8, maxDelay: 60_000 });
  // A rate-limited platform said when to come back (Retry-After): wait exactly that, within the same retry budget.
  const backoff: BackoffStrategy = (ctx) => {
    const wait = (ctx.error as { retryAfterMs?: unknown }).retryAfterMs;
    return typeof wait === 'number' && ctx.attempt <= 8 ? wait : exponential(ctx);
  };
  agenda.define<OperatorTaskChange & { dueAt?: string }>(OPERATOR_JOB.change, async (job) => {
    const { dueAt: _dueAt, ...change } = job.attrs.data;
    await deps.dispatcher.dispatch(change);
  }, { lockLifetime: deps.lockLifetimeMs, backoff, removeOnComplete: true });
  agenda.define(OPERATOR_JOB.sweep, async () => {
    const r = await deps.tasks.sweep(deps.nudges);
    if (r.nudged || r.reminded || r.cancelled) deps.logger.info(r, 'operator sweep');
  }, { lockLifetime: deps.lockLifetimeMs });
  await agenda.every(deps.sweepEvery, OPERATOR_JOB.sweep);
}
