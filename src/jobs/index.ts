/**
 * Background work of one process: the step dispatcher (ROLE=worker|all) and Agenda (notifications, cleanup).
 * The service wires it once; `close()` lets running steps and jobs finish (bounded) and stops both.
 */
import type { Agenda } from 'agenda';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { ActionExecutionService } from '../engine/execution-service.js';
import type { NotifierDispatcher } from '../notify/dispatcher.js';
import { removeFinishedBookkeeping } from '../storage/retention.js';
import { createAgenda, createScheduler, defineJobs } from './agenda.js';
import { JOB } from './names.js';
import { StepDispatcher } from './step-dispatcher.js';

/** Agenda's jobs (notification fallbacks, cleanup) are never urgent; each poll is a findAndModify per job name. */
const AGENDA_POLL_FLOOR_MS = 10_000;

export interface JobSettings {
  runsWorkers: boolean;
  /** API and workers in this process (ROLE=all). */
  inProcess: boolean;
  pollEveryMs: number;
  lockLifetimeMs: number;
  concurrency: number;
  retentionMs: number;
}

export interface RunningJobs { agenda: Agenda; steps: StepDispatcher | null; close(): Promise<void> }

export async function startJobs(connection: mongoose.Connection, s: JobSettings, deps: { service: ActionExecutionService; notifiers: NotifierDispatcher; logger: Logger }): Promise<RunningJobs> {
  // Agenda only holds fallbacks and housekeeping now: polling it often would only add lock writes.
  const agenda = createAgenda(connection, { processEveryMs: Math.max(s.pollEveryMs, AGENDA_POLL_FLOOR_MS), lockLifetimeMs: s.lockLifetimeMs, concurrency: s.concurrency, inProcessNotifications: s.inProcess });
  const steps = s.runsWorkers ? new StepDispatcher({
    runStep: (id) => deps.service.runStep(id),
    confirmationTimeout: async (id, seq) => { await deps.service.confirmationTimeout(id, seq); },
  }, { pollEveryMs: s.pollEveryMs, concurrency: s.concurrency, logger: deps.logger }) : null;
  const scheduler = createScheduler(agenda, steps, deps.notifiers, deps.logger);
  deps.service.useScheduler(scheduler);
  if (s.runsWorkers) {
    defineJobs(agenda, {
      dispatcher: deps.notifiers, lockLifetimeMs: s.lockLifetimeMs, concurrency: s.concurrency, logger: deps.logger,
      cleanup: () => removeFinishedBookkeeping({ stepBookkeepingMs: s.retentionMs, dedupeMs: Math.max(s.retentionMs, 24 * 3600_000) }),
    });
  }
  await agenda.start();
  if (s.runsWorkers) await agenda.every('5 minutes', JOB.cleanup);
  steps?.start();
  return {
    agenda, steps,
    async close() {
      await Promise.all([steps?.drain(5000), agenda.drain(5000).catch(() => undefined)]);
      await Promise.race([scheduler.settled(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await agenda.stop().catch(() => undefined);
    },
  };
}
