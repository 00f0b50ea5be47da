/** Runs every Notifier for an action event; each notifier dedupes on its own key, so a re-run is safe. */
import type { Logger } from 'pino';
import type { NotifyEventType } from '../engine/execution-service.js';
import type { ActionEvent, Notifier, ReceiptData } from '../engine/types.js';
import { Action, ActionStatusUpdate, Receipt } from '../storage/models.js';
import { loadProviderView, toActionView } from '../storage/views.js';

export class NotifierDispatcher {
  constructor(private readonly notifiers: Notifier[], private readonly logger: Logger) {}

  add(notifier: Notifier): void {
    this.notifiers.push(notifier);
  }

  async dispatch(actionId: string, eventType: NotifyEventType): Promise<void> {
    const action = await Action.findById(actionId).lean();
    if (!action || this.notifiers.length === 0) return;
    const provider = await loadProviderView(action.providerId);
    const event = await this.rebuildEvent(actionId, eventType);
    if (!provider || !event) return;
    const view = toActionView(action);
    for (const notifier of this.notifiers) {
      if (!notifier.wants(event)) continue;
      try {
        await notifier.notify(event, { action: view, provider, dedupeKey: `${actionId}:${eventType}:${notifier.name}`, orderNumber: action.orderNumber ?? null });
      } catch (err) {
        this.logger.warn({ actionId, notifier: notifier.name, err: (err as Error).message }, 'notifier failed');
      }
    }
  }

  private async rebuildEvent(actionId: string, eventType: NotifyEventType): Promise<ActionEvent | null> {
    const update = await ActionStatusUpdate.findOne({ actionId, status: eventType === 'action.completed' ? 'completed' : 'ready' }).sort({ timestamp: -1 }).lean();
    const stored = (update?.events as ActionEvent[] | undefined)?.find((e) => e.type === eventType);
    if (stored) return stored;
    if (eventType !== 'action.completed') return null;
    const receipt = await Receipt.findOne({ actionId }).lean();
    if (!receipt) return null;
    const action = await Action.findById(actionId, { spaceId: 1, externalRef: 1 }).lean();
    return { type: 'action.completed', actionId, spaceId: String(action?.spaceId), externalReference: action?.externalRef ?? null, receiptData: receipt.data as ReceiptData, timestamp: new Date().toISOString() };
  }
}
