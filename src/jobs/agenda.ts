/**
 * Agenda on mongoose's own connection, for the little that is not an action step: customer notifications
 * (one job per completed/ready event) and the periodic cleanup. Action steps are not Agenda jobs: the
 * StepDispatcher runs what the engine's own state says is due (see step-dispatcher.ts).
 *
 * Every definition has a lockLimit: Agenda 6 without one locks every due job before running any, and drops
 * those whose lock expired meanwhile, which livelocks a long backlog.
 */
import { Agenda, InMemoryNotificationChannel, backoffStrategies } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { NotifyEventType, StepScheduler } from '../engine/execution-service.js';
import type { NotifierDispatcher } from '../notify/dispatcher.js';
import { JOB } from './names.js';
import type { StepDispatcher } from './step-dispatcher.js';

export interface AgendaSettings {
  processEveryMs: number;
  lockLifetimeMs: number;
  concurrency: number;
  /** true when API and worker share this process: new jobs start without waiting for a poll. */
  inProcessNotifications: boolean;
}

export function createAgenda(connection: mongoose.Connection, settings: AgendaSettings): Agenda {
  const backend = new MongoBackend({ mongo: connection.db as never, collection: 'agendaJobs' });
  return new Agenda({
    backend,
    processEvery: settings.processEveryMs,
    defaultLockLifetime: settings.lockLifetimeMs,
    maxConcurrency: settings.concurrency,
    defaultConcurrency: settings.concurrency,
    lockLimit: settings.concurrency,
    defaultLockLimit: settings.concurrency,
    ...(settings.inProcessNotifications ? { notificationChannel: new InMemoryNotificationChannel() } : {}),
  });
}

/**
 * The StepScheduler the engine uses. Steps and confirmation timeouts are already durable in the action's live
 * state; telling the local dispatcher (when this process runs workers) only starts them sooner. Notifications
 * are plain one-off Agenda jobs (no `unique()`: duplicates are harmless, each notifier dedupes on its key).
 */
export function createScheduler(agenda: Agenda, steps: StepDispatcher | null, notifiers: NotifierDispatcher, logger: Logger, fallbackAfterMs = NOTIFY_FALLBACK_AFTER_MS): StepScheduler & { settled(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  return {
    settled: async () => { await Promise.allSettled([...inFlight]); },
    enqueueStep: async (actionId, _stepSeq, runAt, known) => steps?.offer({ actionId, kind: 'step', known }, runAt),
    scheduleConfirmTimeout: async (actionId, stepSeq, at) => steps?.offer({ actionId, kind: 'confirm-timeout', stepSeq }, at),
    // Rolling a transition forward may enqueue this twice: the job's own claim makes the second a no-op.
    enqueueProviderCancel: async (actionId, executionId) => void (await agenda.now(JOB.providerCancel, { actionId, executionId })),
    enqueueNotify: async (actionId, eventType: NotifyEventType, statusUpdateId: string, now) => {
      // Delivered at once by this process; the job is the durable fallback, due only if that did not finish
      // (a crash), and removed once it did. Notifiers dedupe, so the rare double delivery attempt is harmless.
      const data = { actionId, eventType, statusUpdateId };
      if (!now) return void (await agenda.now(JOB.notify, data));
      // No job when no notifier can have anything to send (no chat thread, no phone number): 2 writes saved.
      const job = notifiers.mayDeliver(now.action, now.event) ? await agenda.schedule(new Date(Date.now() + fallbackAfterMs), JOB.notify, data) : null;
      const sending = notifiers.dispatchEvent(now.action, now.event, statusUpdateId)
        .then(() => job?.remove())
        .catch((err: Error) => logger.warn({ actionId, err: err.message }, 'notification failed; its job retries it'))
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },
  };
}

/** How long an immediate notification gets before its fallback job delivers it instead. */
export const NOTIFY_FALLBACK_AFTER_MS = 2 * 60_000;

/** Registers the workers (ROLE=worker|all). */
export function defineJobs(agenda: Agenda, deps: {
  dispatcher: NotifierDispatcher; cleanup: () => Promise<number>; lockLifetimeMs: number; concurrency: number; logger: Logger;
  tellProviderCancelled: (actionId: string, executionId: string, jobId: string) => Promise<unknown>;
}): void {
  // Infrastructure errors (DB hiccups) retry the job.
  const backoff = backoffStrategies.exponential({ delay: 500, factor: 2, maxRetries: 5, maxDelay: 30_000 });
  agenda.define<{ actionId: string; eventType: NotifyEventType; statusUpdateId: string }>(JOB.notify, async (job) => {
    await deps.dispatcher.dispatch(job.attrs.data.actionId, job.attrs.data.eventType, job.attrs.data.statusUpdateId);
  }, { lockLifetime: deps.lockLifetimeMs, backoff, removeOnComplete: true, lockLimit: deps.concurrency, concurrency: deps.concurrency });
  // A provider that is down is retried for about an hour (the order may still be prepared otherwise).
  const providerBackoff = backoffStrategies.exponential({ delay: 2000, factor: 2, maxRetries: 12, maxDelay: 10 * 60_000 });
  agenda.define<{ actionId: string; executionId: string }>(JOB.providerCancel, async (job) => {
    await deps.tellProviderCancelled(job.attrs.data.actionId, job.attrs.data.executionId, String(job.attrs._id));
  }, { lockLifetime: deps.lockLifetimeMs, backoff: providerBackoff, removeOnComplete: true, lockLimit: deps.concurrency, concurrency: deps.concurrency });
  agenda.define(JOB.cleanup, async () => {
    const n = await deps.cleanup();
    if (n) deps.logger.info({ actions: n }, 'removed the step bookkeeping of finished actions');
  }, { lockLifetime: deps.lockLifetimeMs, lockLimit: 1, concurrency: 1 });
}

/**
 * Logs Agenda's errors and failed jobs (every role: an API process with an operator notifier runs operator
 * jobs too, and an unhandled 'error' event would stop the process).
 */
export function watchAgenda(agenda: Agenda, logger: Logger): void {
  agenda.on('error', (err) => {
    // Agenda's job lock is a conditional update, which FerretDB does not run atomically: the same job can be
    // run twice and the second save finds it removed. Notifiers dedupe, so the duplicate is a no-op.
    if (/cannot be updated in the database/.test(err.message)) return void logger.debug({ err: err.message }, 'duplicate job run');
    logger.error({ err: err.message }, 'agenda error');
  });
  agenda.on('fail', (err: Error | string, job: { attrs?: { name?: string } }) => {
    const fields = { job: job.attrs?.name, err: typeof err === 'string' ? err : err.message };
    // A job that throws on purpose to be retried later (e.g. waiting for a running step) is not an error.
    if (typeof err === 'object' && (err as { expected?: boolean }).expected) return void logger.info(fields, 'job will retry');
    logger.error(fields, 'job failed');
  });
}
