/** Email with signed Confirm / Decline links: works for any provider with an inbox. */
import { z } from 'zod';
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import { EmailIntegrationConfig } from './config.js';
import { createEmailHandler, type EmailHandlerDeps } from './handler.js';

export const emailManifest: HandlerManifest<{ email: EmailHandlerDeps }> = {
  name: 'email',
  integrationType: 'email',
  label: 'email',
  configSchema: EmailIntegrationConfig,
  secretsSchema: z.object({}),
  create: (deps) => createEmailHandler(deps.email),
};
