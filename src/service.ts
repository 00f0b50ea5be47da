/**
 * The composition root: database → engine → handlers → Agenda → HTTP + socket.io. `main.ts` calls it with
 * the validated config; tests call it with their own database, SMTP server and fixture handlers.
 */
import http from 'node:http';
import path from 'node:path';
import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import { HANDLERS, type HandlerDeps } from '../handlers/index.js';
import { outboxSender, smtpSender, type MailSender } from '../handlers/email/transport.js';
import { signLink } from './api/links.js';
import { apiRequestGuards, createApp } from './api/app.js';
import { answerClientError } from './api/client-errors.js';
import { createAuthFailureLimiter } from './api/auth.js';
import type { Config } from './config.js';
import { connectDatabase, type Database } from './db/connect.js';
import { ActionExecutionService } from './engine/execution-service.js';
import type { AnyHandlerManifest } from './engine/handler-manifest.js';
import { probeIntegration } from './engine/integration-probe.js';
import { HandlerRegistry } from './engine/registry.js';
import { StatusBus } from './engine/status-bus.js';
import type { Notifier, RetryPolicy } from './engine/types.js';
import { createJobs } from './jobs/index.js';
import { AdmissionGate } from './engine/admission.js';
import { countOverdue } from './storage/action-state.js';
import type { ServiceExtension } from './extensions.js';
import { NotifierDispatcher } from './notify/dispatcher.js';
import { attachSocketServer } from './realtime/socket.js';
import type { Server as SocketServer } from 'socket.io';
import { startStatusFeed } from './realtime/status-feed.js';
import { integrationRouters, smsNotifier } from './integrations.js';
import { serviceSecrets } from './local-secrets.js';
import type { TwilioHttpClient } from './notify/sms/twilio-http.js';
import { ActionService } from './services/actions.js';
import { IntegrationService } from './services/integrations.js';
import { ManualTaskService } from './services/manual-tasks.js';
import { mongoManualTaskStore } from './storage/manual-task-store.js';
import { defineOperatorJobs, scheduleOperatorChange } from './jobs/operator-jobs.js';
import { OperatorDirectory } from './operators/directory.js';
import { createTaskPublisher, OperatorDispatcher } from './operators/dispatcher.js';
import type { OperatorNotifier } from './operators/events.js';
import { demoAdminToken } from './ops/admin-auth.js';
import { readDemoCredentials } from './seed/demo.js';
import { ServiceMetrics } from './ops/metrics.js';
import { trackingKey, trackingLinks } from './tracking/token.js';

export interface ServiceOverrides {
  dbName?: string;
  /** The driver's command events, for counting operations (benchmarks, tests): see connectDatabase. */
  monitorCommands?: boolean;
  mailSender?: MailSender;
  /** More handlers beside handlers/index.ts (tests): manifests, registered exactly like the built-in ones. */
  extraHandlers?: AnyHandlerManifest[];
  retryPolicies?: Record<string, Partial<RetryPolicy>>;
  notifiers?: Notifier[];
  operatorNotifiers?: OperatorNotifier[];
  /** Where the twilio SDK sends requests (tests: the Twilio simulator). */
  twilioHttpClient?: TwilioHttpClient;
  /** Optional parts built by the composition root (the chat bots): see src/extensions.ts. */
  extensions?: ServiceExtension[];
  now?: () => Date;
}

export interface RunningService {
  baseUrl: string;
  port: number;
  config: Config;
  bus: StatusBus;
  service: ActionExecutionService;
  /** The engine services the HTTP API calls; chat bots call the same ones. */
  services: EngineServices;
  registry: HandlerRegistry;
  agenda: Agenda;
  db: Database;
  /** Where manual task changes go (durable jobs): chat platforms add their operator notifier here. */
  operatorNotifiers: OperatorDispatcher;
  /** What the extensions said at start (e.g. how to chat with the demo bots). */
  extensionNotes: string[];
  metrics: ServiceMetrics;
  /** Readiness goes 503 from here on (graceful shutdown); `close` implies it. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface EngineServices {
  actions: ActionService;
  manualTasks: ManualTaskService;
  integrations: IntegrationService;
  /** Who the operators of a space are and where its task cards go. */
  operators: OperatorDirectory;
}

export async function startService(config: Config, logger: Logger, o: ServiceOverrides = {}): Promise<RunningService> {
  const now = o.now ?? (() => new Date());
  const db = await connectDatabase({ uri: config.MONGODB_URI, dbName: o.dbName, dataDir: config.dataDir, logger, monitorCommands: o.monitorCommands });
  const bus = new StatusBus();
  const metrics = new ServiceMetrics();
  const registry = new HandlerRegistry();
  const secrets = await serviceSecrets(config, logger);
  const secret = secrets.linkSigning;
  const publicBaseUrl = config.publicBaseUrl;
  const tracking = trackingKey(secret);
  const trackingUrl = trackingLinks(publicBaseUrl, tracking);

  const mailSender = o.mailSender ?? (config.SMTP_URL ? smtpSender(config.SMTP_URL) : outboxSender(path.join(config.dataDir, 'outbox', 'email'), logger));
  const handlerDeps: HandlerDeps = {
    email: {
      sender: mailSender, from: config.EMAIL_FROM, defaultConfirmTimeoutMinutes: config.EMAIL_CONFIRM_TIMEOUT_MINUTES,
      links: (executionId, expiresAt) => {
        const link = (purpose: 'confirm' | 'decline') => `${publicBaseUrl}/${purpose}/${signLink({ executionId, expiresAt: expiresAt.getTime(), purpose }, secret)}`;
        return { confirmUrl: link('confirm'), declineUrl: link('decline') };
      },
    },
    manualTasks: {
      async open(task) {
        await mongoManualTaskStore.open(task);
        await services.manualTasks.opened(task.executionId); // announce it to operators
      },
    },
  };
  for (const manifest of [...HANDLERS, ...(o.extraHandlers ?? [])]) registry.register(manifest, metrics.timed(manifest.create(handlerDeps)));
  for (const [name, policy] of Object.entries(o.retryPolicies ?? {})) registry.setRetryPolicy(name, policy);

  const sms = smsNotifier(config, secrets, logger, o.twilioHttpClient);
  const notifiers = new NotifierDispatcher([...(sms ? [sms] : []), ...(o.notifiers ?? [])], logger, {
    trackingUrl, onOutcome: (channel, outcome) => metrics.notified(channel, outcome),
  });
  const runsWorkers = config.ROLE !== 'api';
  const jobs = createJobs(db.connection, {
    runsWorkers, inProcess: config.ROLE === 'all', pollEveryMs: config.AGENDA_PROCESS_EVERY_MS,
    lockLifetimeMs: config.AGENDA_LOCK_LIFETIME_MS, concurrency: config.AGENDA_CONCURRENCY, retentionMs: config.STEP_BOOKKEEPING_RETENTION_MINUTES * 60_000,
    notifyFallbackAfterMs: config.NOTIFY_FALLBACK_AFTER_MS,
  }, { notifiers, logger, onWorkStart: (name, dueAt) => metrics.jobStarted(name, dueAt) });
  const { agenda } = jobs;
  const service = new ActionExecutionService({
    registry, bus, logger, stepTimeoutMs: config.STEP_TIMEOUT_MS, publicBaseUrl, leaseMs: config.AGENDA_LOCK_LIFETIME_MS, now,
    scheduler: jobs.scheduler, observer: metrics,
  });
  const operatorNotifiers = new OperatorDispatcher(logger);
  for (const n of o.operatorNotifiers ?? []) operatorNotifiers.add(n);
  const taskPublisher = createTaskPublisher({
    bus, dispatcher: operatorNotifiers, schedule: scheduleOperatorChange(agenda), fallbackAfterMs: config.NOTIFY_FALLBACK_AFTER_MS, logger,
  });
  const services: EngineServices = {
    actions: new ActionService({
      execution: service, now,
      admission: new AdmissionGate({
        maxConcurrent: config.OVERLOAD_MAX_CONCURRENT_CREATES, maxOverdue: config.OVERLOAD_MAX_OVERDUE_ACTIONS,
        overdueAfterMs: config.OVERLOAD_OVERDUE_AFTER_MS, timeoutMs: config.OVERLOAD_TIMEOUT_MS,
      }, countOverdue),
    }),
    manualTasks: new ManualTaskService({ outcomes: service, now, publisher: taskPublisher }),
    integrations: new IntegrationService({
      registry,
      probe: (integrationId, spaceId) => probeIntegration({ registry, logger, publicBaseUrl, stepTimeoutMs: config.STEP_TIMEOUT_MS }, integrationId, spaceId),
    }),
    operators: new OperatorDirectory(),
  };
  // A customer's cancel closes the action's open task (and its card); the operator sweep catches any missed here.
  bus.subscribe((e) => {
    if (e.type !== 'action.status' || e.status !== 'cancelled') return;
    services.manualTasks.closeTasksOfEndedAction(e.actionId).catch((err) => logger.warn({ err: (err as Error).message }, 'closing a cancelled task failed'));
  });
  const extensions = o.extensions ?? [];
  const parts = [];
  // One failed-auth limiter for the API and the extensions' API-key routes (a wrong key counts wherever it is tried).
  const authLimiter = createAuthFailureLimiter(config.AUTH_FAILURES_PER_MINUTE);
  const apiGuards = apiRequestGuards({ authLimiter, maxBodyBytes: config.MAX_BODY_BYTES });
  for (const ext of extensions) {
    parts.push(await ext.setup({ config, logger: logger.child({ extension: ext.name }), service, services, agenda, runsWorkers, servesHttp: config.ROLE !== 'worker', now, apiGuards }));
  }
  for (const n of parts.flatMap((p) => p.operatorNotifiers ?? [])) operatorNotifiers.add(n);
  // The engine (and so the dispatcher) exists before the extensions, which are built on it.
  notifiers.add(parts.flatMap((p) => p.notifiers ?? []));
  await jobs.start(service);
  await defineOperatorJobs(agenda, {
    dispatcher: operatorNotifiers, tasks: services.manualTasks, lockLifetimeMs: config.AGENDA_LOCK_LIFETIME_MS, logger, sweepEvery: `${config.OPERATOR_SWEEP_SECONDS} seconds`,
    nudges: { nudgeAfterMs: config.OPERATOR_NUDGE_MINUTES * 60_000, remindAfterMs: config.OPERATOR_REMIND_MINUTES * 60_000 }, runsWorkers,
  });

  let server: http.Server | null = null;
  let io: SocketServer | null = null;
  let stopFeed: () => Promise<void> = async () => {};
  let port = 0;
  let shuttingDown = false;
  if (config.ROLE !== 'worker') {
    // The API process's bus sees every update (its own and, with ROLE=api, the status feed's), so it counts creations.
    metrics.watch(bus);
    const adminToken = config.ADMIN_TOKEN ?? (config.SEED_DEMO ? await demoAdminToken(config.dataDir) : undefined);
    const app = createApp({
      metrics, metricsToken: config.METRICS_TOKEN, adminToken, agenda, trackingKey: tracking, trackingUrl, publicBaseUrl, handlerNames: registry.names(),
      ...(config.SEED_DEMO ? { seedItemId: async () => (await readDemoCredentials(config.dataDir))?.itemId ?? null } : {}),
      readiness: {
        database: async () => !!(await pingWithin(db, 2000)),
        scheduler: () => agenda.isActiveJobProcessor(),
        shuttingDown: () => shuttingDown,
      },
      services: { ...services, outcomes: service }, logger, linkSecret: secret, authLimiter, maxBodyBytes: config.MAX_BODY_BYTES, now,
      integrationRouters: [...integrationRouters(config, secrets, registry.manifests(), service, logger), ...parts.flatMap((p) => p.routers ?? [])],
      extraPaths: Object.assign({}, ...parts.map((p) => p.openApiPaths ?? {})),
    });
    server = http.createServer({
      // Slow or stalled clients (headers or a body that never finishes) are answered 408 and dropped.
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 10_000),
      connectionsCheckingInterval: Math.min(1_000, config.REQUEST_TIMEOUT_MS / 2),
    }, app);
    server.on('clientError', answerClientError);
    io = attachSocketServer(server, bus, logger, { trackingKey: tracking, authLimiter });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.PORT, config.HOST, () => resolve());
    });
    port = (server.address() as { port: number }).port;
    if (config.ROLE === 'api') stopFeed = startStatusFeed(bus, { everyMs: 250, logger });
  }
  const baseUrl = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  const extensionNotes: string[] = [];
  for (const ext of extensions) extensionNotes.push(...((await ext.start?.({ baseUrl })) ?? []));

  let closed = false;
  return {
    baseUrl, port, config, bus, service, services, registry, agenda, db, metrics, operatorNotifiers, extensionNotes,
    beginShutdown() { shuttingDown = true; },
    async close() {
      if (closed) return;
      closed = true;
      shuttingDown = true;
      for (const ext of [...extensions].reverse()) await ext.close?.().catch((err) => logger.warn({ err: (err as Error).message, extension: ext.name }, 'extension close failed'));
      await stopFeed();
      if (server) {
        await io?.close(); // also ends upgraded websocket connections, which closeAllConnections does not track
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      // Let running steps finish (bounded) so none is cut off mid-write; the rest resume after lease expiry.
      await Promise.race([taskPublisher.settled(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await jobs.close();
      await db.close();
    },
  };
}

/** true when the database answers a ping in time. */
async function pingWithin(db: Database, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([db.connection.db!.admin().ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
