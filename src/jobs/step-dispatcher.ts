/**
 * Runs the steps that are due. The source of truth is the engine's own live state (ActionLive: a ready step's
 * `nextStepAt`, a running step's `leaseUntil`, an awaited step's `confirmDeadlineAt`), not one queue job per
 * step: a worker polls for due work, takes at most as much as it has free slots, and runs it. Claiming a step
 * is the engine's transition insert (exactly one winner), so any number of worker processes can poll.
 *
 * In the process that changed an action (the API in ROLE=all, or a worker finishing a step) `offer()` starts
 * the next step at once, without waiting for a poll; a step offered while it is already running here runs again
 * in the same slot right after (the "next step" folded into the running one).
 */
import type { Logger } from 'pino';
import { ActionLive, type ActionDoc } from '../storage/models.js';

export interface DueWorkRunner {
  runStep(actionId: string, known?: ActionDoc): Promise<void>;
  confirmationTimeout(actionId: string, stepSeq: number): Promise<void>;
}

export interface DispatcherSettings {
  /** How often to look for due work when nothing told us about it (other processes, retries after a restart). */
  pollEveryMs: number;
  /** Steps this process runs at once. */
  concurrency: number;
  logger: Logger;
  /** Told when work starts and since when it was due (metrics: queue lag). */
  onWorkStart?: (name: string, dueAt: Date) => void;
  now?: () => Date;
}

/** `known`: the action as the process that offered the step just wrote it (saves reading it back). */
type Work = ({ actionId: string; kind: 'step'; known?: ActionDoc } | { actionId: string; kind: 'confirm-timeout'; stepSeq: number }) & { dueAt?: Date };

export class StepDispatcher {
  private readonly running = new Map<string, Promise<void>>();
  /** Work offered while its action was already running here: run right after, in the same slot. */
  private readonly again = new Map<string, Work>();
  private readonly waiting: Work[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** The last poll found more due work than free slots: poll again as soon as a slot frees. */
  private backlog = false;
  private stopped = true;
  private readonly now: () => Date;

  constructor(private readonly runner: DueWorkRunner, private readonly settings: DispatcherSettings) {
    this.now = settings.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.poll(), this.settings.pollEveryMs);
    this.poll();
  }

  /** Stops taking work and waits (bounded) for running steps to finish. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting.length = 0;
    this.again.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values(), this.polling]),
      new Promise((r) => { timer = setTimeout(r, timeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  /** Work this process knows is due at `at` (default now). Durable anyway: the poll finds it if this is lost. */
  offer(work: Work, at?: Date): void {
    if (this.stopped) return;
    const delay = at ? at.getTime() - this.now().getTime() : 0;
    if (delay > 0) {
      const t = setTimeout(() => { this.timers.delete(t); this.offer({ ...work, dueAt: at }); }, Math.min(delay, 2 ** 31 - 1));
      t.unref();
      this.timers.add(t);
      return;
    }
    if (this.running.has(work.actionId)) return void this.again.set(work.actionId, work);
    if (this.running.size < this.settings.concurrency) return this.run(work);
    if (!this.waiting.some((w) => w.actionId === work.actionId)) this.waiting.push(work);
  }

  get busy(): number {
    return this.running.size;
  }

  private run(work: Work): void {
    const task = (async () => {
      let next: Work | undefined = work;
      while (next && !this.stopped) {
        this.again.delete(next.actionId);
        this.settings.onWorkStart?.(next.kind === 'step' ? 'action.step' : 'action.confirm-timeout', next.dueAt ?? this.now());
        try {
          if (next.kind === 'step') await this.runner.runStep(next.actionId, next.known);
          else await this.runner.confirmationTimeout(next.actionId, next.stepSeq);
        } catch (err) {
          // A database hiccup: the state is unchanged, so the poll offers the work again.
          this.settings.logger.warn({ actionId: next.actionId, err: (err as Error).message }, 'step failed; it will be picked up again');
        }
        next = this.again.get(next.actionId);
      }
    })().finally(() => {
      this.running.delete(work.actionId);
      this.fill();
    });
    this.running.set(work.actionId, task);
  }

  private fill(): void {
    while (!this.stopped && this.running.size < this.settings.concurrency && this.waiting.length) {
      const w = this.waiting.shift()!;
      if (!this.running.has(w.actionId)) this.run(w);
    }
    if (this.backlog && this.running.size < this.settings.concurrency) this.poll();
  }

  private poll(): void {
    if (this.stopped || this.polling) return;
    const free = this.settings.concurrency - this.running.size - this.waiting.length;
    if (free <= 0) return void (this.backlog = true);
    this.polling = this.findDue(free).catch((err: Error) => {
      this.settings.logger.warn({ err: err.message }, 'looking for due steps failed');
    }).finally(() => { this.polling = null; });
  }

  private async findDue(free: number): Promise<void> {
    const now = this.now();
    // One plain range query (see `wakeAt`); several workers polling at once each pick at random among what it
    // returns, so they mostly claim different actions instead of racing for the same ones.
    const due = await ActionLive.find({ wakeAt: { $lte: now } }, { phase: 1, stepSeq: 1, wakeAt: 1 }).limit(free * 4).lean();
    const candidates = due.filter((d) => !this.running.has(d._id.toString()));
    this.backlog = candidates.length >= free;
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    // Run what fits now; keep a few more at hand for the next free slots (re-checked when they run).
    for (const d of candidates.slice(0, free + this.settings.concurrency)) {
      const actionId = d._id.toString();
      const dueAt = d.wakeAt ?? undefined;
      this.offer(d.phase === 'awaiting' ? { actionId, kind: 'confirm-timeout', stepSeq: d.stepSeq ?? 0, dueAt } : { actionId, kind: 'step', dueAt });
    }
  }
}
