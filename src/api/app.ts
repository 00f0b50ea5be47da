import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { ActionExecutionService } from '../engine/execution-service.js';
import { requireApiKey } from './auth.js';
import { errorHandler, notFoundRoute } from './errors.js';
import { actionsRouter } from './routes/actions.js';
import { confirmLinksRouter } from './routes/confirm-links.js';
import { manualTasksRouter } from './routes/manual-tasks.js';
import { operatorsRouter } from './routes/operators.js';
import type { OperatorDirectory } from '../operators/directory.js';
import type { ManualTaskService } from '../services/manual-tasks.js';
import { providersRouter } from './routes/providers.js';
import type { TestResult } from '../engine/test-integration.js';

export interface AppDeps {
  service: ActionExecutionService;
  tasks: ManualTaskService;
  directory: OperatorDirectory;
  logger: Logger;
  linkSecret: string;
  maxBodyBytes: number;
  now: () => Date;
  handlerNames: string[];
  testIntegration: (integrationId: string, spaceId: string) => Promise<TestResult>;
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
  app.use(confirmLinksRouter({ outcomes: deps.service, secret: deps.linkSecret, now: deps.now }));

  const api = express.Router();
  api.use(express.json({ limit: deps.maxBodyBytes, strict: true }));
  api.use(requireApiKey);
  api.use(actionsRouter({ service: deps.service, now: deps.now }));
  api.use(manualTasksRouter({ tasks: deps.tasks }));
  api.use(operatorsRouter({ directory: deps.directory }));
  api.use(providersRouter({ now: deps.now, testIntegration: deps.testIntegration, handlerNames: deps.handlerNames }));
  app.use(api);

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
