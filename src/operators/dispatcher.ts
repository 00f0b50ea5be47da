/**
 * Task changes go out like customer notifications: on the in-process status bus (live views), and to every
 * OperatorNotifier (the Slack operator UI, which queues cards in the chat outbox) — at once by the process
 * that made the change, with a durable job as the fallback that delivers it only if that did not finish
 * (the process died, or had no notifier). Notifiers read the task as it is when they run, so a late or
 * repeated delivery still shows the truth, and they dedupe on the change key.
 */
import type { Logger } from 'pino';
import type { StatusBus } from '../engine/status-bus.js';
import { insertOnce } from '../storage/insert-once.js';
import { Claim } from '../storage/models.js';
import type { OperatorNotifier, OperatorTaskChange, OperatorTaskPublisher } from './events.js';
import { loadTaskView } from './load-view.js';

/** Schedules the durable delivery of a change at `at`; removing it cancels the fallback. */
export type ScheduleOperatorChange = (change: OperatorTaskChange, at: Date) => Promise<{ remove(): Promise<unknown> }>;

export function createTaskPublisher(deps: {
  bus: StatusBus; dispatcher: OperatorDispatcher; schedule: ScheduleOperatorChange; fallbackAfterMs: number; logger: Logger;
}): OperatorTaskPublisher & { settled(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  return {
    settled: async () => { await Promise.allSettled([...inFlight]); },
    async publish(change) {
      // Durable first. With a notifier here the job is only a fallback (due later, removed once delivered);
      // without one (an API process with no chat bot) it is due now, for a worker that has one.
      const local = deps.dispatcher.size > 0;
      const job = await deps.schedule(change, new Date(Date.now() + (local ? deps.fallbackAfterMs : 0)));
      const task = await loadTaskView(change.taskId);
      if (task) deps.bus.publishTask({ ...change, task });
      if (!local) return;
      const sending = deps.dispatcher.dispatch(change)
        .then(() => job.remove())
        .catch((err: Error) => deps.logger.warn({ taskId: change.taskId, change: change.type, err: err.message }, 'operator change not delivered yet; its job retries it'))
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },
  };
}

export class OperatorDispatcher {
  private readonly notifiers: OperatorNotifier[] = [];

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.notifiers.length;
  }

  /** Chat platforms register their notifier when they start; returns the unregister function. */
  add(notifier: OperatorNotifier): () => void {
    this.notifiers.push(notifier);
    return () => void this.notifiers.splice(this.notifiers.indexOf(notifier) >>> 0, 1);
  }

  /** Throws when a notifier failed, so the change's job retries it; the notifiers that succeeded skip the repeat. */
  async dispatch(change: OperatorTaskChange): Promise<void> {
    if (this.notifiers.length === 0) return;
    const task = await loadTaskView(change.taskId);
    if (!task) return;
    const failed: string[] = [];
    for (const n of this.notifiers) {
      // Skip a change this notifier already handled (a repeated request publishes the same key again);
      // marked after success, so a crash in between repeats it and the notifier's own dedupe absorbs that.
      const done = `operator-change:${change.key}:${n.name}`;
      if (await Claim.exists({ _id: done })) continue;
      try {
        await n.notify(change, task);
        await insertOnce(Claim, { _id: done, by: null });
      } catch (err) {
        failed.push(n.name);
        this.logger.warn({ taskId: change.taskId, change: change.type, notifier: n.name, err: (err as Error).message }, 'operator notifier failed');
      }
    }
    if (failed.length) throw new Error(`operator notifiers failed: ${failed.join(', ')}`);
  }
}
