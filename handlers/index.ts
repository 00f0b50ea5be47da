/** The handler manifest: adding a provider handler is one folder plus one line here. */
import type { ActionHandler } from '../src/engine/types.js';
import { createEmailHandler, type EmailHandlerDeps } from './email/handler.js';
import { createManualHandler, type ManualTaskStore } from './manual/handler.js';
import { createSquareHandler, type SquareHandlerDeps } from './square/handler.js';
import { createWebhookHandler, type WebhookHandlerDeps } from './webhook/handler.js';

export interface HandlerDeps {
  email: EmailHandlerDeps;
  manualTasks: ManualTaskStore;
  square?: SquareHandlerDeps;
  webhook?: WebhookHandlerDeps;
}

export function createHandlers(deps: HandlerDeps): ActionHandler[] {
  return [
    createSquareHandler(deps.square),
    createWebhookHandler(deps.webhook ?? {}),
    createEmailHandler(deps.email),
    createManualHandler({ store: deps.manualTasks }),
  ];
}
