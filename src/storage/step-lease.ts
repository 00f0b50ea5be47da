/**
 * A worker's hold on the step it runs: `leaseUntil` on the action's live document, set by the claiming
 * transition and renewed while the handler runs. Short enough that a dead worker's step is taken over soon;
 * renewed (every quarter of it) often enough that a live worker's is not. A worker whose lease expired
 * unrenewed stops its handler (`onLost`) rather than keep running a step someone else may take over.
 */
import { ActionLive } from './models.js';

export class StepLease {
  private until: number;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly every: number;

  constructor(private readonly o: { actionId: string; stepSeq: number; leaseMs: number; until: Date; now: () => Date; onLost: () => void }) {
    this.until = o.until.getTime();
    this.every = Math.max(100, Math.floor(o.leaseMs / 4));
    this.timer = setInterval(() => {
      if (this.until <= this.o.now().getTime()) this.o.onLost(); // expired unrenewed: another worker may take it now
      void this.renew().catch(() => undefined);
    }, this.every);
  }

  /** Extends the lease by leaseMs from now (also what a handler's `touch()` does). */
  renew(): Promise<void> {
    const until = this.o.now().getTime() + this.o.leaseMs;
    const write = this.writing.then(() => ActionLive.updateOne(
      { _id: this.o.actionId, stepSeq: this.o.stepSeq }, // the step it holds (a later transition moved stepSeq on)
      { $set: { leaseUntil: new Date(until), wakeAt: new Date(until) } },
    )).then(() => { this.until = Math.max(this.until, until); });
    this.writing = write.catch(() => undefined);
    return write;
  }

  /** Stops renewing and waits for a renewal in flight, so it cannot land after the step's next transition. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }
}
