/**
 * The full provider chain over real protocols: Square (square SDK → simulator) → signed webhook
 * (receiver verifies with standardwebhooks) → email (SMTP) → manual task, with customer SMS through the
 * twilio SDK → Twilio simulator, Square fulfillment webhooks, Twilio status callbacks and socket.io events.
 */
import { jest } from '@jest/globals';
import { startSquareSimulator, type SquareSimulator } from '../../handlers/square/simulator.js';
import { generateWebhookSecret, signWebhook } from '../../handlers/webhook/signing.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { createSimulatorHttpClient, startTwilioSimulator, type TwilioSimulator } from '../support/twilio-simulator.js';
import { Integration, IntegrationSecret, Notification } from '../../src/storage/models.js';
import { listen, SEED_ORDER, startTestService, waitFor, waitForStatus, type EventLog, type TestService } from '../support/harness.js';
import { confirmLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

jest.setTimeout(90_000);

const TWILIO = { sid: `AC${'b'.repeat(32)}`, token: 'twilio-test-auth-token-abcdef', from: '+15005550006' };
const PHONE = '+14155550142';
let svc: TestService;
let square: SquareSimulator;
let receiver: WebhookReceiver;
let twilioSim: TwilioSimulator;
let smtp: SmtpSink;
let events: EventLog;
let webhookSecret: string;
let ids: { square: string; webhook: string };

beforeAll(async () => {
  smtp = await startSmtpSink();
  twilioSim = await startTwilioSimulator({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  svc = await startTestService({
    env: { SMTP_URL: smtp.url, TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token, TWILIO_FROM: TWILIO.from },
    twilioHttpClient: createSimulatorHttpClient(twilioSim.url),
    retryPolicies: { square: { maxAttempts: 3, initialDelayMs: 100 }, webhook: { maxAttempts: 2, initialDelayMs: 100 }, email: { maxAttempts: 2, initialDelayMs: 100 } },
  });
  square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: 'sq-key' } });
  webhookSecret = generateWebhookSecret();
  receiver = await startWebhookReceiver({ secret: webhookSecret, mode: 'confirm', confirmUrl: `${svc.baseUrl}/integrations/webhooks/${svc.creds.providerId}/confirm` });
  const [sq, wh] = await Integration.create([
    { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 10, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 5 } },
    { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'webhook', name: 'webhook', priority: 20, config: { url: receiver.url, timeoutSeconds: 5 } },
  ]);
  ids = { square: sq!._id.toString(), webhook: wh!._id.toString() };
  await IntegrationSecret.create([{ _id: sq!._id, values: { accessToken: square.accessToken, webhookSignatureKey: 'sq-key' } }, { _id: wh!._id, values: { signingSecret: webhookSecret } }]);
  events = await listen(svc);
});
afterAll(async () => {
  events?.close();
  await svc?.close();
  await Promise.all([square?.close(), receiver?.close(), twilioSim?.close(), smtp?.close()]);
});
beforeEach(() => { square.setFault(null); receiver.setMode('confirm'); smtp.failNext(null); });

const smsFor = (n: number) => waitFor(() => { const m = twilioSim.messages().filter((x) => x.to === PHONE); return m.length >= n ? m : null; }, `${n} SMS`);
const chainOf = (s: Awaited<ReturnType<TestService['status']>>) => s.action.executions.map((e) => `${e.handlerName}:${e.status}`);

test('Square ok: order placed with modifiers, receipt from Square totals, SMS on confirmation and on "ready"', async () => {
  const { body } = await svc.order({ ...SEED_ORDER, pickup_time: undefined, customer_phone: PHONE });
  const id = body.action.id;
  const status = await waitForStatus(svc, id, 'completed');
  expect(chainOf(status)).toEqual(['square:completed']);
  const order = square.order(status.action.executions[0]!.externalRef!)!;
  expect(order).toBeDefined();
  expect(status.action.receipts[0]!.data).toMatchObject({ total: '$8.75', total_cents: 875, order_number: status.action.orderNumber, ready_in_minutes: 12 });

  const [confirmation] = await smsFor(1);
  expect(confirmation!.body).toBe(`Downtown Café: Order #${status.action.orderNumber} confirmed, ready in 12 minutes! Track it: ${String(status.action.trackingUrl)}`);

  // The café marks it prepared in Square → signed webhook → "ready" → second SMS.
  await square.advanceFulfillment(order.id, 'PREPARED');
  const ready = await waitFor(async () => { const s = await svc.status(id); return s.statusUpdates.some((u) => u.status === 'ready') ? s : null; }, 'the ready update');
  expect(ready.action.status).toBe('completed');
  expect((ready.action as Record<string, unknown>).fulfillment).toBe('ready');
  const sms = await smsFor(2);
  expect(sms[1]!.body).toBe(`Downtown Café: Order #${status.action.orderNumber} is ready for pickup!`);
  await waitFor(() => events.events.find((e) => e.name === 'action.ready' && e.payload.actionId === id), 'the action.ready event');

  // Square redelivers the same event: nothing changes, no third SMS.
  await square.redeliver(square.webhookDeliveries().at(-1)!.eventId);
  await new Promise((r) => setTimeout(r, 500));
  expect(twilioSim.messages().filter((m) => m.to === PHONE)).toHaveLength(2);

  // Twilio reports delivery with a signed status callback.
  expect((await twilioSim.deliver(sms[0]!.sid, 'delivered')).status).toBeLessThan(300);
  await waitFor(async () => (await Notification.findOne({ externalId: sms[0]!.sid }).lean())?.deliveryStatus === 'delivered', 'the delivery status');
});

test('Square 5xx ×3 → retried, then the signed webhook confirms', async () => {
  square.setFault({ kind: 'status', status: 503 });
  const { body } = await svc.order();
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(chainOf(status)).toEqual(['square:retrying', 'square:retrying', 'square:failed', 'webhook:completed']);
  const delivery = receiver.deliveries().find((d) => (d.body as { data?: { action_id?: string } })?.data?.action_id === body.action.id)!;
  expect(delivery.verified).toBe(true);
  expect(delivery.webhookId).toBe(`${body.action.id}:${ids.webhook}`);
  expect(status.action.receipts[0]!.data).toMatchObject({ total: '$8.75' });
});

test('Square 401 skips straight to the webhook without retrying', async () => {
  square.setFault({ kind: 'bad_token' });
  const before = square.requestCount();
  const { body } = await svc.order();
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(square.requestCount() - before).toBe(1);
  expect(chainOf(status)).toEqual(['square:failed', 'webhook:completed']);
  expect(status.action.executions[0]!.error).toMatchObject({ code: 'unauthorized' });
  // Operators see what needs fixing on the integration itself.
  const integrations = await svc.api<{ integrations: Array<{ id: string; health: { lastError: { code: string; actionId: string } | null } }> }>('GET', `/providers/${svc.creds.providerId}/integrations`);
  expect(integrations.body.integrations.find((i) => i.id === ids.square)!.health.lastError).toMatchObject({ code: 'unauthorized', actionId: body.action.id });
});

test('webhook 202 then a signed asynchronous confirmation; a forged one is refused', async () => {
  square.setFault({ kind: 'status', status: 500 });
  receiver.setMode('accept');
  const { body } = await svc.order();
  const id = body.action.id;
  await waitForStatus(svc, id, 'awaiting_confirmation');
  const execution = (await svc.status(id)).action.executions.find((e) => e.handlerName === 'webhook') as unknown as { id: string };

  const forged = JSON.stringify({ execution_id: execution.id, status: 'confirmed', order_number: 'FAKE-1' });
  const sig = signWebhook({ id: 'msg_forged', timestamp: Math.floor(Date.now() / 1000), body: forged, secret: generateWebhookSecret() });
  const refused = await fetch(`${svc.baseUrl}/integrations/webhooks/${svc.creds.providerId}/confirm`, {
    method: 'POST', body: forged, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': sig },
  });
  expect(refused.status).toBe(401);
  expect((await svc.status(id)).action.status).toBe('awaiting_confirmation');

  const webhookId = receiver.deliveries().find((d) => (d.body as { data?: { action_id?: string } })?.data?.action_id === id)!.webhookId;
  await receiver.confirmAsync(webhookId);
  const status = await waitForStatus(svc, id, 'completed');
  expect(status.action.orderNumber).not.toBe('FAKE-1');
  expect(chainOf(status).at(-1)).toBe('webhook:completed');
});

test('webhook 4xx → email → confirm link', async () => {
  square.setFault({ kind: 'status', status: 500 });
  receiver.setMode('fail400');
  const mailsBefore = smtp.messages.length;
  const { body } = await svc.order();
  await waitForStatus(svc, body.action.id, 'awaiting_confirmation');
  const mail = await waitFor(() => smtp.messages[mailsBefore], 'the order email');
  await fetch(confirmLink(mail), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ready_in_minutes=9&order_number=DC-EMAIL-1' });
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(chainOf(status)).toEqual(['square:retrying', 'square:retrying', 'square:failed', 'webhook:failed', 'email:completed']);
  expect(status.action.receipts[0]!.data).toMatchObject({ order_number: 'DC-EMAIL-1', ready_in_minutes: 9 });
});

test('everything down → a manual task, completed by an operator', async () => {
  square.setFault({ kind: 'status', status: 500 });
  receiver.setMode('fail500');
  smtp.failNext(451);
  const { body } = await svc.order();
  const task = await waitFor(async () => (await svc.api<{ tasks: Array<{ id: string; actionId: string }> }>('GET', '/manual-tasks')).body.tasks.find((t) => String(t.actionId) === body.action.id), 'a manual task');
  await svc.api('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op' } });
  await svc.api('POST', `/manual-tasks/${task.id}/complete`, { body: { operatorId: 'op', readyInMinutes: 4 } });
  const status = await waitForStatus(svc, body.action.id, 'completed');
  expect(chainOf(status)).toEqual(['square:retrying', 'square:retrying', 'square:failed', 'webhook:retrying', 'webhook:failed', 'email:retrying', 'email:failed', 'manual:completed']);
});

test('onboarding: "send a test order" reaches the Square simulator and reports the outcome', async () => {
  const before = square.orders().length;
  const ok = await svc.api<{ ok: boolean; handler: string; outcome: string }>('POST', `/providers/${svc.creds.providerId}/integrations/${ids.square}/test`);
  expect(ok.body).toMatchObject({ ok: true, handler: 'square', outcome: 'completed' });
  expect(square.orders()).toHaveLength(before + 1);
  square.setFault({ kind: 'bad_token' });
  const bad = await svc.api<{ ok: boolean; outcome: string; detail: string }>('POST', `/providers/${svc.creds.providerId}/integrations/${ids.square}/test`);
  expect(bad.body).toMatchObject({ ok: false, outcome: 'permanent' });
  expect(JSON.stringify(bad.body)).not.toContain(square.accessToken);
});
