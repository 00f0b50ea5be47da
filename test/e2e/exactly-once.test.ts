/**
 * Exactly once across a crash: the worker process is killed after the provider accepted the order and
 * before our result was saved; a new worker resumes the step. Square ends with one order and the customer
 * with one SMS; the webhook receiver sees one webhook-id.
 */
import { jest } from '@jest/globals';
import { startSquareSimulator, type SquareSimulator } from '../../handlers/square/simulator.js';
import { generateWebhookSecret } from '../../handlers/webhook/signing.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startTwilioSimulator, type TwilioSimulator } from '../support/twilio-simulator.js';
import { Integration, IntegrationSecret, Notification, Receipt } from '../../src/storage/models.js';
import { executionsOf } from '../../src/storage/executions.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { kill, smsWorkerEnv, Workers } from '../support/workers.js';

jest.setTimeout(120_000);

const TWILIO = { sid: `AC${'a'.repeat(32)}`, token: 'twilio-test-auth-token-123456', from: '+15005550006' };
const PHONE = '+14155550199';
let svc: TestService;
let square: SquareSimulator;
let receiver: WebhookReceiver;
let twilioSim: TwilioSimulator;
const workers = new Workers();
let squareIntegrationId: string;
let webhookIntegrationId: string;

beforeAll(async () => {
  twilioSim = await startTwilioSimulator({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  svc = await startTestService({ env: { ROLE: 'api', TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token, TWILIO_FROM: TWILIO.from } });
  square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: 'sq-signature-key' } });
  const secret = generateWebhookSecret();
  receiver = await startWebhookReceiver({ secret, mode: 'hang' });
  const [sq, wh] = await Integration.create([
    { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 10, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 10 } },
    { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'webhook', name: 'webhook', priority: 20, config: { url: receiver.url, timeoutSeconds: 10 } },
  ]);
  squareIntegrationId = sq!._id.toString();
  webhookIntegrationId = wh!._id.toString();
  await IntegrationSecret.create([
    { _id: sq!._id, values: { accessToken: square.accessToken, webhookSignatureKey: 'sq-signature-key' } },
    { _id: wh!._id, values: { signingSecret: secret } },
  ]);
});
afterEach(async () => {
  await workers.killAll(); // each test starts with no worker running
});
afterAll(async () => {
  await svc?.close();
  await Promise.all([square?.close(), receiver?.close(), twilioSim?.close()]);
});

const env = () => smsWorkerEnv(svc, { url: twilioSim.url, ...TWILIO }, { NOTIFY_FALLBACK_AFTER_MS: '3000' });

async function crashAndResume(accepted: () => boolean, beforeResume: () => void): Promise<string> {
  const first = await workers.one(env());
  const { body } = await svc.order({ ...SEED_ORDER, customer_phone: PHONE });
  const id = body.action.id;
  await waitFor(accepted, 'the provider to accept the order');
  await kill(first);
  expect((await executionsOf(id)).at(-1)).toMatchObject({ status: 'running', runs: 1 });
  beforeResume();
  await workers.one(env());
  await waitForStatus(svc, id, 'completed', 60_000);
  return id;
}

const smsTo = () => twilioSim.messages().filter((m) => m.to === PHONE);

test('Square: killed after Square accepted the order → one Square order, one receipt, one SMS', async () => {
  square.setFault({ kind: 'accept_then_hang', count: 1 });
  const id = await crashAndResume(() => square.orders().length === 1, () => undefined);

  const status = await svc.status(id);
  const squareOrder = square.orders()[0]!;
  expect(square.orders()).toHaveLength(1);
  expect(square.ordersForIdempotencyKey(`${id}:${squareIntegrationId}`)).toBe(1);
  expect(status.action.executions).toEqual([expect.objectContaining({ handlerName: 'square', status: 'completed', externalRef: squareOrder.id })]);
  expect((await executionsOf(id))[0]).toMatchObject({ runs: 2 });
  expect(await Receipt.countDocuments({ actionId: id })).toBe(1);
  expect(status.action.receipts[0]!.data).toMatchObject({ total: '$8.75', total_cents: 875 });

  await waitFor(() => smsTo().length === 1, 'the confirmation SMS');
  await new Promise((r) => setTimeout(r, 1000)); // a second SMS would have been sent by now
  expect(smsTo()).toHaveLength(1);
  expect(smsTo()[0]!.body).toMatch(/Downtown Café: Order #DC-\d+ confirmed/);
  expect(await Notification.countDocuments({ actionId: id, channel: 'sms' })).toBe(1);
});

test('webhook: killed after the receiver got the delivery → one webhook-id at the receiver, one completion', async () => {
  await Integration.updateOne({ _id: squareIntegrationId }, { $set: { enabled: false } });
  const smsBefore = smsTo().length;
  const id = await crashAndResume(() => receiver.deliveries().length === 1, () => receiver.setMode('confirm'));

  const ids = receiver.deliveries().map((d) => d.webhookId);
  expect(ids.length).toBeGreaterThanOrEqual(2); // delivered again after the crash…
  expect(new Set(ids)).toEqual(new Set([`${id}:${webhookIntegrationId}`])); // …with the same webhook-id
  expect(receiver.deliveries().every((d) => d.verified)).toBe(true);
  const status = await svc.status(id);
  expect(status.action.executions).toEqual([expect.objectContaining({ handlerName: 'webhook', status: 'completed' })]);
  expect(await Receipt.countDocuments({ actionId: id })).toBe(1);
  await waitFor(() => smsTo().length === smsBefore + 1, 'the confirmation SMS');
});

describe('SMS: the worker is killed while Twilio has the send in hand', () => {
  beforeAll(async () => { await Integration.updateOne({ _id: squareIntegrationId }, { $set: { enabled: true } }); });

  async function killedMidSend(phone: string, accepted: boolean): Promise<string> {
    twilioSim.hangNext(1, accepted);
    const first = await workers.one(env());
    const { body } = await svc.order({ ...SEED_ORDER, customer_phone: phone });
    const id = body.action.id;
    await waitFor(async () => (await Notification.findOne({ actionId: id, channel: 'sms' }).lean())?.status === 'claimed', 'the SMS to be claimed');
    if (accepted) await waitFor(() => twilioSim.messages().some((m) => m.to === phone), 'Twilio to accept the SMS');
    else await new Promise((r) => setTimeout(r, 300)); // the request is at the simulator, which holds it without creating anything
    await kill(first);
    await workers.one(env());
    await waitFor(async () => (await Notification.findOne({ actionId: id, channel: 'sms' }).lean())?.status === 'sent', 'the SMS to be recorded as sent', 60_000); // the fallback job: due 3 s later, Agenda polls every 10 s
    await new Promise((r) => setTimeout(r, 1000)); // a second SMS would have been sent by now
    return id;
  }

  test('Twilio had accepted it → found in the message list, its SID recorded, not sent again', async () => {
    const phone = '+14155550188';
    const id = await killedMidSend(phone, true);
    const texts = twilioSim.messages().filter((m) => m.to === phone);
    expect(texts).toHaveLength(1);
    expect(await Notification.findOne({ actionId: id, channel: 'sms' }).lean()).toMatchObject({ status: 'sent', externalId: texts[0]!.sid, takeovers: 1 });
  });

  test('Twilio never got it → the next worker sends it, once', async () => {
    const phone = '+14155550177';
    const id = await killedMidSend(phone, false);
    const texts = twilioSim.messages().filter((m) => m.to === phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toMatch(/Order #DC-\d+ confirmed/);
    expect(await Notification.findOne({ actionId: id, channel: 'sms' }).lean()).toMatchObject({ status: 'sent', externalId: texts[0]!.sid });
  });
});
