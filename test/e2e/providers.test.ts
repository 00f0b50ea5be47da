/**
 * Provider onboarding: create a provider (+ its listing item), upload its catalog, add integrations and
 * write-only secrets, then order from it. Secrets never come back; another space sees only 404s.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import mongoose from 'mongoose';
import { createApiKey } from '../../src/storage/api-keys.js';
import { Integration, IntegrationSecret, Item, MenuItem, MenuModifier, Provider, Space } from '../../src/storage/models.js';
import { isValidWebhookSecret } from '../../handlers/webhook/signing.js';
import { startTestService, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

interface ErrorBody { error: { code: string; message: string; field?: string } }
interface ProviderBody { id: string; name: string; timezone: string; currency: string; orderPrefix: string; contactEmail: string | null; prepMinutes: number; chainOrder: string[] | null; itemIds: string[] }
interface IntegrationBody { id: string; type: string; name: string; priority: number; enabled: boolean; config: Record<string, unknown>; secretNames: string[]; hasSecrets: boolean }
interface CatalogBody { items: Array<Record<string, unknown>>; modifiers: Array<Record<string, unknown>> }

const CAFE = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/catalog-cafe.json'), 'utf8')) as CatalogBody & { provider: Record<string, string> };
const SQUARE_TOKEN = 'sq0atp-super-secret-token-value-123';

let svc: TestService;
let otherKey: string;
const state: { providerId: string; itemId: string; webhookId: string; squareId: string } = { providerId: '', itemId: '', webhookId: '', squareId: '' };

beforeAll(async () => {
  svc = await startTestService();
  const other = await Space.create({ name: 'Other space' });
  otherKey = await createApiKey(other._id, 'other');
});
afterAll(async () => { await svc?.close(); });

const api = <T = ErrorBody>(method: string, p: string, body?: unknown, key?: string) => svc.api<T>(method, p, { body, key });
const base = () => `/providers/${state.providerId}`;
const menuSnapshot = async () => ({
  items: await MenuItem.find({ providerId: state.providerId }).sort({ _id: 1 }).lean(),
  modifiers: await MenuModifier.find({ providerId: state.providerId }).sort({ _id: 1 }).lean(),
});

const VALID = { name: 'Harbor Coffee', timezone: 'america/los_angeles', currency: 'USD', orderPrefix: 'HC', contactEmail: 'orders@harbor.example' };

describe('providers', () => {
  test.each([
    ['bad time zone', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    ['lower-case currency', { currency: 'usd' }, 'currency'],
    ['unknown currency', { currency: 'ZZZ' }, 'currency'],
    ['zero-decimal currency', { currency: 'JPY' }, 'currency'],
    ['bad order prefix', { orderPrefix: 'hc-1' }, 'orderPrefix'],
    ['bad email', { contactEmail: 'not-an-email' }, 'contactEmail'],
    ['phone not in E.164', { contactPhone: '(212) 555-0147' }, 'contactPhone'],
    ['prep minutes out of range', { prepMinutes: 241 }, 'prepMinutes'],
    ['repeated chain type', { chainOrder: ['api', 'api'] }, 'chainOrder'],
    ['unknown chain type', { chainOrder: ['fax'] }, 'chainOrder[0]'],
    ['unknown field', { orderCounter: 5 }, 'orderCounter'],
  ])('POST /providers rejects %s naming the field, writing nothing', async (_name, patch, field) => {
    const before = [await Provider.countDocuments(), await Item.countDocuments()];
    const res = await api('POST', '/providers', { ...VALID, ...patch });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect([await Provider.countDocuments(), await Item.countDocuments()]).toEqual(before);
  });

  test('POST /providers creates the provider and its listing item; GET and PATCH', async () => {
    const res = await api<{ provider: ProviderBody; itemId: string }>('POST', '/providers', VALID);
    expect(res.status).toBe(201);
    expect(res.body.provider).toMatchObject({ name: 'Harbor Coffee', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HC', prepMinutes: 10, chainOrder: null, itemIds: [res.body.itemId] });
    state.providerId = res.body.provider.id;
    state.itemId = res.body.itemId;
    const item = await Item.findById(state.itemId).lean();
    expect([String(item?.providerId), String(item?.spaceId), item?.actionTypes]).toEqual([state.providerId, svc.creds.spaceId, ['order']]);

    const list = await api<{ providers: ProviderBody[] }>('GET', '/providers');
    expect(list.body.providers.map((p) => p.id)).toEqual(expect.arrayContaining([state.providerId, svc.creds.providerId]));
    const one = await api<{ provider: ProviderBody }>('GET', base());
    expect(one.body.provider.itemIds).toEqual([state.itemId]);

    const patched = await api<{ provider: ProviderBody }>('PATCH', base(), { prepMinutes: 15, chainOrder: ['webhook', 'api'], contactEmail: null, contactPhone: '+12125550147' });
    expect(patched.status).toBe(200);
    expect(patched.body.provider).toMatchObject({ prepMinutes: 15, chainOrder: ['webhook', 'api'], contactEmail: null, contactPhone: '+12125550147', name: 'Harbor Coffee' });
    const reset = await api<{ provider: ProviderBody }>('PATCH', base(), { chainOrder: null });
    expect(reset.body.provider.chainOrder).toBeNull();
    const bad = await api('PATCH', base(), { timezone: 'Nowhere/Land' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'timezone']);
    expect((await Provider.findById(state.providerId).lean())?.timezone).toBe('America/Los_Angeles');
  });
});

describe('catalog', () => {
  test('PUT replaces the menu from the import format; GET returns the same shape', async () => {
    const put = await api<CatalogBody>('PUT', `${base()}/catalog`, CAFE);
    expect(put.status).toBe(200);
    const got = await api<CatalogBody & { provider: Record<string, string> }>('GET', `${base()}/catalog`);
    expect(got.body.items).toEqual(CAFE.items);
    expect(got.body.modifiers).toEqual(CAFE.modifiers);
    expect(got.body.provider).toEqual({ name: 'Harbor Coffee', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HC' });
    expect(await MenuItem.countDocuments({ providerId: state.providerId })).toBe(CAFE.items.length);

    // A second upload replaces rather than appends.
    const smaller = { items: CAFE.items.slice(0, 3), modifiers: CAFE.modifiers.slice(0, 2) };
    expect((await api('PUT', `${base()}/catalog`, smaller)).status).toBe(200);
    expect(await MenuItem.countDocuments({ providerId: state.providerId })).toBe(3);
    expect((await api('PUT', `${base()}/catalog`, CAFE)).status).toBe(200);
  });

  test.each([
    ['duplicate sku', () => ({ ...CAFE, items: [...CAFE.items, { ...CAFE.items[2], name: 'Another latte' }] }), 'duplicate_sku', `items[${CAFE.items.length}].sku`, 'latte'],
    ['duplicate modifier id', () => ({ ...CAFE, modifiers: [...CAFE.modifiers, { ...CAFE.modifiers[0] }] }), 'duplicate_modifier_id', `modifiers[${CAFE.modifiers.length}].id`, 'oat-milk'],
    ['fractional cents', () => ({ ...CAFE, items: [...CAFE.items.slice(0, 5), { ...CAFE.items[5], price_cents: 5.5 }] }), 'validation_failed', 'items[5].price_cents', undefined],
    ['negative cents', () => ({ ...CAFE, modifiers: [{ ...CAFE.modifiers[0], price_cents: -1 }] }), 'validation_failed', 'modifiers[0].price_cents', undefined],
    ['no items', () => ({ items: [] }), 'validation_failed', 'items', undefined],
  ])('%s → 400 naming it, and nothing written', async (_name, body, code, field, named) => {
    const before = await menuSnapshot();
    const res = await api('PUT', `${base()}/catalog`, body());
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, field });
    if (named) expect(res.body.error.message).toContain(named);
    expect(await menuSnapshot()).toEqual(before);
  });
});

describe('integrations and secrets', () => {
  test('config is validated with the handler schema; unknown handlers and mismatched types are refused', async () => {
    const before = await Integration.countDocuments();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ type: 'api', name: 'square', priority: 10, config: { environment: 'sandbox' } }, 'validation_failed', 'config.locationId'],
      [{ type: 'api', name: 'square', priority: 10, config: { locationId: 'L1', environment: 'sandbox', accessToken: 'oops' } }, 'secret_in_config', 'config.accessToken'],
      [{ type: 'webhook', name: 'webhook', priority: 10, config: { url: 'not a url' } }, 'validation_failed', 'config.url'],
      [{ type: 'webhook', name: 'webhook', priority: 10, config: { url: 'http://127.0.0.1:9/orders', retry: { maxAttempts: 0 } } }, 'validation_failed', 'config.retry.maxAttempts'],
      [{ type: 'email', name: 'email', priority: 30, config: { to: 'nope' } }, 'validation_failed', 'config.to'],
      [{ type: 'api', name: 'toast', priority: 10, config: {} }, 'unknown_handler', 'name'],
      [{ type: 'webhook', name: 'square', priority: 10, config: { locationId: 'L1', environment: 'sandbox' } }, 'handler_type_mismatch', 'type'],
      [{ type: 'fax', name: 'manual', priority: 10 }, 'validation_failed', 'type'],
      [{ type: 'manual', name: 'manual', priority: 1.5 }, 'validation_failed', 'priority'],
    ];
    for (const [body, code, field] of cases) {
      const res = await api('POST', `${base()}/integrations`, body);
      expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, code, field]);
    }
    expect(await Integration.countDocuments()).toBe(before);
  });

  test('webhook and square integrations are created and listed without secrets', async () => {
    const webhook = await api<{ integration: IntegrationBody }>('POST', `${base()}/integrations`, { type: 'webhook', name: 'webhook', priority: 20, config: { url: 'http://127.0.0.1:9/orders', timeoutSeconds: 5 } });
    expect(webhook.status).toBe(201);
    expect(webhook.body.integration).toMatchObject({ type: 'webhook', name: 'webhook', priority: 20, enabled: true, secretNames: [], hasSecrets: false, config: { url: 'http://127.0.0.1:9/orders', timeoutSeconds: 5 } });
    state.webhookId = webhook.body.integration.id;
    const square = await api<{ integration: IntegrationBody }>('POST', `${base()}/integrations`, { type: 'api', name: 'square', priority: 10, enabled: false, config: { locationId: 'L1', baseUrl: 'http://127.0.0.1:9' } });
    expect(square.status).toBe(201);
    state.squareId = square.body.integration.id;
    const manual = await api<{ integration: IntegrationBody }>('POST', `${base()}/integrations`, { type: 'manual', name: 'manual', priority: 100 });
    expect(manual.status).toBe(201);
    expect((await api('POST', `${base()}/integrations`, { type: 'manual', name: 'manual', priority: 101 })).status).toBe(409);

    const list = await api<{ integrations: IntegrationBody[] }>('GET', `${base()}/integrations`);
    expect(list.body.integrations.map((i) => i.name)).toEqual(['square', 'webhook', 'manual']);

    const patched = await api<{ integration: IntegrationBody }>('PATCH', `${base()}/integrations/${state.webhookId}`, { priority: 25, config: { url: 'http://127.0.0.1:9/v2/orders' } });
    expect(patched.body.integration).toMatchObject({ priority: 25, config: { url: 'http://127.0.0.1:9/v2/orders' } });
    const badPatch = await api('PATCH', `${base()}/integrations/${state.squareId}`, { config: { locationId: '', environment: 'sandbox' } });
    expect([badPatch.status, badPatch.body.error.field]).toEqual([400, 'config.locationId']);
    const immutable = await api('PATCH', `${base()}/integrations/${state.squareId}`, { name: 'webhook' });
    expect([immutable.status, immutable.body.error.field]).toEqual([400, 'name']);
  });

  test('secrets are write-only: PUT merges, responses and GETs list names only', async () => {
    const put = await api<{ integration: IntegrationBody }>('PUT', `${base()}/integrations/${state.squareId}/secrets`, { values: { accessToken: SQUARE_TOKEN } });
    expect(put.status).toBe(200);
    expect(put.body.integration).toMatchObject({ secretNames: ['accessToken'], hasSecrets: true });
    expect(JSON.stringify(put.body)).not.toContain(SQUARE_TOKEN);

    const merged = await api<{ integration: IntegrationBody }>('PUT', `${base()}/integrations/${state.squareId}/secrets`, { values: { webhookSignatureKey: 'sig-key-456-secret' } });
    expect(merged.body.integration.secretNames).toEqual(['accessToken', 'webhookSignatureKey']);
    const stored = (await IntegrationSecret.findById(state.squareId).lean())?.values as Record<string, string>;
    expect(stored).toEqual({ accessToken: SQUARE_TOKEN, webhookSignatureKey: 'sig-key-456-secret' });

    const removed = await api<{ integration: IntegrationBody }>('PUT', `${base()}/integrations/${state.squareId}/secrets`, { values: { webhookSignatureKey: null } });
    expect(removed.body.integration.secretNames).toEqual(['accessToken']);

    for (const p of [`${base()}/integrations`, base(), '/providers', `${base()}/catalog`]) {
      const res = await api('GET', p);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(SQUARE_TOKEN);
    }

    const unknown = await api('PUT', `${base()}/integrations/${state.squareId}/secrets`, { values: { acessToken: 'typo' } });
    expect([unknown.status, unknown.body.error.code, unknown.body.error.field]).toEqual([400, 'unknown_secret', 'values.acessToken']);
    const badWh = await api('PUT', `${base()}/integrations/${state.webhookId}/secrets`, { values: { signingSecret: 'hunter2-not-whsec' } });
    expect([badWh.status, badWh.body.error.field]).toEqual([400, 'values.signingSecret']);
    expect(JSON.stringify(badWh.body)).not.toContain('hunter2');
    const empty = await api('PUT', `${base()}/integrations/${state.squareId}/secrets`, { values: {} });
    expect([empty.status, empty.body.error.field]).toEqual([400, 'values']);
  });

  test('rotating the webhook secret shows a new whsec_ once', async () => {
    const first = await api<{ signingSecret: string; integration: IntegrationBody }>('POST', `${base()}/integrations/${state.webhookId}/secrets/rotate-webhook-secret`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(isValidWebhookSecret(first.body.signingSecret)).toBe(true);
    expect(first.body.integration.secretNames).toEqual(['signingSecret']);
    expect(((await IntegrationSecret.findById(state.webhookId).lean())?.values as Record<string, string>).signingSecret).toBe(first.body.signingSecret);

    const list = await api('GET', `${base()}/integrations`);
    expect(JSON.stringify(list.body)).not.toContain(first.body.signingSecret);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const second = await api<{ signingSecret: string }>('POST', `${base()}/integrations/${state.webhookId}/secrets/rotate-webhook-secret`);
    expect(second.body.signingSecret).not.toBe(first.body.signingSecret);
    const notWebhook = await api('POST', `${base()}/integrations/${state.squareId}/secrets/rotate-webhook-secret`);
    expect([notWebhook.status, notWebhook.body.error.code]).toEqual([400, 'not_a_webhook_integration']);
  });

  test('POST .../test answers 200 with the probe result', async () => {
    const res = await api<{ ok: boolean; handler: string; outcome: string; detail: string }>('POST', `${base()}/integrations/${state.webhookId}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: expect.any(Boolean), handler: expect.any(String), outcome: expect.any(String), detail: expect.any(String) });
  });
});

describe('ordering from the new provider', () => {
  test('POST /actions for the new item is priced from the uploaded catalog', async () => {
    // Keep the chain local: the webhook points at a closed port, so turn it off before ordering.
    expect((await api<{ integration: IntegrationBody }>('PATCH', `${base()}/integrations/${state.webhookId}`, { enabled: false })).body.integration.enabled).toBe(false);
    const res = await svc.api<{ action: { providerId: string; total: string; total_cents: number; currency: string } }>('POST', '/actions', {
      body: { itemId: state.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 2, modifications: ['oat milk'] }, { name: 'croissant', quantity: 1 }] } },
      headers: { 'x-user-id': 'u-providers' },
    });
    expect(res.status).toBe(201);
    // Latte 550 + oat milk 75 = 625 × 2, plus Butter Croissant 375 (the demo menu has different prices).
    expect(res.body.action).toMatchObject({ providerId: state.providerId, total_cents: 1625, total: '$16.25', currency: 'USD' });
  });
});

describe('space isolation and ids', () => {
  test("another space's key gets 404 on every provider route and writes nothing", async () => {
    // Integration health and updatedAt move while earlier orders run in the background: compared without them.
    const before = { providers: await Provider.findById(state.providerId).lean(), menu: await menuSnapshot(), integrations: await Integration.find({ providerId: state.providerId }, { health: 0, updatedAt: 0 }).lean(), secrets: await IntegrationSecret.find({ _id: { $in: [state.webhookId, state.squareId] } }).lean() };
    const i = `${base()}/integrations/${state.webhookId}`;
    const calls: Array<[string, string, unknown?]> = [
      ['GET', base()], ['PATCH', base(), { prepMinutes: 1 }],
      ['GET', `${base()}/catalog`], ['PUT', `${base()}/catalog`, CAFE],
      ['GET', `${base()}/integrations`], ['POST', `${base()}/integrations`, { type: 'manual', name: 'manual', priority: 1 }],
      ['PATCH', i, { priority: 1 }], ['PUT', `${i}/secrets`, { values: { signingSecret: null } }],
      ['POST', `${i}/secrets/rotate-webhook-secret`], ['POST', `${i}/test`], ['DELETE', i],
    ];
    for (const [method, p, body] of calls) {
      const res = await api(method, p, body, otherKey);
      expect([method, p, res.status, res.body.error?.code]).toEqual([method, p, 404, 'not_found']);
    }
    expect((await api<{ providers: unknown[] }>('GET', '/providers', undefined, otherKey)).body.providers).toEqual([]);
    const order = await svc.api('POST', '/actions', { key: otherKey, body: { itemId: state.itemId, type: 'order', parameters: { items: [{ name: 'Latte' }] } }, headers: { 'x-user-id': 'u2' } });
    expect(order.status).toBe(404);
    expect({ providers: await Provider.findById(state.providerId).lean(), menu: await menuSnapshot(), integrations: await Integration.find({ providerId: state.providerId }, { health: 0, updatedAt: 0 }).lean(), secrets: await IntegrationSecret.find({ _id: { $in: [state.webhookId, state.squareId] } }).lean() }).toEqual(before);
  });

  test('malformed or foreign ids are 404; an integration under another provider is 404', async () => {
    const random = new mongoose.Types.ObjectId().toString();
    expect((await api('GET', '/providers/not-an-id')).status).toBe(404);
    expect((await api('GET', `/providers/${random}`)).status).toBe(404);
    expect((await api('PATCH', `${base()}/integrations/nope`, { priority: 1 })).status).toBe(404);
    expect((await api('PATCH', `/providers/${svc.creds.providerId}/integrations/${state.webhookId}`, { priority: 1 })).status).toBe(404);
  });

  test('DELETE removes the integration and its secrets', async () => {
    const res = await api('DELETE', `${base()}/integrations/${state.webhookId}`);
    expect(res.status).toBe(204);
    expect(await Integration.exists({ _id: state.webhookId })).toBeNull();
    expect(await IntegrationSecret.exists({ _id: state.webhookId })).toBeNull();
    expect((await api('DELETE', `${base()}/integrations/${state.webhookId}`)).status).toBe(404);
  });
});
