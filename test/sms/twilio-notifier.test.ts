import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createSmsNotifier } from '../../src/notify/sms/twilio-notifier.js';
import type { TwilioLike } from '../../src/notify/sms/twilio-notifier.js';
import { InMemorySmsStore } from '../../src/notify/sms/store.js';
import { STATUS_CALLBACK_PATH, createTwilioStatusRouter } from '../../src/notify/sms/status-router.js';
import type { TwilioSimulator } from '../support/twilio-simulator.js';
import { INVALID_TEST_NUMBER, createSimulatorHttpClient, startTwilioSimulator } from '../support/twilio-simulator.js';
import { ACCOUNT_SID, AUTH_TOKEN, FROM, action, completedEvent, notifyContext, readyEvent, silentLogger } from './fixtures.js';

describe('SMS notifier with the real twilio SDK against the simulator', () => {
  let sim: TwilioSimulator;
  let server: Server;
  let apiBase: string;
  const store = new InMemorySmsStore();
  let client: TwilioLike;

  beforeAll(async () => {
    sim = await startTwilioSimulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const app = express();
    app.use(
      createTwilioStatusRouter({
        authToken: AUTH_TOKEN,
        publicUrl: (req) => `${apiBase}${req.originalUrl}`,
        store,
        logger: silentLogger,
      }),
    );
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The real SDK builds and parses every request; only the transport is swapped.
    client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: createSimulatorHttpClient(sim.url), autoRetry: false });
  });
  afterAll(async () => {
    await sim.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function notifier(extra: { client?: TwilioLike } = {}) {
    return createSmsNotifier({ client: extra.client ?? client, from: FROM, statusCallbackUrl: `${apiBase}${STATUS_CALLBACK_PATH}`, store, logger: silentLogger, ...extra });
  }

  const sentTo = (to: string) => sim.messages().filter((m) => m.to === to);

  test('wants only completed and ready events', () => {
    const n = notifier();
    expect(n.wants(completedEvent())).toBe(true);
    expect(n.wants(readyEvent())).toBe(true);
    expect(n.wants({ type: 'action.failed', actionId: 'a', spaceId: 's', error: 'x', timestamp: '' })).toBe(false);
    expect(n.wants({ type: 'action.status', actionId: 'a', spaceId: 's', status: 'queued', message: '', timestamp: '' })).toBe(false);
  });

  test('one SMS per (action, event) even when notify runs twice and concurrently', async () => {
    const a = action({ id: 'act_once', customerPhone: '+15550000001' });
    const event = completedEvent('act_once');
    const n = notifier();
    await Promise.all([n.notify(event, notifyContext(a, event)), n.notify(event, notifyContext(a, event))]);
    await n.notify(event, notifyContext(a, event));

    const sent = sentTo('+15550000001');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ from: FROM, body: 'Downtown Café: Order #DC-1547 confirmed, ready in 12 minutes!', statusCallback: `${apiBase}/integrations/twilio/status` });
    expect(store.get(notifyContext(a, event).dedupeKey)).toMatchObject({ state: 'sent', sid: sent[0]?.sid, toMasked: '+1***01', event: 'action.completed' });

    const ready = readyEvent('act_once');
    await notifier().notify(ready, notifyContext(a, ready)); // the engine passes the order number in the context
    expect(sentTo('+15550000001').map((m) => m.body)).toEqual([
      'Downtown Café: Order #DC-1547 confirmed, ready in 12 minutes!',
      'Downtown Café: Order #DC-1547 is ready for pickup!',
    ]);
  });

  test('no SMS without a valid E.164 phone, and nothing claimed', async () => {
    const n = notifier();
    const before = sim.messages().length;
    for (const phone of [null, '5551234567', '+0123', 'tel:+15551234567']) {
      const a = action({ id: `act_phone_${String(phone)}`, customerPhone: phone });
      const event = completedEvent(a.id);
      await n.notify(event, notifyContext(a, event));
      expect(store.get(notifyContext(a, event).dedupeKey)).toBeUndefined();
    }
    expect(sim.messages()).toHaveLength(before);
  });

  test('a claim left by a crash mid-send blocks any resend (at-most-once)', async () => {
    const a = action({ id: 'act_crashed', customerPhone: '+15550000002' });
    const event = completedEvent(a.id);
    const ctx = notifyContext(a, event);
    await store.claim(ctx.dedupeKey, { actionId: a.id, event: event.type, toMasked: '+1***02' });
    await notifier().notify(event, ctx);
    expect(sentTo('+15550000002')).toEqual([]);
    expect(store.get(ctx.dedupeKey)?.state).toBe('claimed');
  });

  test('a Twilio rejection is recorded as failed with the number masked, and not retried', async () => {
    const a = action({ id: 'act_invalid', customerPhone: INVALID_TEST_NUMBER });
    const event = completedEvent(a.id);
    const ctx = notifyContext(a, event);
    const n = notifier();
    await n.notify(event, ctx);
    const record = store.get(ctx.dedupeKey);
    expect(record?.state).toBe('failed');
    expect(record?.error).toContain('Twilio error 21211 (HTTP 400)');
    expect(record?.error).not.toContain('5005550001');
    await n.notify(event, ctx);
    expect(store.all().filter((r) => r.actionId === a.id)).toHaveLength(1);
    expect(sentTo(INVALID_TEST_NUMBER)).toEqual([]);
  });

  test('a transport failure is recorded as failed', async () => {
    const unreachable = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: createSimulatorHttpClient('http://127.0.0.1:1') });
    const a = action({ id: 'act_down', customerPhone: '+15550000003' });
    const event = completedEvent(a.id);
    const ctx = notifyContext(a, event);
    await notifier({ client: unreachable }).notify(event, ctx);
    expect(store.get(ctx.dedupeKey)).toMatchObject({ state: 'failed', sid: null });
  });

  test('signed status callbacks are recorded; out-of-order ones do not regress the status', async () => {
    const a = action({ id: 'act_status', customerPhone: '+15550000004' });
    const event = completedEvent(a.id);
    const ctx = notifyContext(a, event);
    await notifier().notify(event, ctx);
    const [message] = sentTo('+15550000004');
    if (!message) throw new Error('no message sent');

    expect(await sim.deliver(message.sid, 'sent')).toEqual({ status: 204 });
    expect(store.get(ctx.dedupeKey)?.deliveryStatus).toBe('sent');
    expect(await sim.deliver(message.sid, 'delivered')).toEqual({ status: 204 });
    expect(await sim.deliver(message.sid, 'sent')).toEqual({ status: 204 });
    expect(store.get(ctx.dedupeKey)?.deliveryStatus).toBe('delivered');
  });

  test('a status callback with a bad signature is 403 and records nothing', async () => {
    const a = action({ id: 'act_forged', customerPhone: '+15550000005' });
    const event = completedEvent(a.id);
    const ctx = notifyContext(a, event);
    await notifier().notify(event, ctx);
    const sid = store.get(ctx.dedupeKey)?.sid ?? '';
    const url = `${apiBase}${STATUS_CALLBACK_PATH}`;
    const params = { AccountSid: ACCOUNT_SID, MessageSid: sid, MessageStatus: 'delivered' };

    const post = (signature: string | null) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
        body: new URLSearchParams(params).toString(),
      });
    expect((await post(twilio.getExpectedTwilioSignature('wrong-token', url, params))).status).toBe(403);
    expect((await post(twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${url}?x=1`, params))).status).toBe(403);
    expect((await post(null)).status).toBe(403);
    expect(store.get(ctx.dedupeKey)?.deliveryStatus).toBeNull();

    // The same request correctly signed is accepted: the 403s were about the signature alone.
    expect((await post(twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params))).status).toBe(204);
    expect(store.get(ctx.dedupeKey)?.deliveryStatus).toBe('delivered');
  });

  test('a signed callback with a malformed MessageSid is 400', async () => {
    const url = `${apiBase}${STATUS_CALLBACK_PATH}`;
    const params = { MessageSid: 'nope', MessageStatus: 'delivered' };
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(400);
  });
});
