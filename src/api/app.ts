import { randomUUID } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { ExternalOutcomes } from '../engine/types.js';
import type { ActionService } from '../services/actions.js';
import type { IntegrationService } from '../services/integrations.js';
import type { ManualTaskService } from '../services/manual-tasks.js';
import { apiKeyAuth, type AuthFailureLimiter } from './auth.js';
import { errorHandler, notFoundRoute } from './errors.js';
import { checkJsonShape, rejectRepeatedHeaders } from './input-guards.js';
import { actionsRouter } from './routes/actions.js';
import { adminRouter } from './routes/admin.js';
import { confirmLinksRouter } from './routes/confirm-links.js';
import { manualTasksRouter } from './routes/manual-tasks.js';
import { operatorsRouter } from './routes/operators.js';
import type { OperatorDirectory } from '../operators/directory.js';
import { providersRouter } from './routes/providers.js';
import type { Agenda } from 'agenda';
import { createExpressMiddleware as agendash } from 'agendash';
import { requireAdmin } from '../ops/admin-auth.js';
import { healthRouter, type ReadinessChecks } from '../ops/health.js';
import type { ServiceMetrics } from '../ops/metrics.js';
import { trackingRouter } from '../tracking/router.js';
import { docsRouter } from './docs.js';
import { requireJsonBody } from './json-body.js';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { buildOpenApiDocument, methodNotAllowed } from './openapi.js';

/** The engine services the routes call (the chat bots call the same ones). */
export interface AppServices {
  actions: ActionService;
  manualTasks: ManualTaskService;
  integrations: IntegrationService;
  /** Who the operators of a space are and where task cards go. */
  operators: OperatorDirectory;
  /** Confirm/decline links move awaiting steps on. */
  outcomes: ExternalOutcomes;
}

export interface AppDeps {
  services: AppServices;
  logger: Logger;
  linkSecret: string;
  maxBodyBytes: number;
  /** Shared with the socket server: failed authentications per client address. */
  authLimiter: AuthFailureLimiter;
  now: () => Date;
  /** Inbound integration routers (signed webhooks read their own raw bodies). */
  integrationRouters?: Router[];
  metrics: ServiceMetrics;
  readiness: ReadinessChecks;
  metricsToken?: string;
  /** Operator credential for /admin/*; undefined = admin surface off. */
  adminToken?: string;
  agenda: Agenda;
  /** Key of the customer order pages' tracking tokens, and the link it makes for an action. */
  trackingKey: Buffer;
  trackingUrl: (actionId: string) => string;
  /** Base of the API in the OpenAPI document's `servers`. */
  publicBaseUrl: string;
  /** Registered handler names (the OpenAPI document lists them as integration names). */
  handlerNames?: string[];
  /** The demo café's itemId for the docs' example order (null without the demo). */
  seedItemId?: () => Promise<string | null>;
  /** Extensions' routes (mounted through `integrationRouters`) as OpenAPI path items. */
  extraPaths?: ZodOpenApiPathsObject;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(pinoHttp({
    logger: deps.logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    serializers: { req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.replace(/\/(confirm|decline)\/[^/?]+/, '/$1/[token]') }) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  }));

  app.use(deps.metrics.http());
  app.use(rejectRepeatedHeaders());
  app.use(healthRouter({ checks: deps.readiness, registry: deps.metrics.registry, metricsToken: deps.metricsToken }));
  app.use('/admin/jobs', requireAdmin(deps.adminToken, { browserPrompt: true }), agendash(deps.agenda));
  app.use('/admin/spaces', requireAdmin(deps.adminToken));
  app.use(adminRouter({ maxBodyBytes: deps.maxBodyBytes }));
  // Every route is in the OpenAPI document: a documented path with another method is a 405, before auth
  // (and before the integration and extension routers, which check their own credentials).
  app.use(methodNotAllowed(buildOpenApiDocument({ serverUrl: deps.publicBaseUrl, extraPaths: deps.extraPaths })));
  // Routers that verify signatures over the raw body come before any JSON parsing.
  for (const r of deps.integrationRouters ?? []) app.use(r);
  // Browsers ask every origin for one (the job dashboard has none): answer instead of a 401 from the API below.
  app.get('/favicon.ico', (_req, res) => { res.status(204).end(); });
  app.use(docsRouter({ publicBaseUrl: deps.publicBaseUrl, seedItemId: deps.seedItemId, handlerNames: deps.handlerNames, extraPaths: deps.extraPaths }));
  app.use(trackingRouter({ key: deps.trackingKey }));
  app.use(confirmLinksRouter({ outcomes: deps.services.outcomes, secret: deps.linkSecret, now: deps.now }));

  const api = express.Router();
  api.use(...apiRequestGuards(deps));
  api.use(actionsRouter({ actions: deps.services.actions, trackingUrl: deps.trackingUrl }));
  api.use(manualTasksRouter({ tasks: deps.services.manualTasks }));
  api.use(operatorsRouter({ directory: deps.services.operators }));
  api.use(providersRouter({ now: deps.now, integrations: deps.services.integrations }));
  app.use(api);

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}

/**
 * What every API-key route runs first, in order: authentication with the failed-attempt limiter, JSON bodies
 * only (415), the JSON parser, and the shape checks (depth, keys). Extensions' API routes (the chat add-on's
 * /chat) get the same list through their ExtensionContext.
 */
export function apiRequestGuards(deps: { authLimiter?: AuthFailureLimiter; maxBodyBytes: number }): RequestHandler[] {
  return [apiKeyAuth(deps.authLimiter), requireJsonBody, express.json({ limit: deps.maxBodyBytes, strict: true }), checkJsonShape()];
}
