/**
 * Agenda on mongoose's own connection. Jobs are thin: they carry (actionId, stepSeq) and call the service;
 * business state lives on the action. In one process (ROLE=all) an in-memory notification channel wakes
 * the worker the moment a job is saved; separate API/worker processes fall back to polling every
 * AGENDA_PROCESS_EVERY_MS (MongoDB offers no notification channel without change streams).
 */
import { Agenda, InMemoryNotificationChannel, backoffStrategies, type JobWithId } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { ActionExecutionService, NotifyEventType, StepScheduler } from '../engine/execution-service.js';
import type { NotifierDispatcher } from '../notify/dispatcher.js';
import { JOB } from './names.js';

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
    maxConcurrency: settings.concurrency * 2,
    defaultConcurrency: settings.concurrency,
    ...(settings.inProcessNotifications ? { notificationChannel: new InMemoryNotificationChannel() } : {}),
  });
}

/**
 * The StepScheduler the engine uses: plain one-off jobs. No `unique()`: its upsert is a conditional write
 * (not atomic on FerretDB, and the slowest job write), and duplicates are already harmless because every
 * job re-reads the action and acts through the transition log.
 */
export function agendaScheduler(agenda: Agenda): StepScheduler {
  // dueAt rides along so the worker can measure queue lag (Agenda clears nextRunAt before a job starts).
  const save = async (name: string, data: Record<string, unknown>, at?: Date) => {
    const due = at ?? new Date();
    await agenda.schedule(due, name, { ...data, dueAt: due.toISOString() });
  };
  return {
    enqueueStep: (actionId, stepSeq, runAt) => save(JOB.step, { actionId, stepSeq }, runAt),
    scheduleConfirmTimeout: (actionId, stepSeq, at) => save(JOB.confirmTimeout, { actionId, stepSeq }, at),
    enqueueNotify: (actionId, eventType: NotifyEventType, statusUpdateId: string) => save(JOB.notify, { actionId, eventType, statusUpdateId }),
  };
}

/** Registers the workers (ROLE=worker|all). */
export interface JobDeps {
  service: ActionExecutionService;
  dispatcher: NotifierDispatcher;
  lockLifetimeMs: number;
  logger: Logger;
  /** Told when a worker starts a job that was due at `dueAt` (metrics: queue lag). */
  onJobStart?: (name: string, dueAt: string | undefined) => void;
}

export function defineJobs(agenda: Agenda, deps: JobDeps): void {
  const { service, dispatcher } = deps;
  if (deps.onJobStart) {
    const onJobStart = deps.onJobStart;
    // Local runs only: remote notifications (other processes' jobs) are theirs to count.
    agenda.on('start', (job: JobWithId, remote?: false) => {
      if (!remote && job?.attrs) onJobStart(job.attrs.name, (job.attrs.data as { dueAt?: string } | undefined)?.dueAt);
    });
  }
  // Infrastructure errors (DB hiccups) retry the job; handler outcomes never throw out of runStep.
  const backoff = backoffStrategies.exponential({ delay: 500, factor: 2, maxRetries: 5, maxDelay: 30_000 });
  const opts = { lockLifetime: deps.lockLifetimeMs, backoff, removeOnComplete: true };
  agenda.define<{ actionId: string; stepSeq: number }>(JOB.step, async (job) => {
    await service.runStep(job.attrs.data.actionId, { touch: () => job.touch() });
  }, opts);
  agenda.define<{ actionId: string; stepSeq: number }>(JOB.confirmTimeout, async (job) => {
    await service.confirmationTimeout(job.attrs.data.actionId, job.attrs.data.stepSeq);
  }, opts);
  agenda.define<{ actionId: string; eventType: NotifyEventType; statusUpdateId: string }>(JOB.notify, async (job) => {
    await dispatcher.dispatch(job.attrs.data.actionId, job.attrs.data.eventType, job.attrs.data.statusUpdateId);
  }, opts);
  agenda.define(JOB.sweep, async () => {
    const n = await service.sweep(deps.lockLifetimeMs * 2);
    if (n) deps.logger.warn({ requeued: n }, 'sweeper re-enqueued lost steps');
  }, { lockLifetime: deps.lockLifetimeMs });
  agenda.on('error', (err) => {
    // Agenda's job lock is a conditional update, which FerretDB does not run atomically: the same job can be
    // run twice and the second save finds it removed. The transition log makes the duplicate a no-op.
    if (/cannot be updated in the database/.test(err.message)) return void deps.logger.debug({ err: err.message }, 'duplicate job run');
    deps.logger.error({ err: err.message }, 'agenda error');
  });
  agenda.on('fail', (err: Error | string, job: { attrs?: { name?: string } }) => deps.logger.error({ job: job.attrs?.name, err: typeof err === 'string' ? err : err.message }, 'job failed'));
}
