/** Square POS: orders go to Square's Orders API; Square's webhooks report ready / picked up / cancelled. */
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import { squareConfigSchema, squareSecretsSchema } from './config.js';
import { createSquareHandler, type SquareHandlerDeps } from './handler.js';
import { squareOrderReference } from './order-lookup.js';
import { createSquareWebhookRouter, SQUARE_WEBHOOK_PATH } from './webhook.js';

export const squareManifest: HandlerManifest<{ square?: SquareHandlerDeps }> = {
  name: 'square',
  integrationType: 'api',
  label: 'the POS',
  configSchema: squareConfigSchema,
  secretsSchema: squareSecretsSchema,
  create: (deps) => createSquareHandler(deps.square),
  inboundRoutes: (deps) => createSquareWebhookRouter({
    signatureKeyFor: (providerId) => deps.secretFor(providerId, 'webhookSignatureKey'),
    notificationUrl: (providerId) => `${deps.publicBaseUrl}${SQUARE_WEBHOOK_PATH.replace(':providerId', providerId)}`,
    findActionIdBySquareOrder: deps.actionIdByExternalRef,
    squareOrderReference: async (providerId, orderId) => {
      const integration = await deps.integrationFor(providerId);
      if (!integration) throw new Error('no enabled Square integration');
      return squareOrderReference(integration, orderId);
    },
    actionState: deps.actionState,
    markEventSeen: deps.markEventSeen,
    forgetEvent: deps.forgetEvent,
    outcomes: deps.outcomes,
    logger: deps.logger,
  }),
};
