/**
 * For an API process without workers (ROLE=api): replays events that worker processes stored with each
 * ActionStatusUpdate onto the local bus, so sockets connected here still see them. Polls (no change
 * streams on FerretDB); a short overlap window tolerates clock skew between writers, and the bus drops
 * updates it has already published.
 */
import type { Logger } from 'pino';
import type { StatusBus } from '../engine/status-bus.js';
import type { ActionEvent } from '../engine/types.js';
import { ActionStatusUpdate } from '../storage/models.js';

export function startStatusFeed(bus: StatusBus, opts: { everyMs: number; overlapMs?: number; logger: Logger }): () => Promise<void> {
  const overlap = opts.overlapMs ?? 5000;
  let since = new Date();
  let inFlight: Promise<void> | null = null;
  const poll = async () => {
    const from = new Date(since.getTime() - overlap);
    const updates = await ActionStatusUpdate.find({ timestamp: { $gte: from } }).sort({ timestamp: 1 }).limit(1000).lean();
    for (const u of updates) {
      bus.publishUpdate(u._id.toString(), (u.events ?? []) as ActionEvent[]);
      if (u.timestamp > since) since = u.timestamp;
    }
  };
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = poll().catch((err: Error) => opts.logger.warn({ err: err.message }, 'status feed poll failed')).finally(() => { inFlight = null; });
  }, opts.everyMs);
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}
