import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Completion, ExternalOutcomes, OutcomeResult } from '../../src/engine/types.js';
import { createWebhookConfirmRouter } from './confirm-router.js';
import { generateWebhookSecret, signWebhook, unixSeconds } from './signing.js';
import { silentLogger } from '../../test/support/webhook-context.js';

const secret = generateWebhookSecret();

interface Recorded { confirms: Array<[string, Completion]>; declines: Array<[string, string]> }

function recordingOutcomes(recorded: Recorded): ExternalOutcomes {
  const settled = new Set<string>();
  const apply = (executionId: string, status: OutcomeResult['status']): OutcomeResult => {
    const applied = !settled.has(executionId);
    settled.add(executionId);
    return { applied, status };
  };
  return {
    async confirm(executionId, completion) {
      recorded.confirms.push([executionId, completion]);
      return apply(executionId, 'completed');
    },
    async decline(executionId, reason) {
      recorded.declines.push([executionId, reason]);
      return apply(executionId, 'failed');
    },
    reportFulfillment: async () => ({ applied: false, status: 'completed' }),
  };
}

describe('webhook confirm router', () => {
  let server: Server;
  let base: string;
  const recorded: Recorded = { confirms: [], declines: [] };

  beforeAll(async () => {
    const app = express();
    app.use(
      createWebhookConfirmRouter({
        secretFor: async (providerId) => (providerId === 'prov_1' ? secret : null),
        executionBelongsTo: async (executionId, providerId) => providerId === 'prov_1' && executionId.startsWith('exec_'),
        outcomes: recordingOutcomes(recorded),
        logger: silentLogger,
      }),
    );
    // An app-wide JSON parser mounted after the router must not interfere with the raw body.
    app.use(express.json());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    recorded.confirms.length = 0;
    recorded.declines.length = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function post(body: string, opts: { providerId?: string; signWith?: string; timestamp?: number; id?: string } = {}) {
    const id = opts.id ?? 'msg_confirm_1';
    const timestamp = opts.timestamp ?? unixSeconds(new Date());
    const response = await fetch(`${base}/integrations/webhooks/${opts.providerId ?? 'prov_1'}/confirm`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({ id, timestamp, body, secret: opts.signWith ?? secret }),
      },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  test('a signed confirmation confirms the execution with order number and ready time', async () => {
    const body = JSON.stringify({ execution_id: 'exec_1', status: 'confirmed', order_number: 'K-77', ready_in_minutes: 9 });
    expect(await post(body)).toEqual({ status: 200, json: { applied: true, status: 'completed' } });
    expect(recorded.confirms).toEqual([['exec_1', { orderNumber: 'K-77', readyInMinutes: 9, externalRef: 'msg_confirm_1' }]]);
  });

  test('a duplicate (or late) confirmation answers 200 with applied:false', async () => {
    const body = JSON.stringify({ execution_id: 'exec_dup', status: 'confirmed' });
    expect((await post(body)).json).toMatchObject({ applied: true });
    expect(await post(body)).toEqual({ status: 200, json: { applied: false, status: 'completed' } });
  });

  test('a signed decline declines with the reason', async () => {
    const body = JSON.stringify({ execution_id: 'exec_2', status: 'declined', reason: 'Out of oat milk' });
    expect((await post(body)).status).toBe(200);
    expect(recorded.declines).toEqual([['exec_2', 'Out of oat milk']]);
  });

  test('a confirmation signed by the standardwebhooks package is accepted', async () => {
    const body = JSON.stringify({ execution_id: 'exec_3', status: 'confirmed' });
    const now = new Date();
    const response = await fetch(`${base}/integrations/webhooks/prov_1/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_x', 'webhook-timestamp': String(unixSeconds(now)), 'webhook-signature': new Webhook(secret).sign('msg_x', now, body) },
      body,
    });
    expect(response.status).toBe(200);
  });

  test('a bad signature or a stale timestamp is 401 and changes nothing', async () => {
    const body = JSON.stringify({ execution_id: 'exec_4', status: 'confirmed' });
    const wrongKey = await post(body, { signWith: generateWebhookSecret() });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.json).toEqual({ error: { code: 'invalid_signature', message: expect.stringContaining('no_matching_signature') } });
    const stale = await post(body, { timestamp: unixSeconds(new Date()) - 301 });
    expect(stale.status).toBe(401);
    expect(stale.json).toMatchObject({ error: { code: 'invalid_signature', message: expect.stringContaining('timestamp_too_old') } });
    const unsigned = await fetch(`${base}/integrations/webhooks/prov_1/confirm`, { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    expect(recorded.confirms).toEqual([]);
  });

  test('an invalid body is 400 naming the field', async () => {
    const missing = await post(JSON.stringify({ status: 'confirmed' }));
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: 'invalid_request', field: 'execution_id', message: expect.stringContaining('execution_id') } });
    const badStatus = await post(JSON.stringify({ execution_id: 'exec_5', status: 'maybe' }));
    expect(badStatus.json).toMatchObject({ error: { field: 'status' } });
    const notJson = await post('status=confirmed');
    expect(notJson.status).toBe(400);
    expect(recorded.confirms).toEqual([]);
  });

  test("an execution of another provider is 404; an unknown provider is 404", async () => {
    const foreign = await post(JSON.stringify({ execution_id: 'other_9', status: 'confirmed' }));
    expect(foreign.status).toBe(404);
    const unknown = await post(JSON.stringify({ execution_id: 'exec_1', status: 'confirmed' }), { providerId: 'prov_x' });
    expect(unknown.status).toBe(404);
    expect(recorded.confirms).toEqual([]);
  });

  test('a body over 64kb is 413 in the JSON error shape', async () => {
    const big = JSON.stringify({ execution_id: 'exec_6', status: 'confirmed', reason: 'x'.repeat(70 * 1024) });
    const response = await post(big);
    expect(response).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large' } } });
  });
});
