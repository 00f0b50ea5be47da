import express from 'express';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Completion, ExternalOutcomes, HandlerResult, OutcomeResult } from '../../src/engine/types.js';
import { createWebhookConfirmRouter } from './confirm-router.js';
import { createWebhookHandler } from './handler.js';
import { generateWebhookSecret } from './signing.js';
import type { WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { startWebhookReceiver } from '../../test/support/webhook-receiver.js';
import { handlerContext, sampleAction, sampleProvider, silentLogger, webhookIntegration } from '../../test/support/webhook-context.js';

function fakeFetch(status: number, body = '', headers: Record<string, string> = {}): typeof fetch {
  return (async () => new Response(status === 204 || status === 304 ? null : body, { status, headers })) as typeof fetch;
}

function expectKind<K extends HandlerResult['kind']>(result: HandlerResult, kind: K): Extract<HandlerResult, { kind: K }> {
  expect(result.kind).toBe(kind);
  return result as Extract<HandlerResult, { kind: K }>;
}

describe('webhook handler against the simulated receiver', () => {
  const secret = generateWebhookSecret();
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver({ secret, mode: 'confirm', readyInMinutes: 12 });
  });
  afterEach(async () => {
    await receiver.close();
  });

  test('a confirmed answer completes with the receiver order number; the body is signed and has no phone', async () => {
    const handler = createWebhookHandler();
    const ctx = handlerContext({ integration: webhookIntegration(receiver.url, secret) });
    const result = expectKind(await handler.execute(ctx), 'completed');
    expect(result).toMatchObject({ externalRef: 'act_1:int_webhook', orderNumber: 'WH-1001', readyInMinutes: 12 });
    expect(ctx.allocatedOrderNumbers).toBe(0);

    const [delivery] = receiver.deliveries();
    expect(delivery).toMatchObject({ verified: true, webhookId: 'act_1:int_webhook', status: 200 });
    expect(delivery?.rawBody).not.toContain('5551234567');
    expect(delivery?.body).toMatchObject({
      type: 'order.requested',
      data: {
        action_id: 'act_1',
        execution_id: 'exec_1',
        provider: { id: 'prov_1', name: 'Downtown Café' },
        order: {
          items: [{ name: 'Latte', quantity: 2, unit_price: '$4.50', unit_price_cents: 450, modifiers: [{ name: 'Oat milk', price: '$0.75', price_cents: 75 }], line_total: '$10.50' }],
          total: '$10.50',
          total_cents: 1050,
          pickup_time: 'asap',
          customer_name: 'Sam',
          special_instructions: 'Extra hot',
        },
        confirm_url: 'http://127.0.0.1:1/integrations/webhooks/prov_1/confirm',
      },
    });
  });

  test('a 202 answer leaves the step awaiting for confirmTimeoutMinutes', async () => {
    receiver.setMode('accept');
    const handler = createWebhookHandler();
    const ctx = handlerContext({ integration: webhookIntegration(receiver.url, secret, { confirmTimeoutMinutes: 7 }) });
    const result = expectKind(await handler.execute(ctx), 'awaiting');
    expect(result).toMatchObject({ externalRef: 'act_1:int_webhook', timeoutMs: 7 * 60_000 });
  });

  test('a 500 is retryable; a 400 is permanent; a 410 is permanent (endpoint gone)', async () => {
    const handler = createWebhookHandler();
    const ctx = handlerContext({ integration: webhookIntegration(receiver.url, secret) });
    receiver.setMode('fail500');
    expect(expectKind(await handler.execute(ctx), 'retryable').error.code).toBe('unavailable');
    receiver.setMode('fail400');
    expect(expectKind(await handler.execute(ctx), 'permanent').error.code).toBe('bad_request');
    receiver.setMode('gone');
    expect(expectKind(await handler.execute(ctx), 'permanent').error.code).toBe('misconfigured');
  });

  test('a declined answer is a permanent decline', async () => {
    receiver.setMode('decline');
    const result = expectKind(await createWebhookHandler().execute(handlerContext({ integration: webhookIntegration(receiver.url, secret) })), 'permanent');
    expect(result.error.code).toBe('declined');
    expect(result.error.message).toContain('Kitchen closed');
  });

  test('the webhook-id is identical across attempts, so the receiver dedupes the redelivery', async () => {
    const handler = createWebhookHandler();
    const integration = webhookIntegration(receiver.url, secret);
    receiver.setMode('fail500');
    expect((await handler.execute(handlerContext({ integration, attempt: 1 }))).kind).toBe('retryable');
    receiver.setMode('confirm');
    const second = expectKind(await handler.execute(handlerContext({ integration, attempt: 2 })), 'completed');
    // A crash after the call re-runs the attempt: the receiver replays its first answer instead of ordering twice.
    const rerun = expectKind(await handler.execute(handlerContext({ integration, attempt: 2 })), 'completed');

    expect(receiver.deliveries()).toHaveLength(3);
    expect(receiver.uniqueWebhookIds()).toEqual(['act_1:int_webhook']);
    const timestamps = receiver.deliveries().map((d) => d.timestamp);
    expect(timestamps.every((t) => /^\d+$/.test(t))).toBe(true);
    expect(rerun.orderNumber).toBe(second.orderNumber);
  });

  test('a receiver that does not answer in timeoutSeconds is a retryable timeout', async () => {
    receiver.setMode('hang');
    const ctx = handlerContext({ integration: webhookIntegration(receiver.url, secret, { timeoutSeconds: 1 }) });
    const started = Date.now();
    const result = expectKind(await createWebhookHandler().execute(ctx), 'retryable');
    expect(result.error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("the engine's step signal aborts the call too", async () => {
    receiver.setMode('hang');
    const controller = new AbortController();
    const ctx = handlerContext({ integration: webhookIntegration(receiver.url, secret), signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const result = expectKind(await createWebhookHandler().execute(ctx), 'retryable');
    expect(result.error.code).toBe('timeout');
    expect(result.error.message).toContain('budget');
  });

  test('a redirect is not followed: the receiver behind it gets nothing and the step fails permanently', async () => {
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: receiver.url });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/old`;
      const result = expectKind(await createWebhookHandler().execute(handlerContext({ integration: webhookIntegration(url, secret) })), 'permanent');
      expect(result.error.message).toContain('307');
      expect(receiver.deliveries()).toHaveLength(0);
    } finally {
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  test('a refused connection is retryable', async () => {
    const url = receiver.url;
    await receiver.close();
    receiver = await startWebhookReceiver({ secret, mode: 'confirm' });
    const result = expectKind(await createWebhookHandler().execute(handlerContext({ integration: webhookIntegration(url, secret) })), 'retryable');
    expect(result.error.code).toBe('unavailable');
  });
});

describe('webhook handler response mapping', () => {
  const integration = webhookIntegration('https://provider.example/hooks?token=abc');

  async function run(fetchImpl: typeof fetch): Promise<HandlerResult> {
    return createWebhookHandler({ fetch: fetchImpl }).execute(handlerContext({ integration }));
  }

  test('2xx confirmed without an order number uses the allocated one', async () => {
    const ctx = handlerContext({ integration });
    const result = await createWebhookHandler({ fetch: fakeFetch(200, JSON.stringify({ status: 'confirmed' })) }).execute(ctx);
    expect(result).toMatchObject({ kind: 'completed', orderNumber: 'DC-1547' });
    expect(ctx.allocatedOrderNumbers).toBe(1);
  });

  test('2xx without a confirmed status (or without a body) awaits', async () => {
    expect((await run(fakeFetch(200, JSON.stringify({ status: 'queued' })))).kind).toBe('awaiting');
    expect((await run(fakeFetch(204))).kind).toBe('awaiting');
    expect((await run(fakeFetch(200, 'OK'))).kind).toBe('awaiting');
    expect((await run(fakeFetch(202, JSON.stringify({ status: 'confirmed' })))).kind).toBe('awaiting');
  });

  test('429 honours Retry-After in seconds and as an HTTP date', async () => {
    expect(await run(fakeFetch(429, '', { 'retry-after': '7' }))).toMatchObject({ kind: 'retryable', retryAfterMs: 7000, error: { code: 'rate_limited' } });
    const inTwentySeconds = new Date(Date.now() + 20_000).toUTCString();
    const dated = expectKind(await run(fakeFetch(429, '', { 'retry-after': inTwentySeconds })), 'retryable');
    expect(dated.retryAfterMs).toBeGreaterThan(15_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(expectKind(await run(fakeFetch(429)), 'retryable').retryAfterMs).toBeUndefined();
  });

  test('408 and 503 are retryable; 401, 404 and 3xx are permanent', async () => {
    expect(await run(fakeFetch(408))).toMatchObject({ kind: 'retryable', error: { code: 'timeout' } });
    expect(await run(fakeFetch(503, '', { 'retry-after': '3' }))).toMatchObject({ kind: 'retryable', retryAfterMs: 3000 });
    expect(await run(fakeFetch(401))).toMatchObject({ kind: 'permanent', error: { code: 'unauthorized' } });
    expect(await run(fakeFetch(404))).toMatchObject({ kind: 'permanent', error: { code: 'misconfigured' } });
    expect(await run(fakeFetch(302, '', { location: 'https://elsewhere.example/' }))).toMatchObject({ kind: 'permanent', error: { code: 'misconfigured' } });
  });

  test('redirects are not followed, and operator messages never show the URL path or query', async () => {
    let init: RequestInit | undefined;
    const capture = (async (_url: string | URL | Request, requestInit?: RequestInit) => {
      init = requestInit;
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    }) as typeof fetch;
    const result = expectKind(await run(capture), 'retryable');
    expect(init?.redirect).toBe('manual');
    expect(result.error.message).toBe('Could not reach provider.example: connect ECONNREFUSED');
  });

  test('canHandle and execute refuse a missing secret or a non-http URL', async () => {
    const handler = createWebhookHandler();
    const noSecret = { ...integration, secrets: {} };
    expect(handler.canHandle(sampleAction(), sampleProvider, noSecret)).toMatchObject({ ok: false });
    expect(handler.canHandle(sampleAction(), sampleProvider, webhookIntegration('ftp://x.example/'))).toMatchObject({ ok: false, reason: expect.stringContaining('url') });
    expect(handler.canHandle(sampleAction(), sampleProvider, integration)).toEqual({ ok: true });
    expect(handler.canHandle(sampleAction({ type: 'booking' }), sampleProvider, integration)).toMatchObject({ ok: false });
    expect(await handler.execute(handlerContext({ integration: noSecret }))).toMatchObject({ kind: 'permanent', error: { code: 'misconfigured' } });
  });
});

describe('accept (202) then signed confirmation through the confirm router', () => {
  test('the receiver confirms later and the engine outcome is applied once', async () => {
    const secret = generateWebhookSecret();
    const calls: Array<{ executionId: string; completion: Completion }> = [];
    let applied = false;
    const outcomes: ExternalOutcomes = {
      async confirm(executionId, completion): Promise<OutcomeResult> {
        calls.push({ executionId, completion });
        const first = !applied;
        applied = true;
        return { applied: first, status: 'completed' };
      },
      decline: async () => ({ applied: false, status: 'failed' }),
      reportFulfillment: async () => ({ applied: false, status: 'completed' }),
    };
    const app = express();
    app.use(createWebhookConfirmRouter({ secretFor: async () => secret, executionBelongsTo: async () => true, outcomes, logger: silentLogger }));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const receiver = await startWebhookReceiver({ secret, mode: 'accept', delayMs: 50 });
    try {
      const result = await createWebhookHandler().execute(handlerContext({ integration: webhookIntegration(receiver.url, secret), publicBaseUrl: apiBase }));
      expect(result.kind).toBe('awaiting');
      await receiver.settled();
      expect(calls).toEqual([{ executionId: 'exec_1', completion: { orderNumber: 'WH-1001', readyInMinutes: 12, externalRef: expect.stringMatching(/^msg_/) } }]);

      const duplicate = await receiver.confirmAsync('act_1:int_webhook', { orderNumber: 'WH-1001' });
      expect(duplicate).toEqual({ status: 200, body: { applied: false, status: 'completed' } });
    } finally {
      await receiver.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
