import { EventEmitter } from 'node:events';
import type { OperatorTaskEvent } from '../operators/events.js';
import type { ActionEvent } from './types.js';

/**
 * In-process fan-out of action events to sockets, bots and notifiers. Events arrive grouped by the status
 * update that recorded them; an update already published here (locally, or replayed from another process)
 * is not published again. Listeners must not throw.
 */
export class StatusBus {
  private readonly emitter = new EventEmitter().setMaxListeners(100);
  private readonly recent = new Set<string>();

  /** True the first time a key is seen (bounded memory: the oldest keys are forgotten). */
  private firstTime(key: string): boolean {
    if (this.recent.has(key)) return false;
    this.recent.add(key);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.values().next().value!);
    return true;
  }

  publishUpdate(updateId: string, events: ActionEvent[]): void {
    if (!this.firstTime(updateId)) return;
    for (const e of events) this.emitter.emit('event', e);
  }

  subscribe(listener: (event: ActionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Manual task changes (opened, claimed, released, closed, nudges), once per change key. */
  publishTask(event: OperatorTaskEvent): void {
    if (this.firstTime(event.key)) this.emitter.emit('task', event);
  }

  subscribeTasks(listener: (event: OperatorTaskEvent) => void): () => void {
    this.emitter.on('task', listener);
    return () => this.emitter.off('task', listener);
  }
}
