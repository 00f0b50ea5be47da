/**
 * Operator jobs: the durable fallback of one manual task change (delivered to the operator notifiers if the
 * process that made the change did not finish it, or had none; retried with backoff; notifiers dedupe), and a
 * periodic sweep that nudges about unclaimed tasks, reminds claimers, and closes tasks whose action ended.
 * Only a process with an operator notifier (a chat bot) runs change jobs, whatever its role: one without would
 * finish them having told nobody, so it leaves them to one that can (with split roles, often the API process). Durable
 * jobs, not timers: the sweep reads the tasks' times against the service's clock. Both have lock limits of
 * their own, so a burst of task changes never takes the slots of notifications or cleanup.
 */
import { backoffStrategies, type Agenda } from 'agenda';
import type { Logger } from 'pino';
import type { OperatorTaskChange } from '../operators/events.js';
import type { OperatorDispatcher, ScheduleOperatorChange } from '../operators/dispatcher.js';
import type { ManualTaskService, NudgeSettings } from '../services/manual-tasks.js';

export const OPERATOR_JOB = { change: 'operator.task-change', sweep: 'operators.sweep' } as const;
/** At most this many task-change jobs locked and running per worker (of AGENDA_CONCURRENCY in all). */
export const OPERATOR_CHANGE_LIMIT = 2;

export const scheduleOperatorChange = (agenda: Agenda): ScheduleOperatorChange => async (change, at) => {
  // dueAt rides along like the engine's jobs (metrics: queue lag); the dispatcher ignores it.
  return agenda.schedule(at, OPERATOR_JOB.change, { ...change, dueAt: at.toISOString() });
};

export async function defineOperatorJobs(agenda: Agenda, deps: {
  dispatcher: OperatorDispatcher; tasks: ManualTaskService; nudges: NudgeSettings; sweepEvery: string; lockLifetimeMs: number; logger: Logger;
  /** ROLE=worker|all: this process runs the periodic sweep. */
  runsWorkers: boolean;
}): Promise<void> {
  if (deps.dispatcher.size > 0) defineChangeJob(agenda, deps);
  if (!deps.runsWorkers) return;
  agenda.define(OPERATOR_JOB.sweep, async () => {
    const r = await deps.tasks.sweep(deps.nudges);
    if (r.nudged || r.reminded || r.cancelled) deps.logger.info(r, 'operator sweep');
  }, { lockLifetime: deps.lockLifetimeMs, lockLimit: 1, concurrency: 1 });
  await agenda.every(deps.sweepEvery, OPERATOR_JOB.sweep);
}

function defineChangeJob(agenda: Agenda, deps: { dispatcher: OperatorDispatcher; lockLifetimeMs: number }): void {
  // Notifiers only queue into the chat outbox (which waits out rate limits itself): a failure here is a
  // database hiccup or a bot still starting.
  const backoff = backoffStrategies.exponential({ delay: 500, factor: 2, maxRetries: 8, maxDelay: 60_000 });
  agenda.define<OperatorTaskChange & { dueAt?: string }>(OPERATOR_JOB.change, async (job) => {
    const { dueAt: _dueAt, ...change } = job.attrs.data;
    await deps.dispatcher.dispatch(change);
  }, { lockLifetime: deps.lockLifetimeMs, backoff, removeOnComplete: true, lockLimit: OPERATOR_CHANGE_LIMIT, concurrency: OPERATOR_CHANGE_LIMIT });
}
