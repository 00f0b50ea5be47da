/**
 * The handler list: adding a provider handler is one folder (with its manifest.ts) plus one line here.
 * Everything else (providers API, chain labels, inbound routes) reads the manifests.
 */
import type { HandlerManifest } from '../src/engine/handler-manifest.js';
import type { ManualTaskStore } from '../src/engine/types.js';
import type { EmailHandlerDeps } from './email/handler.js';
import { emailManifest } from './email/manifest.js';
import { manualManifest } from './manual/manifest.js';
import type { SquareHandlerDeps } from './square/handler.js';
import { squareManifest } from './square/manifest.js';
import type { WebhookHandlerDeps } from './webhook/handler.js';
import { webhookManifest } from './webhook/manifest.js';

/** What the service injects into handler factories (each manifest picks what it needs). */
export interface HandlerDeps {
  email: EmailHandlerDeps;
  manualTasks: ManualTaskStore;
  square?: SquareHandlerDeps;
  webhook?: WebhookHandlerDeps;
}

export const HANDLERS: ReadonlyArray<HandlerManifest<HandlerDeps>> = [
  squareManifest,
  webhookManifest,
  emailManifest,
  manualManifest,
];
