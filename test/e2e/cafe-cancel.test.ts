/**
 * The café is told when the customer cancels an order it was already sent (issue 10 §4): a cancellation email
 * (SMTP, parsed with mailparser), a signed `order.cancelled` webhook event (verified with `standardwebhooks`),
 * the POS order set to CANCELED (Square SDK → simulator), each once, retried while the café is unreachable and
 * across a restart; and the email's confirm/decline links then say the order was cancelled.
 */
import fs from 'node:fs/promises';
import { jest } from '@jest/globals';
import { startSquareSimulator, type SquareSimulator } from '../../handlers/square/simulator.js';
import { generateWebhookSecret } from '../../handlers/webhook/signing.js';
import { providerCancelClaimId } from '../../src/engine/provider-cancel.js';
import { Claim, Integration, IntegrationSecret } from '../../src/storage/models.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { confirmLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

jest.setTimeout(90_000);

let svc: TestService;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  svc = await startTestService({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await svc?.close();
  await smtp?.close();
});

const cancellations = (actionId: string) => smtp.messages.filter((m) => m.headers.get('x-rouh-action-id') === actionId && /cancelled/.test(m.subject ?? ''));
const done = (executionId: string) => Claim.findById(`${providerCancelClaimId(executionId)}:done`).lean();

async function emailedOrder(service: TestService) {
  const { body } = await service.order();
  const id = body.action.id;
  const mail = await waitFor(() => smtp.messages.find((m) => m.headers.get('x-rouh-action-id') === id), 'the order email');
  await waitForStatus(service, id, 'awaiting_confirmation');
  return { id, mail, executionId: `${id}:0:1` };
}

describe('email', () => {
  test('the café gets one "cancelled — do not prepare" email, and its links say the order was cancelled', async () => {
    const { id, mail, executionId } = await emailedOrder(svc);
    const orderNumber = /New order (DC-\d+)/.exec(mail.subject ?? '')?.[1];
    expect(orderNumber).toBeDefined();

    expect((await svc.api('POST', `/actions/${id}/cancel`)).status).toBe(200);
    const [cancel] = await waitFor(() => { const c = cancellations(id); return c.length ? c : null; }, 'the cancellation email');
    expect(cancel!.subject).toBe(`Order ${orderNumber} cancelled — do not prepare`);
    expect(cancel!.text).toContain('was cancelled by the customer. Please do not prepare it.');
    expect(cancel!.text).toContain('1 x Latte (oat milk, extra shot)');
    expect(cancel!.text).toContain('1 x Croissant');
    expect(cancel!.text).toContain('Customer: Sam');
    expect(cancel!.to).toEqual(mail.to);
    expect(cancel!.inReplyTo).toBe(mail.messageId); // threads under the order email

    // The page a person opens from the order email says so plainly; decisions and JSON clients get 409.
    const page = await fetch(confirmLink(mail));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('This order was cancelled by the customer — nothing to prepare.');
    const asJson = await fetch(confirmLink(mail), { headers: { accept: 'application/json' } });
    expect(asJson.status).toBe(409);
    expect(await asJson.json()).toEqual({ error: { code: 'order_cancelled', message: 'This order was cancelled by the customer — nothing to prepare.' } });
    for (const kind of ['confirm', 'decline'] as const) {
      const post = await fetch(confirmLink(mail, kind), { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: kind === 'confirm' ? 'ready_in_minutes=5' : 'reason=busy' });
      expect(post.status).toBe(409);
      expect(((await post.json()) as { error: { code: string } }).error.code).toBe('order_cancelled');
    }
    expect((await svc.status(id)).action.status).toBe('cancelled');

    await waitFor(() => done(executionId), 'the cancellation recorded as sent');
    expect((await done(executionId))?.by).toBe('sent');
    // A second job for the same step (a transition rolled forward twice) changes nothing.
    expect(await svc.service.tellProviderCancelled(id, executionId, 'another-job')).toBe('duplicate');
    await new Promise((r) => setTimeout(r, 300));
    expect(cancellations(id)).toHaveLength(1);
  });

  test('an order cancelled before anyone was told sends the café nothing', async () => {
    await Integration.updateMany({ providerId: svc.creds.providerId, name: 'email' }, { $set: { enabled: false } });
    try {
      const { body } = await svc.order();
      const id = body.action.id;
      // The chain went straight to the operators: no email, nothing to withdraw.
      await waitFor(async () => (await svc.api<{ tasks: Array<{ actionId: string }> }>('GET', '/manual-tasks')).body.tasks.find((t) => String(t.actionId) === id), 'a manual task');
      expect((await svc.api('POST', `/actions/${id}/cancel`)).status).toBe(200);
      await waitFor(async () => (await Claim.find({ _id: new RegExp(`^provider-cancel:${id}:`) }).lean()).some((c) => String(c._id).endsWith(':done')), 'the cancel decision');
      const claims = await Claim.find({ _id: new RegExp(`^provider-cancel:${id}:.*:done$`) }).lean();
      expect(claims.map((c) => c.by)).toEqual(['unsupported']); // the manual handler closes its task itself
      expect(cancellations(id)).toHaveLength(0);
    } finally {
      await Integration.updateMany({ providerId: svc.creds.providerId, name: 'email' }, { $set: { enabled: true } });
    }
  });

  test('mail server down at cancel time and the worker restarted: the café still gets exactly one cancellation', async () => {
    const { id, executionId } = await emailedOrder(svc);
    smtp.failNext(451);
    expect((await svc.api('POST', `/actions/${id}/cancel`)).status).toBe(200);
    // The job made its decision and its first call failed.
    await waitFor(() => Claim.findById(providerCancelClaimId(executionId)).lean(), 'the cancel decision');
    await new Promise((r) => setTimeout(r, 500));
    expect(await done(executionId)).toBeNull();
    await svc.stop();
    await fs.rm(svc.dataDir, { recursive: true, force: true });

    smtp.failNext(null);
    const second = await startTestService({ dbName: svc.dbName, env: { SMTP_URL: smtp.url } });
    try {
      await waitFor(() => done(executionId), 'the cancellation sent by the new process', 60_000);
      expect(cancellations(id)).toHaveLength(1);
    } finally {
      await second.close();
    }
    svc = await startTestService({ env: { SMTP_URL: smtp.url } });
  });
});

describe('webhook and Square', () => {
  let receiver: WebhookReceiver;
  let square: SquareSimulator;
  let secret: string;
  beforeAll(async () => {
    secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret, mode: 'accept' });
    square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: 'sq-key' } });
  });
  afterAll(async () => { await Promise.all([receiver?.close(), square?.close()]); });

  async function only(type: 'webhook' | 'api') {
    const [integration] = await Integration.create([type === 'webhook'
      ? { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'webhook', name: 'webhook', priority: 1, config: { url: receiver.url, timeoutSeconds: 5 } }
      : { spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 1, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 5 } }]);
    await IntegrationSecret.create({ _id: integration!._id, values: type === 'webhook' ? { signingSecret: secret } : { accessToken: square.accessToken, webhookSignatureKey: 'sq-key' } });
    return async () => { await Integration.deleteOne({ _id: integration!._id }); };
  }

  test('a webhook receiver that answered 202 gets a signed order.cancelled event', async () => {
    const remove = await only('webhook');
    try {
      const { body } = await svc.order();
      const id = body.action.id;
      await waitForStatus(svc, id, 'awaiting_confirmation');
      const order = receiver.deliveries().find((d) => (d.body as { data?: { action_id?: string } })?.data?.action_id === id)!;
      expect((await svc.api('POST', `/actions/${id}/cancel`)).status).toBe(200);
      const event = await waitFor(() => receiver.deliveries().find((d) => (d.body as { type?: string; data?: { action_id?: string } })?.type === 'order.cancelled' && (d.body as { data: { action_id: string } }).data.action_id === id), 'the order.cancelled event');
      expect(event.verified).toBe(true); // checked by the standardwebhooks library with the receiver's secret
      expect(event.webhookId).not.toBe(order.webhookId);
      expect(event.body).toMatchObject({
        type: 'order.cancelled',
        data: { action_id: id, execution_id: `${id}:0:1`, cancelled_by: 'customer', order_number: null, order: { total: '$8.75', customer_name: 'Sam', items: [{ name: 'Latte' }, { name: 'Croissant' }] } },
      });
      await waitFor(() => done(`${id}:0:1`), 'the event recorded as sent');
      expect(receiver.deliveries().filter((d) => (d.body as { type?: string })?.type === 'order.cancelled' && d.rawBody.includes(id))).toHaveLength(1);
    } finally {
      await remove();
    }
  });

  test('cancelled while the POS call is in flight: the Square order is set to CANCELED once it exists', async () => {
    const remove = await only('api');
    try {
      square.setFault({ kind: 'slow', ms: 1500, count: 1 });
      const { body } = await svc.order();
      const id = body.action.id;
      await waitFor(async () => ((await svc.status(id)).action.executions.some((e) => e.status === 'running') ? true : null), 'the POS call in flight');
      expect((await svc.api('POST', `/actions/${id}/cancel`)).status).toBe(200);
      const posOrder = await waitFor(() => square.orders().find((o) => o.reference_id === id && o.state === 'CANCELED'), 'the Square order cancelled', 45_000);
      expect(posOrder.fulfillments.every((f) => f.state === 'CANCELED')).toBe(true);
      // Square's own "canceled" webhook for it changes nothing: the customer hears of the cancel once.
      await waitFor(() => done(`${id}:0:1`), 'the POS cancel recorded');
      await new Promise((r) => setTimeout(r, 500));
      const status = await svc.status(id);
      expect(status.action.status).toBe('cancelled');
      expect(status.statusUpdates.filter((u) => u.status === 'cancelled')).toHaveLength(1);
    } finally {
      square.setFault(null);
      await remove();
    }
  });
});
