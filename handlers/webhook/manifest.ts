/** The provider's own endpoint: signed Standard Webhooks deliveries, confirmed inline (200) or later (202 + signed confirm). */
import { z } from 'zod';
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import { webhookConfigSchema } from './config.js';
import { createWebhookConfirmRouter } from './confirm-router.js';
import { createWebhookHandler, type WebhookHandlerDeps } from './handler.js';
import { generateWebhookSecret, isValidWebhookSecret } from './signing.js';

export const webhookSecretsSchema = z.object({
  signingSecret: z.string().refine(isValidWebhookSecret, 'must be a whsec_ secret of 24-64 random bytes (or generate one with POST .../secrets/rotate-webhook-secret)').optional(),
});

export const webhookManifest: HandlerManifest<{ webhook?: WebhookHandlerDeps }> = {
  name: 'webhook',
  integrationType: 'webhook',
  label: 'the provider webhook',
  configSchema: webhookConfigSchema,
  secretsSchema: webhookSecretsSchema,
  generatedSecret: { name: 'signingSecret', generate: generateWebhookSecret },
  create: (deps) => createWebhookHandler(deps.webhook ?? {}),
  inboundRoutes: (deps) => createWebhookConfirmRouter({
    secretFor: (providerId) => deps.secretFor(providerId, 'signingSecret'),
    executionBelongsTo: deps.executionBelongsTo,
    outcomes: deps.outcomes,
    logger: deps.logger,
  }),
};
