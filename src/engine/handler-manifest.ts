/**
 * What a handler folder declares about itself, once: `handlers/<name>/manifest.ts` exports one of these and
 * `handlers/index.ts` lists it. The providers API (type check, config and secret validation, secret rotation),
 * the chain's status messages and the inbound router all read it, so nothing else repeats it.
 */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ActionHandler, ExternalOutcomes, IntegrationType, IntegrationView } from './types.js';

/** What inbound routes (POS webhooks, signed confirmations) may ask of the service, scoped to their handler. */
export interface InboundDeps {
  outcomes: ExternalOutcomes;
  logger: Logger;
  publicBaseUrl: string;
  /** A secret of the provider's enabled integration of this handler (null when there is none). */
  secretFor(providerId: string, secretName: string): Promise<string | null>;
  executionBelongsTo(executionId: string, providerId: string): Promise<boolean>;
  actionIdByExternalRef(providerId: string, externalRef: string): Promise<string | null>;
  /** The provider's enabled integration of this handler, with its secrets (to call the provider back, e.g. look an order up). */
  integrationFor(providerId: string): Promise<IntegrationView | null>;
  /** Whether `actionId` is this provider's action still being worked on ('live'), finished ('done'), or not its action (null). */
  actionState(providerId: string, actionId: string): Promise<'live' | 'done' | null>;
  /** True the first time this handler sees the event id (a unique insert). */
  markEventSeen(eventId: string): Promise<boolean>;
  /** Undoes markEventSeen when applying the event failed, so a redelivery is processed. */
  forgetEvent(eventId: string): Promise<void>;
}

export interface HandlerManifest<Deps = never> {
  /** The handler's name; an integration names the handler that serves it ("square", "email"...). */
  readonly name: string;
  /** The one integration type it serves (decides its place in the chain). */
  readonly integrationType: IntegrationType;
  /** How status messages name it: "The POS didn't answer...", "Trying an operator...". */
  readonly label: string;
  /** Validates an integration's `config` when it is created or patched. */
  readonly configSchema: z.ZodType;
  /** One field per secret it reads; each PUT .../secrets value is checked against its field. */
  readonly secretsSchema: z.ZodObject;
  /** A secret the platform can generate and rotate (shown once), e.g. the webhook signing secret. */
  readonly generatedSecret?: { name: string; generate(): string };
  /** Builds the handler from the dependencies the service injects. */
  create(deps: Deps): ActionHandler;
  /** Inbound HTTP endpoints, mounted before any JSON body parser (they verify signatures over raw bytes). */
  inboundRoutes?(deps: InboundDeps): Router;
}

/** A manifest whose factory needs nothing the service does not pass (what the registry holds). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandlerManifest = HandlerManifest<any>;
