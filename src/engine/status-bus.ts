import { EventEmitter } from 'node:events';
import type { ActionEvent } from './types.js';

/**
 * In-process fan-out of action events to sockets, bots and notifiers. Events arrive grouped by the status
 * update that recorded them; an update already published here (locally, or replayed from another process)
 * is not published again. Listeners must not throw.
 */
export class StatusBus {
  private readonly emitter = new EventEmitter().setMaxListeners(100);
  private readonly recent = new Set<string>();

  publishUpdate(updateId: string, events: ActionEvent[]): void {
    if (this.recent.has(updateId)) return;
    this.recent.add(updateId);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.values().next().value!);
    for (const e of events) this.emitter.emit('event', e);
  }

  subscribe(listener: (event: ActionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
