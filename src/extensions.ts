/**
 * How optional parts (the chat bots) join the service without the service importing them: the composition
 * root (`main.ts` at the repository root, or a test) builds them and passes them to `startService`.
 */
import type { Agenda } from 'agenda';
import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { Config } from './config.js';
import type { ActionExecutionService } from './engine/execution-service.js';
import type { Notifier } from './engine/types.js';
import type { OperatorNotifier } from './operators/events.js';
import type { EngineServices } from './service.js';

export interface ExtensionContext {
  config: Config;
  logger: Logger;
  /** The engine services the HTTP API calls (create-and-start, get, status by order number, cancel; manual tasks, operators). */
  services: EngineServices;
  /** The execution engine itself (outcomes, cancel). */
  service: ActionExecutionService;
  /** Not yet started: define jobs here (only when `runsWorkers`); scheduling jobs works in every role. */
  agenda: Agenda;
  runsWorkers: boolean;
  servesHttp: boolean;
  now: () => Date;
  /**
   * What the API runs before its own API-key routes (auth with the failed-attempt limiter, 415 for non-JSON
   * bodies, the JSON parser and shape checks): an extension's API-key routes mount the same list.
   */
  apiGuards: RequestHandler[];
}

export interface ExtensionParts {
  /** Added to the notifier dispatcher (every status change of an action reaches them). */
  notifiers?: Notifier[];
  /** Told about every manual task change through durable jobs (operator cards, App Home). */
  operatorNotifiers?: OperatorNotifier[];
  /** Mounted before any body parsing (signature checks read raw bodies), like the integration routers. */
  routers?: Router[];
  /** OpenAPI path items (zod-openapi) for what `routers` serve: merged into /openapi.json, so they are documented and checked (405s, Schemathesis). */
  openApiPaths?: ZodOpenApiPathsObject;
}

export interface ServiceExtension {
  readonly name: string;
  /** Called once the database is connected and before Agenda starts. */
  setup(ctx: ExtensionContext): Promise<ExtensionParts>;
  /** Called after the HTTP server listens and Agenda runs; returns lines worth printing at start-up. */
  start?(info: { baseUrl: string }): Promise<string[] | void>;
  /** Called first on shutdown (before HTTP and Agenda stop). */
  close?(): Promise<void>;
}

/** An optional part as the process entry sees it: built from configuration before the service starts. */
export interface AddOn {
  /** Reads its own settings (throw ConfigError with a one-line message when they are wrong). */
  prepare(config: Config, logger: Logger): Promise<PreparedAddOn>;
}

export interface PreparedAddOn {
  extensions: ServiceExtension[];
  /** After the demo space is seeded (SEED_DEMO): e.g. connect it to the demo chats; returns lines to print. */
  afterSeed?(demo: { spaceId: string; baseUrl: string; apiKey: string; dataDir: string }): Promise<string[]>;
  /** On shutdown, after the service closed. */
  close?(): Promise<void>;
}
