import { EventEmitter } from 'node:events';
import type { ActionEvent } from './types.js';

/** In-process fan-out of action events to sockets, bots and notifiers. Listeners must not throw. */
export class StatusBus {
  private readonly emitter = new EventEmitter().setMaxListeners(100);

  publish(event: ActionEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: ActionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
