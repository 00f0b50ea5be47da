/**
 * How optional parts (the chat bots) join the service without the service importing them: the composition
 * root (`main.ts` at the repository root, or a test) builds them and passes them to `startService`.
 */
import type { Agenda } from 'agenda';
import type { Router } from 'express';
import type { Logger } from 'pino';
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
}

export interface ExtensionParts {
  /** Added to the notifier dispatcher (every status change of an action reaches them). */
  notifiers?: Notifier[];
  /** Told about every manual task change through durable jobs (operator cards, App Home). */
  operatorNotifiers?: OperatorNotifier[];
  /** Mounted before any body parsing (signature checks read raw bodies), like the integration routers. */
  routers?: Router[];
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
