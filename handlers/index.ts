/** The handler manifest: adding a provider handler is one folder plus one line here. */
import type { ActionHandler } from '../src/engine/types.js';
import { createEmailHandler, type EmailHandlerDeps } from './email/handler.js';
import { createManualHandler, type ManualTaskStore } from './manual/handler.js';

export interface HandlerDeps {
  email: EmailHandlerDeps;
  manualTasks: ManualTaskStore;
}

export function createHandlers(deps: HandlerDeps): ActionHandler[] {
  return [
    createEmailHandler(deps.email),
    createManualHandler({ store: deps.manualTasks }),
  ];
}
