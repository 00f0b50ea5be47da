/**
 * Provider events that arrive before the action gets there are not lost. Our choice: an event we cannot apply
 * yet (an unknown order id while the café has orders in flight; "ready" for an order still being placed; a
 * webhook confirmation for a delivery we have not recorded yet) is answered 503 with Retry-After and is not
 * marked seen, so the provider's own redelivery is processed once the action is there. A cancellation is
 * applied whenever it comes. Both arrival orders, in one process and across a worker kill.
 */
import { jest } from '@jest/globals';
import { SquareClient } from 'square';
import { buildCreateOrderRequest } from '../../handlers/square/order-request.js';
import { startSquareSimulator, type SquareSimulator } from '../../handlers/square/simulator.js';
import { generateWebhookSecret } from '../../handlers/webhook/signing.js';
import { ExternalRef, Integration, IntegrationSecret } from '../../src/storage/models.js';
import { pricedOrder } from '../support/square-fixtures.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { createSimulatorHttpClient, startTwilioSimulator, type TwilioSimulator } from '../support/twilio-simulator.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { smsWorkerEnv, Workers } from '../support/workers.js';

jest.setTimeout(120_000);

const TWILIO = { sid: `AC${'b'.repeat(32)}`, token: 'twilio-test-auth-token-654321', from: '+15005550006' };
const SIGNATURE_KEY = 'sq-signature-key-early';

async function withSquare(svc: TestService): Promise<{ square: SquareSimulator; integrationId: string }> {
  const square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: SIGNATURE_KEY } });
  const integration = await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 10, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 10 } });
  await IntegrationSecret.create({ _id: integration._id, values: { accessToken: square.accessToken, webhookSignatureKey: SIGNATURE_KEY } });
  return { square, integrationId: integration._id.toString() };
}

/** "Ready" is a fulfillment update on a completed action: its status stays completed. */
const readyReported = (svc: TestService, id: string) =>
  waitFor(async () => { const s = await svc.status(id); return s.statusUpdates.at(-1)?.status === 'ready' ? s : null; }, 'the ready update');

describe('one process', () => {
  let svc: TestService;
  let square: SquareSimulator;
  beforeAll(async () => {
    svc = await startTestService({ env: { STEP_TIMEOUT_MS: '2000' } });
    ({ square } = await withSquare(svc));
  });
  afterAll(async () => {
    await svc?.close();
    await square?.close();
  });

  test('"ready" after our completion is applied at once (the usual order)', async () => {
    const id = (await svc.order()).body.action.id;
    await waitForStatus(svc, id, 'completed');
    const orderId = square.orders().at(-1)!.id;
    expect(await ExternalRef.exists({ actionId: id })).toBeTruthy();
    await square.advanceFulfillment(orderId, 'PREPARED');
    expect(square.webhookDeliveries().at(-1)!.status).toBe(200);
    await readyReported(svc, id);
  });

  test('"ready" before we know the order id (Square answered, we never heard back) → 503, and the redelivery applies it after completion', async () => {
    square.setFault({ kind: 'accept_then_hang', count: 1 });
    const id = (await svc.order()).body.action.id;
    const order = await waitFor(() => square.orders().find((o) => o.reference_id === id), 'Square to accept the order');
    await square.advanceFulfillment(order.id, 'PREPARED');
    const early = square.webhookDeliveries().at(-1)!;
    expect(early.status).toBe(503);
    expect((await svc.status(id)).action.status).not.toBe('ready');

    await waitForStatus(svc, id, 'completed'); // the retry gets Square's existing order back (same idempotency key)
    expect((await square.redeliver(early.eventId)).status).toBe(200);
    const status = await readyReported(svc, id);
    expect(status.statusUpdates.map((u) => u.status).slice(-2)).toEqual(['completed', 'ready']);
  });

  test('an order id we have no record of is looked up in Square: an in-store order is acknowledged (200) even while ours are in flight', async () => {
    square.setFault({ kind: 'slow', ms: 1500, count: 1 });
    const id = (await svc.order()).body.action.id;
    // Ours is in flight (the POS call is slow) while an in-store order changes state.
    await waitFor(async () => ((await svc.status(id)).action.executions.some((e) => e.status === 'running') ? true : null), 'our POS call in flight');
    const client = new SquareClient({ token: square.accessToken, baseUrl: square.baseUrl });
    const walkIn = await client.orders.create(buildCreateOrderRequest({
      idempotencyKey: `walk-in-${id}`, actionId: 'walk-in-7', orderNumber: 'POS-7', order: pricedOrder(), locationId: 'L1', prepMinutes: 5, catalogMap: undefined,
    }));
    await square.advanceFulfillment(walkIn.order!.id!, 'PREPARED');
    expect(square.webhookDeliveries().at(-1)!.status).toBe(200); // not ours: Square must not redeliver it for a day
    await waitForStatus(svc, id, 'completed');
  });
});

describe('across a worker kill', () => {
  let svc: TestService;
  let square: SquareSimulator;
  let receiver: WebhookReceiver;
  let twilioSim: TwilioSimulator;
  let squareIntegrationId: string;
  const workers = new Workers();

  beforeAll(async () => {
    twilioSim = await startTwilioSimulator({ accountSid: TWILIO.sid, authToken: TWILIO.token });
    // The API process applies the redelivered cancel and sends its SMS at once: its twilio SDK talks to the simulator too.
    svc = await startTestService({ env: { ROLE: 'api', TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token, TWILIO_FROM: TWILIO.from }, twilioHttpClient: createSimulatorHttpClient(twilioSim.url) });
    ({ square, integrationId: squareIntegrationId } = await withSquare(svc));
  });
  afterEach(async () => { await workers.killAll(); });
  afterAll(async () => {
    await svc?.close();
    await Promise.all([square?.close(), receiver?.close(), twilioSim?.close()]);
  });

  const env = () => smsWorkerEnv(svc, { url: twilioSim.url, ...TWILIO }, { NOTIFY_FALLBACK_AFTER_MS: '3000' });

  test('POS accepts → worker killed → the café cancels → takeover completes → the redelivered cancel reaches the customer', async () => {
    const phone = '+14155550166';
    square.setFault({ kind: 'accept_then_hang', count: 1 });
    await workers.one(env());
    const id = (await svc.order({ ...SEED_ORDER, customer_phone: phone })).body.action.id;
    const order = await waitFor(() => square.orders().find((o) => o.reference_id === id), 'Square to accept the order');
    await workers.killAll();

    await square.advanceFulfillment(order.id, 'CANCELED');
    const early = square.webhookDeliveries().at(-1)!;
    expect(early.status).toBe(503); // not "ignored: unknown order" any more

    await workers.one(env());
    await waitForStatus(svc, id, 'completed', 60_000);
    // The worker texts "confirmed" just after the status is written: wait for it, so the cancellation (sent by
    // the API process) cannot overtake it on a loaded machine.
    await waitFor(() => twilioSim.messages().some((m) => m.to === phone && /confirmed/.test(m.body)), 'the confirmation SMS', 60_000);
    expect((await square.redeliver(early.eventId)).status).toBe(200);
    const status = await waitForStatus(svc, id, 'cancelled');
    expect(status.statusUpdates.map((u) => u.status).slice(-2)).toEqual(['completed', 'cancelled']);
    expect(status.statusUpdates.at(-1)!.message).toMatch(/cancel/i);
    expect(square.orders().filter((o) => o.reference_id === id)).toHaveLength(1);
    // Told "confirmed" by SMS, so told "cancelled" by SMS too.
    const texts = await waitFor(() => { const t = twilioSim.messages().filter((m) => m.to === phone); return t.length >= 2 ? t : null; }, 'the confirmation and cancellation SMS', 60_000);
    expect(texts.map((m) => m.body)).toEqual([expect.stringMatching(/Order #DC-\d+ confirmed/), expect.stringMatching(/Order #DC-\d+ was cancelled by the café\./)]);
  });

  test('a webhook confirmation that beats our record of the delivery → 503, then the retried one completes the order', async () => {
    await Integration.updateOne({ _id: squareIntegrationId }, { $set: { enabled: false } });
    const secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret, mode: 'hang', confirmUrl: `${svc.baseUrl}/integrations/webhooks/${svc.creds.providerId}/confirm` });
    const wh = await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'webhook', name: 'webhook', priority: 20, config: { url: receiver.url, timeoutSeconds: 10 } });
    await IntegrationSecret.create({ _id: wh._id, values: { signingSecret: secret } });

    await workers.one(env());
    const id = (await svc.order()).body.action.id;
    const delivery = await waitFor(() => receiver.deliveries().find((d) => d.webhookId.startsWith(id)), 'the receiver to get the order');
    await workers.killAll();

    const early = await receiver.confirmAsync(delivery.webhookId);
    expect(early.status).toBe(503);
    expect((await svc.status(id)).action.status).toBe('executing');

    receiver.setMode('accept'); // the re-run delivery is answered 202; the receiver's retried confirmation completes it
    await workers.one(env());
    await waitForStatus(svc, id, 'awaiting_confirmation', 60_000);
    expect((await receiver.confirmAsync(delivery.webhookId)).status).toBe(200);
    await waitForStatus(svc, id, 'completed');
  });
});
