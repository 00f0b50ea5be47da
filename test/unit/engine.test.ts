/** The engine's pure pieces: chain order, backoff, pricing, pickup times, signed links, config, log redaction. */
import { Writable } from 'node:stream';
import { verifyLink, signLink } from '../../src/api/links.js';
import { loadConfig } from '../../src/config.js';
import { buildChain } from '../../src/engine/chain.js';
import { RequestError } from '../../src/engine/errors.js';
import { formatMoney } from '../../src/engine/money.js';
import { isE164, maskPhone } from '../../src/engine/phone.js';
import { parsePickupTime, priceOrder } from '../../src/engine/pricing.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, HandlerRegistry } from '../../src/engine/registry.js';
import { fixtureManifest } from '../support/fixture-handler.js';
import { createLogger } from '../../src/logger.js';

const entry = (type: 'api' | 'webhook' | 'email' | 'manual', name: string, priority: number, enabled = true) => ({ integrationId: `${name}-id`, type, name, priority, enabled });

describe('buildChain', () => {
  test('orders by type (api → webhook → email), then priority; manual always last', () => {
    const chain = buildChain([entry('email', 'email', 1), entry('manual', 'manual', 0), entry('webhook', 'webhook', 5), entry('api', 'square', 9), entry('api', 'toast', 3)]);
    expect(chain.map((c) => c.name)).toEqual(['toast', 'square', 'webhook', 'email', 'manual']);
  });
  test('disabled integrations are skipped, and a manual step is added even when none is configured', () => {
    expect(buildChain([entry('api', 'square', 1, false), entry('email', 'email', 2)]).map((c) => c.name)).toEqual(['email', 'manual']);
    expect(buildChain([])).toEqual([{ integrationId: null, type: 'manual', name: 'manual' }]);
  });
  test('a provider can override the type order', () => {
    expect(buildChain([entry('api', 'square', 1), entry('email', 'email', 1)], ['email', 'api', 'manual']).map((c) => c.name)).toEqual(['email', 'square', 'manual']);
  });
});

test('backoff grows by the factor, is capped, and jitters within ±10%', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 1000, factor: 2, maxDelayMs: 5000 };
  expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 0.5))).toEqual([1000, 2000, 4000, 5000, 5000]);
  expect(backoffDelay(policy, 1, () => 0)).toBe(900);
  expect(backoffDelay(policy, 1, () => 1)).toBe(1100);
});

test('retry decision: handler ← deployment override ← integration config.retry, one place for "again?"', () => {
  const handler = { name: 'pos', retryPolicy: { maxAttempts: 5, initialDelayMs: 100 }, canHandle: () => ({ ok: true as const }), execute: async () => ({ kind: 'completed' as const }) };
  const registry = new HandlerRegistry().register(fixtureManifest(handler, 'api'), handler).setRetryPolicy('pos', { initialDelayMs: 10 });
  const half = () => 0.5;
  expect(registry.retryDecision('pos', {}, 1, undefined, half)).toEqual({ retry: true, delayMs: 10, nextAttempt: 2, maxAttempts: 5 });
  expect(registry.retryDecision('pos', {}, 5, undefined, half)).toEqual({ retry: false, maxAttempts: 5 });
  expect(registry.retryDecision('pos', { retry: { maxAttempts: 1 } }, 1, undefined, half)).toEqual({ retry: false, maxAttempts: 1 });
  expect(registry.retryDecision('pos', { retry: { initialDelayMs: 40 } }, 2, undefined, half)).toMatchObject({ retry: true, delayMs: 80 });
  expect(registry.retryDecision('pos', {}, 1, 7000, half)).toMatchObject({ retry: true, delayMs: 7000 }); // Retry-After wins
  expect(registry.label('pos')).toBe('the POS');
  expect(registry.label('gone')).toBe('gone');
});

describe('priceOrder', () => {
  const items = [{ sku: 'latte', name: 'Latte', aliases: ['lattes'], priceCents: 550, available: true }, { sku: 'croissant', name: 'Croissant', aliases: [], priceCents: 325, available: true }];
  const mods = [{ modId: 'oat-milk', name: 'oat milk', aliases: ['oat'], priceCents: 0 }, { modId: 'syrup', name: 'vanilla syrup', aliases: [], priceCents: 75 }];
  test('prices from the catalog in integer cents, matching names, skus and aliases case-insensitively', () => {
    const { lines, totalCents } = priceOrder([{ name: 'LATTES', quantity: 2, modifications: ['Oat', 'vanilla syrup'] }, { sku: 'croissant', quantity: 1 }], items, mods);
    expect(lines.map((l) => [l.sku, l.lineTotalCents])).toEqual([['latte', 1250], ['croissant', 325]]);
    expect(totalCents).toBe(1575);
    expect(formatMoney(totalCents, 'USD')).toBe('$15.75');
  });
  test('a matching client price is accepted; a disagreeing one is refused naming the field', () => {
    expect(() => priceOrder([{ name: 'Latte', quantity: 1, price: '$5.50' }], items, mods)).not.toThrow();
    const err = (() => { try { priceOrder([{ name: 'Latte', quantity: 1, price: 1 }], items, mods); } catch (e) { return e as RequestError; } return null; })();
    expect(err).toMatchObject({ status: 400, code: 'price_mismatch', field: 'parameters.items[0].price' });
  });
});

describe('parsePickupTime', () => {
  const now = new Date('2026-01-15T14:00:00.000Z');
  test.each([[undefined, null], ['asap', null], ['15 minutes', '2026-01-15T14:15:00.000Z'], ['in 1 hour', '2026-01-15T15:00:00.000Z'], ['2026-01-15T15:30:00Z', '2026-01-15T15:30:00.000Z']])('%s', (input, expected) => {
    expect(parsePickupTime(input, now)?.toISOString() ?? null).toBe(expected);
  });
  test.each(['whenever', '2020-01-01T00:00:00Z', '2026-02-15T00:00:00Z', '20000 minutes'])('refuses %s', (input) => {
    expect(() => parsePickupTime(input, now)).toThrow(RequestError);
  });
});

test('signed links verify, and refuse tampering, other secrets and expiry', () => {
  const now = new Date('2026-01-15T14:00:00Z');
  const token = signLink({ executionId: 'a:0:1', expiresAt: now.getTime() + 60_000 }, 'secret-1234567890');
  expect(verifyLink(token, 'secret-1234567890', now)).toEqual({ ok: true, payload: { executionId: 'a:0:1', expiresAt: now.getTime() + 60_000 } });
  expect(verifyLink(token, 'another-secret-123', now)).toEqual({ ok: false, reason: 'invalid' });
  expect(verifyLink(`${token.slice(0, -2)}xx`, 'secret-1234567890', now)).toEqual({ ok: false, reason: 'invalid' });
  expect(verifyLink(token, 'secret-1234567890', new Date(now.getTime() + 61_000))).toEqual({ ok: false, reason: 'expired' });
});

describe('config', () => {
  test('defaults need nothing', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3000, ROLE: 'all', SEED_DEMO: true, publicBaseUrl: 'http://127.0.0.1:3000' });
  });
  test.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ ROLE: 'boss' }, /ROLE/],
    [{ MONGODB_URI: 'postgres://x' }, /MONGODB_URI/],
    [{ ROLE: 'worker' }, /MONGODB_URI is required/],
    [{ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` }, /must be set together/],
  ])('%j is refused with one line naming it', (env, message) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});

test('phones: E.164 check and masking', () => {
  expect(isE164('+14155550123')).toBe(true);
  expect(isE164('4155550123')).toBe(false);
  expect(isE164('+0123')).toBe(false);
  expect(maskPhone('+14155550123')).toBe('+1***23');
});

test('logs redact secrets, phones and emails', () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger('info', sink);
  log.info({ integration: { secrets: { accessToken: 'sq-secret' } }, order: { customerPhone: '+14155550123' }, provider: { contactEmail: 'a@b.c' }, req: { headers: { authorization: 'Bearer rk_x' } } }, 'hello');
  const out = lines.join('');
  for (const secret of ['sq-secret', '4155550123', 'a@b.c', 'rk_x']) expect(out).not.toContain(secret);
  expect(out).toContain('[redacted]');
});
