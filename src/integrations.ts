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
import type { ExternalOutcomes, Notifier } from './engine/types.js';
import { mongoSmsStore } from './notify/sms/mongo-store.js';
import { createOutboxHttpClient } from './notify/sms/outbox-http-client.js';
import { createTwilioStatusRouter, STATUS_CALLBACK_PATH } from './notify/sms/status-router.js';
import { createSmsNotifier } from './notify/sms/twilio-notifier.js';
import type { TwilioHttpClient } from './notify/sms/twilio-http.js';
import { actionIdByExternalRef, executionBelongsTo, forgetEvent, integrationSecret, markEventSeen } from './storage/integration-lookups.js';

/** The demo's stand-in credentials for the SMS outbox (the SDK insists on an AC… account sid). */
const OUTBOX_ACCOUNT = { sid: `AC${'0'.repeat(32)}`, token: 'outbox-auth-token-not-a-secret', from: '+15005550006' };

/** Each handler manifest's inbound routes (scoped to that handler's secrets and event ids), then Twilio's status callback. */
export function integrationRouters(config: Config, manifests: readonly AnyHandlerManifest[], outcomes: ExternalOutcomes, logger: Logger): Router[] {
  const base = config.publicBaseUrl;
  const handlerRoutes = manifests.flatMap((m) => (m.inboundRoutes ? [m.inboundRoutes({
    outcomes, logger, publicBaseUrl: base,
    secretFor: (providerId, secretName) => integrationSecret(providerId, m.name, secretName),
    executionBelongsTo,
    actionIdByExternalRef,
    markEventSeen: (eventId) => markEventSeen(`${m.name}:${eventId}`),
    forgetEvent: (eventId) => forgetEvent(`${m.name}:${eventId}`),
  })] : []));
  return [
    ...handlerRoutes,
    createTwilioStatusRouter({
      authToken: config.TWILIO_AUTH_TOKEN ?? OUTBOX_ACCOUNT.token,
      publicUrl: (req) => new URL(req.originalUrl, `${base}/`).href,
      store: mongoSmsStore,
      logger,
    }),
  ];
}

/** Twilio when configured; otherwise the real SDK writing each SMS to DATA_DIR/outbox/sms. */
export function smsNotifier(config: Config, logger: Logger, httpClient?: TwilioHttpClient): Notifier {
  const live = config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM;
  const client = live
    ? twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, { autoRetry: false, timeout: 15_000, ...(httpClient ? { httpClient: httpClient as never } : {}) })
    : twilio(OUTBOX_ACCOUNT.sid, OUTBOX_ACCOUNT.token, { httpClient: (httpClient as never) ?? createOutboxHttpClient(path.join(config.dataDir, 'outbox', 'sms')) });
  return createSmsNotifier({
    client, from: config.TWILIO_FROM ?? OUTBOX_ACCOUNT.from, store: mongoSmsStore, logger,
    statusCallbackUrl: `${config.publicBaseUrl}${STATUS_CALLBACK_PATH}`,
  });
}
