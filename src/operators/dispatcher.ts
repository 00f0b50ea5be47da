/**
 * Task changes go out twice: at once on the in-process status bus (live views), and through a durable job
 * that runs every OperatorNotifier (the Slack channel card...) with the task as it is when the job runs, so
 * a late or repeated job still shows the truth. Notifiers dedupe on the change key.
 */
import type { Logger } from 'pino';
import type { StatusBus } from '../engine/status-bus.js';
import { insertOnce } from '../storage/insert-once.js';
import { Claim } from '../storage/models.js';
import type { OperatorNotifier, OperatorTaskChange, OperatorTaskPublisher } from './events.js';
import { loadTaskView } from './load-view.js';

export function createTaskPublisher(deps: { bus: StatusBus; enqueue: (change: OperatorTaskChange) => Promise<void> }): OperatorTaskPublisher {
  return {
    async publish(change) {
      await deps.enqueue(change); // durable first: the bus is best effort, the job is what operators rely on
      const task = await loadTaskView(change.taskId);
      if (task) deps.bus.publishTask({ ...change, task });
    },
  };
}

export class OperatorDispatcher {
  private readonly notifiers: OperatorNotifier[] = [];

  constructor(private readonly logger: Logger) {}

  /** Chat platforms register their notifier when they start; returns the unregister function. */
  add(notifier: OperatorNotifier): () => void {
    this.notifiers.push(notifier);
    return () => void this.notifiers.splice(this.notifiers.indexOf(notifier) >>> 0, 1);
  }

  /**
   * Throws when a notifier failed, so the job is retried (with backoff, or after the `retryAfterMs` a
   * notifier's error carried); the notifiers that succeeded skip the repeat.
   */
  async dispatch(change: OperatorTaskChange): Promise<void> {
    if (this.notifiers.length === 0) return;
    const task = await loadTaskView(change.taskId);
    if (!task) return;
    const failed: string[] = [];
    let retryAfterMs: number | undefined;
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
        const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
        if (typeof wait === 'number') retryAfterMs = Math.max(retryAfterMs ?? 0, wait);
        this.logger.warn({ taskId: change.taskId, change: change.type, notifier: n.name, err: (err as Error).message }, 'operator notifier failed');
      }
    }
    // A platform's rate limit says when to come back (Retry-After): the job's backoff honours it.
    if (failed.length) throw Object.assign(new Error(`operator notifiers failed: ${failed.join(', ')}`), { retryAfterMs });
  }
}
