/**
 * A handler is one folder plus one line: here a handler that exists only in this test is registered through
 * its manifest alone (ServiceOverrides.extraHandlers), and the providers API, the chain, status messages,
 * the inbound router and per-integration retry settings all pick it up. Also: secrets are checked by the
 * handler's secrets schema (a Square token pasted with "…" is a 400 naming the field).
 */
import { jest } from '@jest/globals';
import express, { Router } from 'express';
import { z } from 'zod';
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import { HandlerError, type HandlerResult } from '../../src/engine/types.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

interface ErrorBody { error: { code: string; message: string; field?: string } }
interface IntegrationBody { integration: { id: string; name: string; type: string; secretNames: string[] } }

/** What the till does next; each test sets it. */
let till: (attempt: number) => HandlerResult = () => ({ kind: 'completed' });
const calls: Array<{ actionId: string; attempt: number; pin: string | undefined }> = [];

const tillManifest: HandlerManifest<unknown> = {
  name: 'test-till',
  integrationType: 'api',
  label: 'the test till',
  configSchema: z.object({ till: z.string().regex(/^T\d+$/, 'must be a till id such as T1') }),
  secretsSchema: z.object({ pin: z.string().regex(/^\d{4}$/, 'must be 4 digits').optional() }),
  create: () => ({
    name: 'test-till',
    canHandle: (_action, _provider, integration) => (integration.secrets.pin ? { ok: true } : { ok: false, reason: 'no pin' }),
    async execute(ctx) {
      calls.push({ actionId: ctx.action.id, attempt: ctx.execution.attempt, pin: ctx.integration.secrets.pin });
      const result = till(ctx.execution.attempt);
      return result.kind === 'completed' ? { ...result, externalRef: `till-${ctx.action.id}`, orderNumber: await ctx.orderNumber() } : result;
    },
  }),
  // The till reports "ready" to us, authenticated with its pin (a stand-in for a signed POS webhook).
  inboundRoutes: (deps) => Router().post('/integrations/test-till/:providerId/ready', express.json(), async (req, res) => {
    const pin = await deps.secretFor(String(req.params.providerId), 'pin');
    if (!pin || req.get('x-till-pin') !== pin) return void res.status(401).json({ error: { code: 'unauthorized', message: 'bad pin' } });
    const actionId = await deps.actionIdByExternalRef(String(req.params.providerId), String(req.body.ref));
    if (!actionId) return void res.status(404).end();
    res.json(await deps.outcomes.reportFulfillment(actionId, 'ready', 'Your order is ready at the till'));
  }),
};

const transient = (): HandlerResult => ({ kind: 'retryable', error: HandlerError.transient('unavailable', 'till is rebooting') });

let svc: TestService;
let integrationId: string;
const base = () => `/providers/${svc.creds.providerId}`;

beforeAll(async () => {
  svc = await startTestService({ extraHandlers: [tillManifest], retryPolicies: { 'test-till': { initialDelayMs: 50, maxDelayMs: 100 } } });
});
afterAll(async () => { await svc?.close(); });
beforeEach(() => { calls.length = 0; till = () => ({ kind: 'completed' }); });

test('the providers API validates an integration of the new handler with its manifest', async () => {
  const wrongType = await svc.api<ErrorBody>('POST', `${base()}/integrations`, { body: { type: 'webhook', name: 'test-till', priority: 1, config: { till: 'T1' } } });
  expect([wrongType.status, wrongType.body.error.code, wrongType.body.error.field]).toEqual([400, 'handler_type_mismatch', 'type']);
  const badConfig = await svc.api<ErrorBody>('POST', `${base()}/integrations`, { body: { type: 'api', name: 'test-till', priority: 1, config: { till: 'front' } } });
  expect([badConfig.status, badConfig.body.error.field]).toEqual([400, 'config.till']);

  const created = await svc.api<IntegrationBody>('POST', `${base()}/integrations`, { body: { type: 'api', name: 'test-till', priority: 1, config: { till: 'T1' } } });
  expect(created.status).toBe(201);
  integrationId = created.body.integration.id;

  const unknownSecret = await svc.api<ErrorBody>('PUT', `${base()}/integrations/${integrationId}/secrets`, { body: { values: { password: 'x' } } });
  expect([unknownSecret.status, unknownSecret.body.error.code, unknownSecret.body.error.field]).toEqual([400, 'unknown_secret', 'values.password']);
  const badPin = await svc.api<ErrorBody>('PUT', `${base()}/integrations/${integrationId}/secrets`, { body: { values: { pin: '12ab' } } });
  expect([badPin.status, badPin.body.error.code, badPin.body.error.field]).toEqual([400, 'invalid_secret', 'values.pin']);
  expect(JSON.stringify(badPin.body)).not.toContain('12ab');
  const saved = await svc.api<IntegrationBody>('PUT', `${base()}/integrations/${integrationId}/secrets`, { body: { values: { pin: '4321' } } });
  expect(saved.body.integration.secretNames).toEqual(['pin']);
});

test('an order goes through the new handler; its inbound route reports the order ready', async () => {
  const { body } = await svc.order();
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(status.action.executions.map((e) => `${e.handlerName}:${e.status}`)).toEqual(['test-till:completed']);
  expect(calls).toEqual([{ actionId: body.action.id, attempt: 1, pin: '4321' }]);

  const ready = (pin: string) => fetch(`${svc.baseUrl}/integrations/test-till/${svc.creds.providerId}/ready`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-till-pin': pin }, body: JSON.stringify({ ref: `till-${body.action.id}` }),
  });
  expect((await ready('0000')).status).toBe(401);
  expect((await ready('4321')).status).toBe(200);
  const after = await waitFor(async () => { const s = await svc.status(body.action.id); return s.statusUpdates.some((u) => u.status === 'ready') ? s : null; }, 'ready');
  expect(after.statusUpdates.at(-1)?.message).toBe('Your order is ready at the till');
});

test('status messages name the handler by its manifest label', async () => {
  till = () => ({ kind: 'permanent', error: HandlerError.permanent('bad_request', 'till rejected the order') });
  const { body } = await svc.order();
  const status = await waitForStatus(svc, body.action.id, 'awaiting_confirmation'); // fell through to email
  expect(status.statusUpdates.map((u) => u.message)).toContain("The test till couldn't take the order (till rejected the order). Trying email...");
});

test('config.retry on the integration is applied: maxAttempts 1 falls through after one failure, the default retries', async () => {
  till = transient;
  const patch = (config: Record<string, unknown>) => svc.api('PATCH', `${base()}/integrations/${integrationId}`, { body: { config } });
  expect((await patch({ till: 'T1', retry: { maxAttempts: 1 } })).status).toBe(200);
  const once = await svc.order();
  const s1 = await waitForStatus(svc, once.body.action.id, 'awaiting_confirmation');
  expect(s1.action.executions.map((e) => `${e.handlerName}#${e.attempt}:${e.status}`)).toEqual(['test-till#1:failed', 'email#1:awaiting']);

  expect((await patch({ till: 'T1' })).status).toBe(200);
  const retried = await svc.order();
  const s2 = await waitForStatus(svc, retried.body.action.id, 'awaiting_confirmation');
  expect(s2.action.executions.map((e) => `${e.handlerName}#${e.attempt}:${e.status}`)).toEqual([
    'test-till#1:retrying', 'test-till#2:retrying', 'test-till#3:failed', 'email#1:awaiting',
  ]);
  await svc.api('DELETE', `${base()}/integrations/${integrationId}`);
});

test("a Square access token with non-ASCII characters is refused naming the field (it could never be sent in a header)", async () => {
  const created = await svc.api<IntegrationBody>('POST', `${base()}/integrations`, { body: { type: 'api', name: 'square', priority: 5, enabled: false, config: { locationId: 'L1', environment: 'sandbox' } } });
  expect(created.status).toBe(201);
  const pasted = 'EAAAl4nT0kenFromTheReadme…';
  const res = await svc.api<ErrorBody>('PUT', `${base()}/integrations/${created.body.integration.id}/secrets`, { body: { values: { accessToken: pasted } } });
  expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'invalid_secret', 'values.accessToken']);
  expect(JSON.stringify(res.body)).not.toContain('l4nT0ken');
  const ok = await svc.api<IntegrationBody>('PUT', `${base()}/integrations/${created.body.integration.id}/secrets`, { body: { values: { accessToken: 'EAAAl4nT0kenFromTheReadme' } } });
  expect(ok.body.integration.secretNames).toEqual(['accessToken']);
  await svc.api('DELETE', `${base()}/integrations/${created.body.integration.id}`);
});
