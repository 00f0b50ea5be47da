import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, isValidWebhookSecret, signWebhook, unixSeconds, verifyWebhook } from './signing.js';

const body = JSON.stringify({ type: 'order.requested', data: { total: '$10.50', name: 'Café' } });

function headersFor(id: string, timestamp: number, signature: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

describe('Standard Webhooks signing', () => {
  const secret = generateWebhookSecret();

  test('generated secrets are whsec_ base64 of 32 bytes and accepted by the reference library', () => {
    expect(isValidWebhookSecret(secret)).toBe(true);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(() => new Webhook(secret)).not.toThrow();
    expect(isValidWebhookSecret('whsec_c2hvcnQ=')).toBe(false);
    expect(isValidWebhookSecret('not-a-secret')).toBe(false);
  });

  test('our signature verifies with the standardwebhooks package', () => {
    const now = new Date();
    const ts = unixSeconds(now);
    const signature = signWebhook({ id: 'msg_1', timestamp: ts, body, secret });
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headersFor('msg_1', ts, signature))).toEqual(JSON.parse(body));
  });

  test('signing a Buffer signs the same bytes as the string', () => {
    const ts = 1_700_000_000;
    expect(signWebhook({ id: 'm', timestamp: ts, body: Buffer.from(body), secret })).toBe(signWebhook({ id: 'm', timestamp: ts, body, secret }));
  });

  test("the package's signature verifies with ours", () => {
    const now = new Date();
    const signature = new Webhook(secret).sign('msg_2', now, body);
    const result = verifyWebhook({ headers: headersFor('msg_2', unixSeconds(now), signature), rawBody: body, secrets: [secret], now });
    expect(result).toEqual({ ok: true, id: 'msg_2', timestamp: unixSeconds(now) });
  });

  test('accepts any matching entry of a space-separated list and any current secret (rotation)', () => {
    const now = new Date();
    const ts = unixSeconds(now);
    const oldSecret = generateWebhookSecret();
    const good = signWebhook({ id: 'msg_3', timestamp: ts, body, secret });
    const header = `v1a,ZWQyNTUxOQ== v1,${Buffer.alloc(32).toString('base64')} ${good}`;
    expect(verifyWebhook({ headers: headersFor('msg_3', ts, header), rawBody: body, secrets: [oldSecret, secret], now }).ok).toBe(true);
    expect(verifyWebhook({ headers: headersFor('msg_3', ts, header), rawBody: body, secrets: [oldSecret], now })).toEqual({ ok: false, reason: 'no_matching_signature' });
  });

  test('header names are matched case-insensitively', () => {
    const now = new Date();
    const ts = unixSeconds(now);
    const headers = { 'Webhook-Id': 'msg_4', 'Webhook-Timestamp': String(ts), 'Webhook-Signature': signWebhook({ id: 'msg_4', timestamp: ts, body, secret }) };
    expect(verifyWebhook({ headers, rawBody: body, secrets: [secret], now }).ok).toBe(true);
  });

  test('a tampered body, id or timestamp is rejected', () => {
    const now = new Date();
    const ts = unixSeconds(now);
    const signature = signWebhook({ id: 'msg_5', timestamp: ts, body, secret });
    const tampered = body.replace('$10.50', '$0.50');
    expect(verifyWebhook({ headers: headersFor('msg_5', ts, signature), rawBody: tampered, secrets: [secret], now }).ok).toBe(false);
    expect(verifyWebhook({ headers: headersFor('msg_6', ts, signature), rawBody: body, secrets: [secret], now }).ok).toBe(false);
    expect(verifyWebhook({ headers: headersFor('msg_5', ts - 1, signature), rawBody: body, secrets: [secret], now }).ok).toBe(false);
    expect(() => new Webhook(secret).verify(tampered, headersFor('msg_5', ts, signature))).toThrow();
  });

  test('stale and future timestamps are rejected with the injected clock', () => {
    const signedAt = 1_700_000_000;
    const signature = signWebhook({ id: 'msg_7', timestamp: signedAt, body, secret });
    const headers = headersFor('msg_7', signedAt, signature);
    const at = (offsetSeconds: number) => new Date((signedAt + offsetSeconds) * 1000);
    expect(verifyWebhook({ headers, rawBody: body, secrets: [secret], now: at(300) }).ok).toBe(true);
    expect(verifyWebhook({ headers, rawBody: body, secrets: [secret], now: at(301) })).toEqual({ ok: false, reason: 'timestamp_too_old' });
    expect(verifyWebhook({ headers, rawBody: body, secrets: [secret], now: at(-301) })).toEqual({ ok: false, reason: 'timestamp_too_new' });
    expect(verifyWebhook({ headers, rawBody: body, secrets: [secret], now: at(30), toleranceSeconds: 10 })).toEqual({ ok: false, reason: 'timestamp_too_old' });
  });

  test('missing headers and malformed timestamps are rejected', () => {
    const now = new Date();
    expect(verifyWebhook({ headers: {}, rawBody: body, secrets: [secret], now })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyWebhook({ headers: headersFor('m', Number.NaN, 'v1,x'), rawBody: body, secrets: [secret], now })).toEqual({ ok: false, reason: 'invalid_timestamp' });
  });
});
