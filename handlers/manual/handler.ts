/** ManualTaskHandler: always last, always available: a human operator places the order. */
import { summarizeOrder } from '../../src/engine/order-summary.js';
import type { ActionHandler, ManualTaskStore } from '../../src/engine/types.js';

export function createManualHandler(deps: { store: ManualTaskStore }): ActionHandler {
  return {
    name: 'manual',
    retryPolicy: { maxAttempts: 10, initialDelayMs: 1000 },
    canHandle: () => ({ ok: true }),
    async execute(ctx) {
      await deps.store.open({ executionId: ctx.execution.id, action: ctx.action, provider: ctx.provider, summary: `${ctx.provider.name}: ${summarizeOrder(ctx.action)}` });
      // No timeout: a person will pick it up; the task stays open until claimed and completed or failed.
      return { kind: 'awaiting', externalRef: ctx.execution.id, timeoutMs: null, message: `An operator is placing your order with ${ctx.provider.name}...` };
    },
  };
}
