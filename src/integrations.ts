/**
 * Inbound integration endpoints (POS webhooks, webhook confirmations, Twilio status callbacks) and the
 * customer SMS notifier, wired to storage. Kept out of the engine: it only sees ExternalOutcomes/Notifier.
 */
import path from 'node:path';
import type { Router } from 'express';
import type { Logger } from 'pino';
import twilio from 'twilio';
import type { Config } from './config.js';
import type { AnyHandlerManifest } from './engine/handler-manifest.js';
import type { ServiceSecrets } from './local-secrets.js';
import type { ExternalOutcomes, Notifier } from './engine/types.js';
import { mongoSmsStore } from './notify/sms/mongo-store.js';
import { createOutboxHttpClient } from './notify/sms/outbox-http-client.js';
import { createTwilioStatusRouter, STATUS_CALLBACK_PATH } from './notify/sms/status-router.js';
import { createSmsNotifier } from './notify/sms/twilio-notifier.js';
import type { TwilioHttpClient } from './notify/sms/twilio-http.js';
import { actionIdByExternalRef, actionState, enabledIntegration, executionBelongsTo, forgetEvent, integrationSecret, markEventSeen } from './storage/integration-lookups.js';

/** The SMS outbox's stand-in account (the SDK insists on an AC… sid); its token is generated per data folder. */
const OUTBOX_ACCOUNT = { sid: `AC${'0'.repeat(32)}`, from: '+15005550006' };

/** Twilio's status callbacks are checked with the real auth token, or the outbox's own one outside production. */
function twilioCallbackToken(config: Config, secrets: ServiceSecrets): string | null {
  return config.TWILIO_AUTH_TOKEN ?? (config.production ? null : secrets.smsOutboxToken);
}

/** Each handler manifest's inbound routes (scoped to that handler's secrets and event ids), then Twilio's status callback. */
export function integrationRouters(config: Config, secrets: ServiceSecrets, manifests: readonly AnyHandlerManifest[], outcomes: ExternalOutcomes, logger: Logger): Router[] {
  const base = config.publicBaseUrl;
  const twilioToken = twilioCallbackToken(config, secrets);
  const handlerRoutes = manifests.flatMap((m) => (m.inboundRoutes ? [m.inboundRoutes({
    outcomes, logger, publicBaseUrl: base,
    secretFor: (providerId, secretName) => integrationSecret(providerId, m.name, secretName),
    executionBelongsTo,
    actionIdByExternalRef,
    integrationFor: (providerId) => enabledIntegration(providerId, m.name),
    actionState,
    markEventSeen: (eventId) => markEventSeen(`${m.name}:${eventId}`),
    forgetEvent: (eventId) => forgetEvent(`${m.name}:${eventId}`),
  })] : []));
  return [
    ...handlerRoutes,
    ...(twilioToken ? [createTwilioStatusRouter({
      authToken: twilioToken,
      publicUrl: (req) => new URL(req.originalUrl, `${base}/`).href,
      store: mongoSmsStore,
      logger,
    })] : []),
  ];
}

/**
 * Twilio when configured; otherwise (not in production) the real SDK writing each SMS to DATA_DIR/outbox/sms.
 * null: production without Twilio credentials sends no SMS rather than writing them to a folder.
 */
export function smsNotifier(config: Config, secrets: ServiceSecrets, logger: Logger, httpClient?: TwilioHttpClient): Notifier | null {
  const live = config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM;
  if (!live && config.production) {
    logger.warn('TWILIO_* are not set: customer SMS are off (the SMS outbox is a demo stand-in, refused when NODE_ENV=production)');
    return null;
  }
  const client = live
    ? twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, { autoRetry: false, timeout: 15_000, ...(httpClient ? { httpClient: httpClient as never } : {}) })
    : twilio(OUTBOX_ACCOUNT.sid, secrets.smsOutboxToken, { httpClient: (httpClient as never) ?? createOutboxHttpClient(path.join(config.dataDir, 'outbox', 'sms')) });
  return createSmsNotifier({
    client, from: config.TWILIO_FROM ?? OUTBOX_ACCOUNT.from, store: mongoSmsStore, logger,
    statusCallbackUrl: `${config.publicBaseUrl}${STATUS_CALLBACK_PATH}`,
    // A notify job is re-run only after its Agenda lock expired, so a claim that old has no live sender.
    staleClaimMs: config.AGENDA_LOCK_LIFETIME_MS,
  });
}
