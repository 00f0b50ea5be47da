/**
 * For an API process without workers (ROLE=api): replays events that worker processes stored with each
 * ActionStatusUpdate onto the local bus, so sockets connected here still see them. Polls (no change
 * streams on FerretDB); a short overlap window plus a seen-set tolerates clock skew between writers.
 */
import type { StatusBus } from '../engine/status-bus.js';
import type { ActionEvent } from '../engine/types.js';
import { ActionStatusUpdate } from '../storage/models.js';

export function startStatusFeed(bus: StatusBus, opts: { everyMs: number; overlapMs?: number }): () => void {
  const overlap = opts.overlapMs ?? 5000;
  let since = new Date();
  const seen = new Map<string, number>();
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const from = new Date(since.getTime() - overlap);
      const updates = await ActionStatusUpdate.find({ timestamp: { $gte: from } }).sort({ timestamp: 1 }).limit(1000).lean();
      for (const u of updates) {
        const id = u._id.toString();
        if (seen.has(id)) continue;
        seen.set(id, u.timestamp.getTime());
        bus.publishUpdate(id, (u.events ?? []) as ActionEvent[]);
        if (u.timestamp > since) since = u.timestamp;
      }
      for (const [id, t] of seen) if (t < from.getTime() - overlap) seen.delete(id);
    } finally {
      running = false;
    }
  }, opts.everyMs);
  return () => clearInterval(timer);
}
