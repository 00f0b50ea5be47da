/**
 * Background work of one process: the step dispatcher (ROLE=worker|all) and Agenda (notification fallbacks,
 * cleanup). Created before the engine (which schedules through it), started once the engine exists; `close()`
 * lets running steps and jobs finish (bounded) and stops both.
 */
import type { Agenda } from 'agenda';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { ActionExecutionService, StepScheduler } from '../engine/execution-service.js';
import type { NotifierDispatcher } from '../notify/dispatcher.js';
import { removeFinishedBookkeeping } from '../storage/retention.js';
import { createAgenda, createScheduler, defineJobs, watchAgenda } from './agenda.js';
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
  /** How long an immediate notification gets before its fallback job delivers it instead (default 2 min). */
  notifyFallbackAfterMs?: number;
}

export interface Jobs {
  agenda: Agenda;
  /** What the engine schedules through (its constructor takes it, before the service exists). */
  scheduler: StepScheduler;
  steps: StepDispatcher | null;
  /** Starts Agenda and the step dispatcher, which runs steps through `service`. */
  start(service: ActionExecutionService): Promise<void>;
  close(): Promise<void>;
}

export function createJobs(connection: mongoose.Connection, s: JobSettings, deps: { notifiers: NotifierDispatcher; logger: Logger; onWorkStart?: (name: string, dueAt: Date) => void }): Jobs {
  // Agenda only holds fallbacks and housekeeping now: polling it often would only add lock writes.
  const agenda = createAgenda(connection, { processEveryMs: Math.max(s.pollEveryMs, AGENDA_POLL_FLOOR_MS), lockLifetimeMs: s.lockLifetimeMs, concurrency: s.concurrency, inProcessNotifications: s.inProcess });
  let service: ActionExecutionService | null = null;
  const steps = s.runsWorkers ? new StepDispatcher({
    runStep: (id, known) => service!.runStep(id, known),
    confirmationTimeout: async (id, seq) => { await service!.confirmationTimeout(id, seq); },
  }, { pollEveryMs: s.pollEveryMs, concurrency: s.concurrency, logger: deps.logger, onWorkStart: deps.onWorkStart }) : null;
  const scheduler = createScheduler(agenda, steps, deps.notifiers, deps.logger, s.notifyFallbackAfterMs);
  watchAgenda(agenda, deps.logger);
  if (s.runsWorkers) {
    defineJobs(agenda, {
      dispatcher: deps.notifiers, lockLifetimeMs: s.lockLifetimeMs, concurrency: s.concurrency, logger: deps.logger,
      tellProviderCancelled: (actionId, executionId, jobId) => service!.tellProviderCancelled(actionId, executionId, jobId),
      cleanup: () => removeFinishedBookkeeping({ stepBookkeepingMs: s.retentionMs, dedupeMs: Math.max(s.retentionMs, 24 * 3600_000) }),
    });
  }
  return {
    agenda, scheduler, steps,
    async start(svc) {
      service = svc;
      await agenda.start();
      if (s.runsWorkers) await agenda.every('5 minutes', JOB.cleanup);
      steps?.start();
    },
    async close() {
      await Promise.all([steps?.drain(5000), agenda.drain(5000).catch(() => undefined)]);
      await Promise.race([scheduler.settled(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await agenda.stop().catch(() => undefined);
    },
  };
}
