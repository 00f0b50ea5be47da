/**
 * Overload is shed, not suffered: before a new action is written, the admission gate checks that this
 * process is not already creating too many at once and that the queue is not too far behind, and it does so
 * within a bounded time. A refusal is a 503 with Retry-After and nothing written; an admitted request is
 * stored and runs like any other, so nothing accepted is lost.
 */
import { OverloadedError } from './errors.js';

export interface AdmissionSettings {
  /** Creates this process runs at once; more wait (up to timeoutMs) for a slot. */
  maxConcurrent: number;
  /** Work due longer ago than `overdueAfterMs` beyond which new actions are refused. */
  maxOverdue: number;
  overdueAfterMs: number;
  /** Longest a request waits before it is admitted or refused. */
  timeoutMs: number;
}

/** How many live actions have been due for longer than `overdueMs`, counting up to `atMost`. */
export type OverdueCounter = (overdueMs: number, atMost: number) => Promise<number>;

const SAMPLE_EVERY_MS = 1000;

export class AdmissionGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private sample: { at: number; overdue: number } | null = null;
  private sampling: Promise<void> | null = null;

  constructor(private readonly s: AdmissionSettings, private readonly countOverdue: OverdueCounter) {}

  /** Runs `create` once admitted; throws OverloadedError (nothing run) when the service is behind. */
  async admit<T>(create: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.s.timeoutMs;
    await this.checkQueue(deadline);
    await this.takeSlot(deadline);
    try {
      return await create();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async takeSlot(deadline: number): Promise<void> {
    if (this.running < this.s.maxConcurrent) return void this.running++;
    const granted = await new Promise<boolean>((resolve) => {
      const grant = () => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      this.waiting.push(grant);
    });
    if (!granted) throw new OverloadedError('Too many requests are being processed; retry shortly', retryAfter(this.s.timeoutMs));
    this.running++;
  }

  /** The queue's lag, sampled at most once a second; a sample that does not come back in time means the database is behind. */
  private async checkQueue(deadline: number): Promise<void> {
    if (!this.sample || Date.now() - this.sample.at > SAMPLE_EVERY_MS) {
      this.sampling ??= this.countOverdue(this.s.overdueAfterMs, this.s.maxOverdue)
        .then((overdue) => { this.sample = { at: Date.now(), overdue }; })
        .finally(() => { this.sampling = null; });
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        this.sampling.then(() => true, () => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now())); }),
      ]);
      clearTimeout(timer);
      if (!inTime) throw new OverloadedError('The database is not keeping up; retry shortly', retryAfter(this.s.timeoutMs));
    }
    if (this.sample && this.sample.overdue >= this.s.maxOverdue) {
      throw new OverloadedError(`The queue is behind (${this.sample.overdue}+ actions overdue); retry shortly`, 5);
    }
  }
}

const retryAfter = (timeoutMs: number) => Math.max(1, Math.ceil(timeoutMs / 1000));
