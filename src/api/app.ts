import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { ExternalOutcomes } from '../engine/types.js';
import type { ActionService } from '../services/actions.js';
import type { IntegrationService } from '../services/integrations.js';
import type { ManualTaskService } from '../services/manual-tasks.js';
import { requireApiKey } from './auth.js';
import { errorHandler, notFoundRoute } from './errors.js';
import { actionsRouter } from './routes/actions.js';
import { confirmLinksRouter } from './routes/confirm-links.js';
import { manualTasksRouter } from './routes/manual-tasks.js';
import { providersRouter } from './routes/providers.js';

/** The engine services the routes call (the chat bots call the same ones). */
export interface AppServices {
  actions: ActionService;
  manualTasks: ManualTaskService;
  integrations: IntegrationService;
  /** Confirm/decline links move awaiting steps on. */
  outcomes: ExternalOutcomes;
}

export interface AppDeps {
  services: AppServices;
  logger: Logger;
  linkSecret: string;
  maxBodyBytes: number;
  now: () => Date;
  /** Inbound integration routers (signed webhooks read their own raw bodies). */
  integrationRouters?: Router[];
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

  app.get('/health', (_req, res) => { res.json({ ok: true }); });
  // Routers that verify signatures over the raw body come before any JSON parsing.
  for (const r of deps.integrationRouters ?? []) app.use(r);
  app.use(confirmLinksRouter({ outcomes: deps.services.outcomes, secret: deps.linkSecret, now: deps.now }));

  const api = express.Router();
  api.use(express.json({ limit: deps.maxBodyBytes, strict: true }));
  api.use(requireApiKey);
  api.use(actionsRouter({ actions: deps.services.actions }));
  api.use(manualTasksRouter({ tasks: deps.services.manualTasks }));
  api.use(providersRouter({ now: deps.now, integrations: deps.services.integrations }));
  app.use(api);

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
