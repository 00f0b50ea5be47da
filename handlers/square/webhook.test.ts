import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { WebhooksHelper } from 'square';
import type { FulfillmentState, OutcomeResult } from '../../src/engine/types.js';
import { createSquareHandler } from './handler.js';
import { signSquareWebhook, startSquareSimulator, type SquareSimulator } from './simulator.js';
import { action, handlerContext, integration, silentLogger } from '../../test/support/square-fixtures.js';
import { createSquareWebhookRouter, SQUARE_SIGNATURE_HEADER, verifySquareSignature, type SquareWebhookDeps } from './webhook.js';

const KEY = 'whsec-test-signature-key';
const URL_ = 'https://api.example.test/integrations/square/webhooks/prov_1';
const BODY = JSON.stringify({ event_id: 'e1', type: 'order.fulfillment.updated' });

describe('verifySquareSignature', () => {
  const good = signSquareWebhook(KEY, URL_, BODY);

  it('accepts the signature Square computes and agrees with the SDK helper', async () => {
    expect(verifySquareSignature({ rawBody: BODY, signatureHeader: good, signatureKey: KEY, notificationUrl: URL_ })).toBe(true);
    expect(verifySquareSignature({ rawBody: Buffer.from(BODY), signatureHeader: good, signatureKey: KEY, notificationUrl: URL_ })).toBe(true);
    expect(await WebhooksHelper.verifySignature({ requestBody: BODY, signatureHeader: good, signatureKey: KEY, notificationUrl: URL_ })).toBe(true);
  });

  it.each([
    ['a tampered body', { rawBody: BODY.replace('e1', 'e2') }],
    ['another notification URL', { notificationUrl: `${URL_}/` }],
    ['another key', { signatureKey: 'other-key' }],
    ['a missing header', { signatureHeader: undefined }],
    ['a garbage header', { signatureHeader: 'not-base64!!' }],
    ['a truncated signature', { signatureHeader: good.slice(0, -4) }],
  ])('rejects %s, as the SDK helper does', async (_label, change) => {
    const input = { rawBody: BODY, signatureHeader: good as string | undefined, signatureKey: KEY, notificationUrl: URL_, ...change };
    expect(verifySquareSignature(input)).toBe(false);
    const sdk = await WebhooksHelper.verifySignature({
      requestBody: String(input.rawBody),
      signatureHeader: input.signatureHeader ?? '',
      signatureKey: input.signatureKey,
      notificationUrl: input.notificationUrl,
    });
    expect(sdk).toBe(false);
  });
});

describe('square webhook route fed by the simulator', () => {
  let server: Server;
  let sim: SquareSimulator;
  let baseUrl: string;
  let reports: { actionId: string; state: FulfillmentState; message: string }[];
  let seen: Set<string>;
  let forgotten: string[];
  let failNextReport: boolean;
  let actionBySquareOrder: Map<string, string>;
  /** What RetrieveOrder says about an order id we have no record of (the simulator's reference_id by default). */
  let orderReference: (orderId: string) => Promise<string | null | undefined>;
  let actionStates: Map<string, 'live' | 'done'>;

  const notificationUrl = (providerId: string) => `${baseUrl}/integrations/square/webhooks/${providerId}`;

  function deps(): SquareWebhookDeps {
    return {
      signatureKeyFor: async (providerId) => (providerId === 'prov_1' ? KEY : null),
      notificationUrl,
      findActionIdBySquareOrder: async (providerId, orderId) => (providerId === 'prov_1' ? (actionBySquareOrder.get(orderId) ?? null) : null),
      squareOrderReference: async (_providerId, orderId) => orderReference(orderId),
      actionState: async (_providerId, actionId) => actionStates.get(actionId) ?? null,
      markEventSeen: async (eventId) => {
        if (seen.has(eventId)) return false;
        seen.add(eventId);
        return true;
      },
      forgetEvent: async (eventId) => {
        seen.delete(eventId);
        forgotten.push(eventId);
      },
      outcomes: {
        reportFulfillment: async (actionId, state, message): Promise<OutcomeResult> => {
          if (failNextReport) {
            failNextReport = false;
            throw new Error('database unavailable');
          }
          reports.push({ actionId, state, message });
          return { applied: true, status: 'completed' };
        },
      },
      logger: silentLogger,
    };
  }

  async function listen(app: express.Express): Promise<void> {
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Places a real order through the handler so the webhook refers to an order Square (the simulator) knows. */
  async function placeOrder(actionId = 'act_1'): Promise<string> {
    const ctx = handlerContext({
      action: action({ id: actionId }),
      idempotencyKey: `${actionId}:int_square`,
      integration: integration({ locationId: 'LOC_1', baseUrl: sim.baseUrl }, { accessToken: sim.accessToken }),
    }).ctx;
    const result = await createSquareHandler().execute(ctx);
    if (result.kind !== 'completed' || !result.externalRef) throw new Error(`order not placed: ${JSON.stringify(result)}`);
    actionBySquareOrder.set(result.externalRef, actionId);
    return result.externalRef;
  }

  function post(providerId: string, body: string, signature: string | null): Promise<globalThis.Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers[SQUARE_SIGNATURE_HEADER] = signature;
    return fetch(notificationUrl(providerId), { method: 'POST', headers, body });
  }

  beforeEach(async () => {
    reports = [];
    seen = new Set();
    forgotten = [];
    failNextReport = false;
    actionBySquareOrder = new Map();
    actionStates = new Map();
    orderReference = async (orderId) => sim.orders().find((o) => o.id === orderId)?.reference_id;
    const app = express();
    app.use(createSquareWebhookRouter(deps()));
    await listen(app);
    sim = await startSquareSimulator({ webhook: { url: notificationUrl('prov_1'), signatureKey: KEY } });
  });

  afterEach(async () => {
    await sim.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('PREPARED → ready, reported once even when Square delivers the event twice', async () => {
    const orderId = await placeOrder();
    await sim.advanceFulfillment(orderId, 'PREPARED');
    const [delivery] = sim.webhookDeliveries();
    expect(delivery?.status).toBe(200);

    const again = await sim.redeliver(delivery?.eventId ?? '');
    expect(again.status).toBe(200);
    expect(reports).toEqual([{ actionId: 'act_1', state: 'ready', message: 'Your order is ready for pickup' }]);
  });

  it('COMPLETED → picked_up and CANCELED → cancelled', async () => {
    await sim.advanceFulfillment(await placeOrder('act_1'), 'COMPLETED');
    await sim.advanceFulfillment(await placeOrder('act_2'), 'CANCELED');

    expect(reports).toEqual([
      { actionId: 'act_1', state: 'picked_up', message: 'Your order was picked up' },
      { actionId: 'act_2', state: 'cancelled', message: 'The café cancelled your order.' },
    ]);
  });

  it('a bad signature is a 401 and changes nothing', async () => {
    const orderId = await placeOrder();
    await sim.advanceFulfillment(orderId, 'PREPARED');
    const delivery = sim.webhookDeliveries()[0];
    reports = [];
    seen.clear();

    const forged = await post('prov_1', delivery?.rawBody ?? '', signSquareWebhook('wrong-key', notificationUrl('prov_1'), delivery?.rawBody ?? ''));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ error: { code: 'invalid_signature', message: expect.any(String) } });

    const tampered = (delivery?.rawBody ?? '').replace('PREPARED', 'COMPLETED');
    expect((await post('prov_1', tampered, delivery?.signature ?? '')).status).toBe(401);
    expect((await post('prov_1', delivery?.rawBody ?? '', null)).status).toBe(401);

    expect(reports).toEqual([]);
    expect(seen.size).toBe(0);
  });

  it('an unknown provider is a 404', async () => {
    const res = await post('prov_unknown', BODY, signSquareWebhook(KEY, notificationUrl('prov_unknown'), BODY));
    expect(res.status).toBe(404);
  });

  it('an order that is not ours is acknowledged and ignored', async () => {
    const orderId = await placeOrder();
    actionBySquareOrder.clear();
    await sim.advanceFulfillment(orderId, 'PREPARED');

    expect(sim.webhookDeliveries()[0]?.status).toBe(200);
    expect(reports).toEqual([]);
  });

  it('an order with no record that Square says is ours and still in flight → 503 + Retry-After, and the event is forgotten', async () => {
    const orderId = await placeOrder('act_2');
    actionBySquareOrder.clear(); // the worker died before recording Square's order id
    actionStates.set('act_2', 'live');
    await sim.advanceFulfillment(orderId, 'PREPARED');
    const [delivery] = sim.webhookDeliveries();
    expect(delivery?.status).toBe(503);
    expect(forgotten).toEqual([delivery?.eventId]);
    expect(reports).toEqual([]);
  });

  it('an order with no record that is ours and finished is applied to that action', async () => {
    const orderId = await placeOrder('act_3');
    actionBySquareOrder.clear();
    actionStates.set('act_3', 'done');
    await sim.advanceFulfillment(orderId, 'CANCELED');
    expect(sim.webhookDeliveries()[0]?.status).toBe(200);
    expect(reports).toEqual([{ actionId: 'act_3', state: 'cancelled', message: 'The café cancelled your order.' }]);
  });

  it('when Square cannot be asked about an unknown order, answers 503 (redelivered later) rather than guessing', async () => {
    const orderId = await placeOrder();
    actionBySquareOrder.clear();
    orderReference = async () => { throw new Error('Square unavailable'); };
    await sim.advanceFulfillment(orderId, 'PREPARED');
    expect(sim.webhookDeliveries()[0]?.status).toBe(503);
    expect(reports).toEqual([]);
  });

  it('other event types are acknowledged and ignored', async () => {
    const body = JSON.stringify({ event_id: 'e-created', type: 'order.created', data: {} });
    const res = await post('prov_1', body, signSquareWebhook(KEY, notificationUrl('prov_1'), body));

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ignored: 'event type' });
    expect(reports).toEqual([]);
  });

  it('when applying fails, answers 500 and forgets the event so the redelivery is applied', async () => {
    const orderId = await placeOrder();
    failNextReport = true;
    await sim.advanceFulfillment(orderId, 'PREPARED');
    const [first] = sim.webhookDeliveries();
    expect(first?.status).toBe(500);
    expect(forgotten).toEqual([first?.eventId]);

    const retry = await sim.redeliver(first?.eventId ?? '');
    expect(retry.status).toBe(200);
    expect(reports).toEqual([{ actionId: 'act_1', state: 'ready', message: 'Your order is ready for pickup' }]);
  });

  it('refuses to guess when an app-wide JSON parser consumed the raw body first', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const app = express();
    app.use(express.json());
    app.use(createSquareWebhookRouter(deps()));
    await listen(app);

    const res = await post('prov_1', BODY, signSquareWebhook(KEY, notificationUrl('prov_1'), BODY));
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'raw_body_unavailable' } });
  });
});
