/**
 * Liveness, readiness and metrics endpoints, outside API-key auth.
 * - `/healthz`: the process answers (never touches the database, so a slow database does not get it killed).
 * - `/readyz`: database reachable, job scheduler running, not shutting down; 503 otherwise, so a load
 *   balancer stops sending traffic before a graceful shutdown closes the port.
 * - `/metrics`: Prometheus text. With METRICS_TOKEN set it needs `Authorization: Bearer <token>`;
 *   without it only loopback clients may read it (the zero-config demo).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import express, { type Router } from 'express';
import type { Registry } from 'prom-client';
import type { ErrorBody } from '../api/errors.js';

export interface ReadinessChecks {
  database(): Promise<boolean>;
  scheduler(): boolean;
  shuttingDown(): boolean;
}

export interface HealthDeps {
  checks: ReadinessChecks;
  registry: Registry;
  metricsToken?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time comparison of a presented secret with the expected one. */
export const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
export const isLoopback = (address: string | undefined) => !!address && LOOPBACK.has(address);

export function healthRouter(deps: HealthDeps): Router {
  const router = express.Router();

  const live: express.RequestHandler = (_req, res) => { res.json({ status: 'ok' }); };
  router.get('/healthz', live);
  router.get('/health', live); // the original path, kept for existing probes

  router.get('/readyz', async (_req, res) => {
    const database = await deps.checks.database().catch(() => false);
    const checks = {
      database: database ? 'ok' : 'unreachable',
      scheduler: deps.checks.scheduler() ? 'ok' : 'stopped',
      shutdown: deps.checks.shuttingDown() ? 'in_progress' : 'ok',
    };
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).set('cache-control', 'no-store').json({ status: ready ? 'ok' : 'unavailable', checks });
  });

  router.get('/metrics', async (req, res) => {
    const header = req.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const allowed = deps.metricsToken ? !!token && sameSecret(token, deps.metricsToken) : isLoopback(req.socket.remoteAddress);
    if (!allowed) {
      const message = deps.metricsToken ? 'Metrics need "Authorization: Bearer <METRICS_TOKEN>"' : 'Metrics are served to loopback clients only; set METRICS_TOKEN to read them remotely';
      res.status(401).json({ error: { code: 'unauthorized', message } } satisfies ErrorBody);
      return;
    }
    res.set('content-type', deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
