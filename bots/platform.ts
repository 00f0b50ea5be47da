/** How a platform bot (Slack, Telegram) plugs into the chat extension (bots/index.ts). */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ChatInbound, ChatTransport, Platform } from './conversation/types.js';

export interface PlatformBotDeps {
  /** Where the adapter hands customer messages, button presses and `/start` links (after answering the platform). */
  inbound: ChatInbound;
  logger: Logger;
  /** Public base URL of this service (webhook URLs). */
  publicBaseUrl: string;
}

export interface PlatformBot {
  readonly platform: Platform;
  /** The sender the outbox uses for this platform. */
  readonly transport: ChatTransport;
  /** HTTP endpoints (mounted before body parsing: signature checks read raw bodies). */
  readonly routers: Router[];
  /** `routers` as OpenAPI path items (merged into the service's /openapi.json). */
  readonly openApiPaths?: ZodOpenApiPathsObject;
  /** Connects (auth.test / getMe, Socket Mode, webhook or polling); returns lines worth printing. */
  start(): Promise<string[] | void>;
  close(): Promise<void>;
}

export type PlatformBotFactory = (deps: PlatformBotDeps) => PlatformBot | Promise<PlatformBot>;
