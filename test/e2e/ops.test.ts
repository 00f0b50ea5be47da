/**
 * What an operator relies on: liveness/readiness (503 while shutting down), Prometheus metrics that move
 * with real orders (retries, fall-throughs, step durations, queue lag, SMS), and the admin-only job dashboard.
 */
import http from 'node:http';
import { jest } from '@jest/globals';
import express from 'express';
import { Registry } from 'prom-client';
import { healthRouter } from '../../src/ops/health.js';
import { Integration } from '../../src/storage/models.js';
import { createFixtureHandler, permanent, transient } from '../support/fixture-handler.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
let svc: TestService;
let script: (n: number) => ReturnType<typeof transient> = () => transient();
const pos = createFixtureHandler('pos', 'api', (_call, n) => script(n));

beforeAll(async () => {
  svc = await startTestService({ env: { ADMIN_TOKEN }, extraHandlers: [pos], retryPolicies: { pos: { maxAttempts: 3, initialDelayMs: 100 } } });
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'pos', priority: 1, enabled: true, config: {} });
});
afterAll(async () => { await svc?.close(); });

async function metricsText(): Promise<string> {
  const res = await fetch(`${svc.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The value of one sample line, e.g. `rouh_step_retries_total{handler="pos"}`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('healthz is alive; readyz checks the database and scheduler, and turns 503 when shutdown begins', async () => {
  const live = await fetch(`${svc.baseUrl}/healthz`);
  expect(live.status).toBe(200);
  expect(await live.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${svc.baseUrl}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', scheduler: 'ok', shutdown: 'ok' } });
});

test('metrics follow an order through a retry to completion, and the customer SMS', async () => {
  script = (n) => (n === 1 ? transient('POS returned 503') : { kind: 'completed', orderNumber: 'P-1', readyInMinutes: 5 });
  pos.calls.length = 0;
  const created = await svc.order({ ...SEED_ORDER, customer_phone: '+14155550123' });
  expect(created.status).toBe(201);
  await waitForStatus(svc, created.body.action.id, 'completed');
  const text = await waitFor(async () => {
    const t = await metricsText();
    return sample(t, 'rouh_notifications_total{channel="sms",outcome="sent"}') === 1 ? t : null;
  }, 'the SMS to be counted');

  expect(sample(text, 'rouh_actions_created_total')).toBe(1);
  expect(sample(text, 'rouh_actions_finished_total{outcome="completed"}')).toBe(1);
  expect(sample(text, 'rouh_step_retries_total{handler="pos"}')).toBe(1);
  expect(sample(text, 'rouh_step_fall_throughs_total{handler="pos"}')).toBe(0);
  expect(sample(text, 'rouh_step_duration_seconds_count{handler="pos",result="retryable"}')).toBe(1);
  expect(sample(text, 'rouh_step_duration_seconds_count{handler="pos",result="completed"}')).toBe(1);
  expect(sample(text, 'rouh_job_queue_lag_seconds_count{job="action.step"}')).toBeGreaterThanOrEqual(2);
  expect(sample(text, 'http_request_duration_seconds_count{method="POST",route="/actions",status="201"}')).toBe(1);
  // Route templates, never raw ids.
  expect(text).toContain('route="/actions/:id/status"');
  expect(text).not.toContain(created.body.action.id);
  expect(text).toMatch(/^process_cpu_user_seconds_total /m);
});

test('a permanent failure counts as a fall-through of that handler', async () => {
  script = () => permanent('unknown location');
  const before = sample(await metricsText(), 'rouh_step_fall_throughs_total{handler="pos"}');
  const created = await svc.order();
  await waitForStatus(svc, created.body.action.id, 'awaiting_confirmation'); // the email step is next
  expect(sample(await metricsText(), 'rouh_step_fall_throughs_total{handler="pos"}')).toBe(before + 1);
});

test('the job dashboard needs the admin token; with it, it lists Agenda jobs', async () => {
  const anonymous = await fetch(`${svc.baseUrl}/admin/jobs/`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
  const wrong = await fetch(`${svc.baseUrl}/admin/jobs/`, { headers: { authorization: `Bearer ${svc.creds.apiKey}` } });
  expect(wrong.status).toBe(401);

  const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`;
  const page = await fetch(`${svc.baseUrl}/admin/jobs/`, { headers: { authorization: basic } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="app">');
  const jobs = await fetch(`${svc.baseUrl}/admin/jobs/api`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(jobs.status).toBe(200);
  const body = await jobs.json() as { overview: Array<{ displayName: string }> };
  expect(body.overview.map((o) => o.displayName)).toContain('actions.cleanup'); // the recurring job (steps are not Agenda jobs)
});

test('readyz is 503 once shutdown begins (the port still answers)', async () => {
  svc.beginShutdown();
  const res = await fetch(`${svc.baseUrl}/readyz`);
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', scheduler: 'ok', shutdown: 'in_progress' } });
  expect((await fetch(`${svc.baseUrl}/healthz`)).status).toBe(200);
});

describe('health router on its own', () => {
  async function serve(deps: Parameters<typeof healthRouter>[0]) {
    const app = express().use(healthRouter(deps));
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(r)) };
  }
  const checks = { database: async () => false, scheduler: () => true, shuttingDown: () => false };

  test('an unreachable database makes readyz 503 but not healthz', async () => {
    const s = await serve({ checks, registry: new Registry() });
    try {
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { database: 'unreachable' } });
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally { await s.close(); }
  });

  test('with METRICS_TOKEN set, metrics need it even from loopback', async () => {
    const s = await serve({ checks, registry: new Registry(), metricsToken: 'metrics-token-0123456789' });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status).toBe(401);
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status).toBe(200);
    } finally { await s.close(); }
  });
});

describe('API description', () => {
  test('/openapi.json is OpenAPI 3.1 covering the API, its errors, auth, Idempotency-Key and signed inbound endpoints', async () => {
    const res = await fetch(`${svc.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { example?: { itemId?: string } }> }; responses: Record<string, unknown>; security?: unknown[] }>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> } };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/actions', '/actions/{id}/status', '/manual-tasks/{id}/complete', '/providers/{id}/catalog', '/providers/{id}/integrations/{integrationId}/secrets', '/integrations/square/webhooks/{providerId}', '/integrations/webhooks/{providerId}/confirm', '/integrations/twilio/status', '/confirm/{token}', '/o/{token}', '/readyz', '/metrics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const create = doc.paths['/actions']!.post!;
    expect(create.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['header:idempotency-key', 'header:x-user-id']));
    expect(create.requestBody?.content['application/json']?.example?.itemId).toBe(svc.creds.itemId); // the seed order, ready to send
    expect(create.responses['422']).toBeDefined();
    expect(doc.components.schemas.Error).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth?.scheme).toBe('bearer');
    expect(doc.paths['/integrations/square/webhooks/{providerId}']!.post!.parameters?.map((p) => p.name)).toContain('x-square-hmacsha256-signature');
    expect(doc.paths['/integrations/webhooks/{providerId}/confirm']!.post!.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']));
    expect(doc.paths['/integrations/twilio/status']!.post!.security).toEqual([]);
  });

  test('/docs renders Swagger UI from the server itself (no CDN)', async () => {
    const page = await fetch(`${svc.baseUrl}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toContain('/docs/assets/swagger-ui-bundle.js');
    for (const src of scripts) expect((await fetch(`${svc.baseUrl}${src}`)).status).toBe(200);
  });

  test('a documented path called with another method answers 405 with Allow', async () => {
    const res = await fetch(`${svc.baseUrl}/actions`, { method: 'DELETE', headers: { authorization: `Bearer ${svc.creds.apiKey}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET, HEAD');
    expect((await res.json() as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});

describe('admin API for spaces and keys', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) => {
    const res = await fetch(`${svc.baseUrl}${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
  };

  test('create a space with a key that works, issue and rotate keys, revoke one; keys are shown once', async () => {
    expect((await call('GET', '/admin/spaces', undefined, { authorization: `Bearer ${svc.creds.apiKey}` })).status).toBe(401);
    const created = await call<{ space: { id: string; keys: Array<{ id: string }> }; key: { id: string }; apiKey: string }>('POST', '/admin/spaces', { name: 'Harbor Tacos' });
    expect(created.status).toBe(201);
    const { space, apiKey } = created.body;
    expect(apiKey).toMatch(/^rk_/);
    const asNewSpace = await svc.api<{ providers: unknown[] }>('GET', '/providers', { key: apiKey });
    expect([asNewSpace.status, asNewSpace.body.providers]).toEqual([200, []]);

    const listed = await call<{ spaces: Array<{ id: string; name: string; keys: Array<{ id: string; prefix: string }> }> }>('GET', '/admin/spaces');
    const mine = listed.body.spaces.find((s) => s.id === space.id)!;
    expect(mine.keys).toEqual([expect.objectContaining({ id: created.body.key.id, prefix: apiKey.slice(0, 7) })]);
    expect(JSON.stringify(listed.body)).not.toContain(apiKey);

    const rotated = await call<{ apiKey: string; revoked: string }>('POST', `/admin/spaces/${space.id}/keys/${created.body.key.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.revoked).toBe(created.body.key.id);
    expect((await svc.api('GET', '/providers', { key: apiKey })).status).toBe(401);
    expect((await svc.api('GET', '/providers', { key: rotated.body.apiKey })).status).toBe(200);

    const second = await call<{ key: { id: string }; apiKey: string }>('POST', `/admin/spaces/${space.id}/keys`, { label: 'ci' });
    expect((await call('DELETE', `/admin/spaces/${space.id}/keys/${second.body.key.id}`)).status).toBe(204);
    expect((await svc.api('GET', '/providers', { key: second.body.apiKey })).status).toBe(401);
    expect((await call('DELETE', `/admin/spaces/${space.id}/keys/${second.body.key.id}`)).status).toBe(404);
    expect((await call('POST', '/admin/spaces', { name: '' })).status).toBe(400);
  });
});
