import type { ManualTaskStore } from '../engine/types.js';
import { ManualTask } from './models.js';

export const mongoManualTaskStore: ManualTaskStore = {
  async open({ executionId, action, provider, summary }) {
    await ManualTask.updateOne({ _id: executionId }, {
      $setOnInsert: {
        actionId: action.id, spaceId: action.spaceId, providerId: provider.id, status: 'open', summary,
        details: {
          items: action.order.lines.map((l) => ({ name: l.name, quantity: l.quantity, modifications: l.modifiers.map((m) => m.name) })),
          pickupAt: action.order.pickupAt, customerName: action.order.customerName, specialInstructions: action.order.specialInstructions,
        },
      },
    }, { upsert: true });
  },
};
