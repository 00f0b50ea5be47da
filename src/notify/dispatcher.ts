/** Runs every Notifier for an action event; each notifier dedupes on its own key, so a re-run is safe. */
import type { Logger } from 'pino';
import type { NotifyEventType } from '../engine/execution-service.js';
import type { ActionEvent, Notifier, NotifyOutcome } from '../engine/types.js';
import { ActionStatusUpdate, type ActionDoc } from '../storage/models.js';
import { loadAction } from '../storage/action-state.js';
import { loadProviderView, toActionView } from '../storage/views.js';

export class NotifierDispatcher {
  constructor(
    private readonly notifiers: Notifier[],
    private readonly logger: Logger,
    private readonly opts: {
      /** The customer's order page for an action. */
      trackingUrl?: (actionId: string) => string;
      /** Told each notifier's outcome (metrics). */
      onOutcome?: (channel: string, outcome: NotifyOutcome) => void;
    } = {},
  ) {}

  /** Notifiers that join after construction (the extensions', built once the engine exists). */
  add(notifiers: Notifier[]): void {
    this.notifiers.push(...notifiers);
  }

  async dispatch(actionId: string, eventType: NotifyEventType, statusUpdateId: string): Promise<void> {
    if (this.notifiers.length === 0) return;
    const [action, update] = await Promise.all([loadAction({ _id: actionId }), ActionStatusUpdate.findById(statusUpdateId).lean()]);
    const event = (update?.events as ActionEvent[] | undefined)?.find((e) => e.type === eventType);
    if (!action || !event) return;
    await this.dispatchEvent(action, event, statusUpdateId);
  }

  /** Whether any notifier may have something to send for this event of this action (else no fallback job is kept). */
  mayDeliver(action: ActionDoc, event: ActionEvent): boolean {
    const wanting = this.notifiers.filter((n) => n.wants(event));
    if (!wanting.length) return false;
    const view = toActionView(action);
    return wanting.some((n) => n.concerns?.(view) ?? true);
  }

  /** The same, for a caller that already holds the action (as of the event) and the event. */
  async dispatchEvent(action: ActionDoc, event: ActionEvent, statusUpdateId: string): Promise<void> {
    if (this.notifiers.length === 0) return;
    const provider = await loadProviderView(action.providerId);
    if (!provider) return;
    const view = toActionView(action);
    const actionId = view.id;
    for (const notifier of this.notifiers) {
      if (!notifier.wants(event)) continue;
      try {
        // Completed/ready/failed happen once per action; plain status events once per status update.
        const dedupeKey = event.type === 'action.status' ? `${statusUpdateId}:${event.type}:${notifier.name}` : `${actionId}:${event.type}:${notifier.name}`;
        const outcome = await notifier.notify(event, {
          action: view, provider, dedupeKey, orderNumber: action.orderNumber ?? null, statusUpdateId,
          origin: { channel: action.origin?.channel ?? 'api', ref: (action.origin?.ref ?? null) as Record<string, string> | null },
          trackingUrl: this.opts.trackingUrl?.(actionId) ?? null,
        });
        if (outcome) this.opts.onOutcome?.(notifier.name, outcome);
      } catch (err) {
        this.opts.onOutcome?.(notifier.name, 'failed');
        this.logger.warn({ actionId, notifier: notifier.name, err: (err as Error).message }, 'notifier failed');
      }
    }
  }
}
