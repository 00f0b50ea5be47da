/** The Square handler folder's public surface: handler factory, config schema, webhook route, simulator. */
export { createSquareHandler, type SquareHandlerDeps } from './handler.js';
export {
  parseSquareIntegration,
  squareCatalogMapSchema,
  squareConfigSchema,
  squareSecretsSchema,
  type ParsedSquareIntegration,
  type SquareConfig,
  type SquareSecrets,
} from './config.js';
export {
  createSquareWebhookRouter,
  SQUARE_SIGNATURE_HEADER,
  SQUARE_WEBHOOK_PATH,
  verifySquareSignature,
  type SquareSignatureInput,
  type SquareWebhookDeps,
} from './webhook.js';
export {
  signSquareWebhook,
  startSquareSimulator,
  type SimOrder,
  type SimWebhookDelivery,
  type SquareSimFault,
  type SquareSimulator,
  type SquareSimulatorOptions,
} from './simulator.js';
