/**
 * Nobody can forge an outcome: link keys, the demo's Square signature key and the SMS outbox's Twilio token
 * are random per data folder (never derived from something an attacker knows or constants in the source);
 * link tokens are strict and confirm/decline tokens differ; wrong API keys are cached and rate limited.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { io } from 'socket.io-client';
import twilio from 'twilio';
import { signSquareWebhook } from '../../handlers/square/simulator.js';
import { ApiKey, Integration, IntegrationSecret } from '../../src/storage/models.js';
import { startDemoSquare } from '../../src/seed/demo-square.js';
import { startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { confirmLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

jest.setTimeout(60_000);

let svc: TestService;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  // No LINK_SIGNING_SECRET: the zero-config default is what an attacker would face on a demo install.
  svc = await startTestService({ env: { SMTP_URL: smtp.url, LINK_SIGNING_SECRET: '', AUTH_FAILURES_PER_MINUTE: '20' } });
});
afterAll(async () => {
  await svc?.close();
  await smtp?.close();
});

const postJson = (url: string, body = '') => fetch(url, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('confirm links', () => {
  let id: string;
  let mail: Awaited<ReturnType<typeof waitFor<typeof smtp.messages[number]>>>;
  beforeAll(async () => {
    const before = smtp.messages.length;
    id = (await svc.order()).body.action.id;
    mail = await waitFor(() => smtp.messages[before], 'the order email');
    await waitForStatus(svc, id, 'awaiting_confirmation');
  });

  test('the key is random and kept in the data folder, not derived from its path', async () => {
    const stored = (await fs.readFile(path.join(svc.dataDir, 'secrets', 'link-signing'), 'utf8')).trim();
    expect(stored.length).toBeGreaterThanOrEqual(32);
    expect((await fs.stat(path.join(svc.dataDir, 'secrets', 'link-signing'))).mode & 0o077).toBe(0);
    // The old default: sha256 of the data folder's path, with a guessable execution id.
    const derived = createHash('sha256').update(`rouh-demo-links:${svc.dataDir}`).digest('hex');
    for (const payload of [{ e: `${id}:0:1`, x: Date.now() + 600_000 }, { e: `${id}:0:1`, x: Date.now() + 600_000, p: 'confirm' }]) {
      const data = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const forged = `${data}.${createHmac('sha256', derived).update(data).digest('base64url')}`;
      expect((await postJson(`${svc.baseUrl}/confirm/${forged}`)).status).toBe(404);
    }
    expect((await svc.status(id)).action.status).toBe('awaiting_confirmation');
  });

  test('tokens are parsed strictly, and a confirm token is not a decline token', async () => {
    const confirm = confirmLink(mail, 'confirm');
    const decline = confirmLink(mail, 'decline');
    const confirmToken = confirm.split('/').at(-1)!;
    const declineToken = decline.split('/').at(-1)!;
    expect(confirmToken).not.toBe(declineToken);
    for (const url of [
      `${confirm}.anything`, `${confirm}.`, `${confirm}x`, `${confirm.replace(/\.[^.]+$/, '')}`,
      `${svc.baseUrl}/decline/${confirmToken}`, `${svc.baseUrl}/confirm/${declineToken}`,
    ]) {
      const res = await postJson(url, 'reason=forged');
      expect([url, res.status]).toEqual([url, 404]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_link');
    }
    expect((await svc.status(id)).action.status).toBe('awaiting_confirmation');
    expect((await postJson(confirm, 'ready_in_minutes=5')).status).toBe(200);
    await waitForStatus(svc, id, 'completed');
  });
});

test('the demo Square webhook key is generated per data folder; the old constant signs nothing', async () => {
  const sim = await startDemoSquare(svc.creds, svc.baseUrl, svc.dataDir);
  try {
    const integration = await Integration.findOne({ providerId: svc.creds.providerId, name: 'square' }).lean();
    const key = (await IntegrationSecret.findById(integration!._id).lean())!.values as Record<string, string>;
    expect(key.webhookSignatureKey).toBe((await fs.readFile(path.join(svc.dataDir, 'secrets', 'demo-square-signature-key'), 'utf8')).trim());
    expect(key.webhookSignatureKey).not.toBe('demo-square-webhook-signature-key');
    const url = `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`;
    const body = JSON.stringify({ event_id: 'forged-1', type: 'order.fulfillment.updated', data: { object: { order_fulfillment_updated: { order_id: 'x', fulfillment_update: [{ new_state: 'CANCELED' }] } } } });
    const forged = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-square-hmacsha256-signature': signSquareWebhook('demo-square-webhook-signature-key', url, body) } });
    expect(forged.status).toBe(401);
    const genuine = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-square-hmacsha256-signature': signSquareWebhook(key.webhookSignatureKey!, url, body) } });
    expect(genuine.status).toBe(200);
  } finally {
    await sim.close();
    await Integration.updateOne({ providerId: svc.creds.providerId, name: 'square' }, { $set: { enabled: false } });
  }
});

test('the SMS outbox token is generated per data folder; a callback signed with the old constant is refused', async () => {
  const url = `${svc.baseUrl}/integrations/twilio/status`;
  const params = { MessageSid: `SM${'a'.repeat(32)}`, MessageStatus: 'delivered' };
  const send = (token: string) => fetch(url, {
    method: 'POST', body: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params) },
  });
  expect((await send('outbox-auth-token-not-a-secret')).status).toBe(403);
  const token = (await fs.readFile(path.join(svc.dataDir, 'secrets', 'sms-outbox-token'), 'utf8')).trim();
  expect((await send(token)).status).toBe(204);
});

describe('wrong API keys', () => {
  test('an unknown key is looked up once, then answered from the cache', async () => {
    const lookups = jest.spyOn(ApiKey, 'findById');
    try {
      for (let i = 0; i < 5; i++) expect((await svc.api('GET', '/actions', { key: 'rk_not-a-real-key-cached' })).status).toBe(401);
      expect(lookups.mock.calls.filter(([hash]) => hash === createHash('sha256').update('rk_not-a-real-key-cached').digest('hex'))).toHaveLength(1);
    } finally {
      lookups.mockRestore();
    }
  });

  test('failed authentication is rate limited per client address: 429 with Retry-After, sockets too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await svc.api('GET', '/actions', { key: `rk_guess-${i}` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const limited = await svc.api<{ error: { code: string } }>('GET', '/actions', { key: 'rk_guess-again' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('too_many_failed_attempts');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const socket = io(svc.baseUrl, { auth: { token: 'rk_guess-socket' }, transports: ['websocket'], reconnection: false });
    const refused = await new Promise<string>((resolve) => socket.once('connect_error', (err) => resolve(err.message)));
    socket.close();
    expect(refused).toBe('too many failed attempts');
  });
});
