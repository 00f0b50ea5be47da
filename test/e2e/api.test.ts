/** The HTTP API's contract: validation naming the field, auth and space isolation, idempotency — and no writes on errors. */
import { jest } from '@jest/globals';
import mongoose from 'mongoose';
import { createApiKey } from '../../src/storage/api-keys.js';
import { ActionStatusUpdate, IdempotencyRecord, Space } from '../../src/storage/models.js';
import { storedActions } from '../../src/storage/action-state.js';
import { SEED_ORDER, startTestService, waitForStatus, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
// Status updates are not counted: earlier tests' actions keep moving through the chain in the background.
const counts = async () => ({ actions: (await storedActions({})).length, idem: await IdempotencyRecord.countDocuments(), spaceUpdates: await ActionStatusUpdate.countDocuments({ status: 'queued' }) });

beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

const post = (body: unknown, headers: Record<string, string> = {}, key?: string | null) =>
  svc.api<{ error: { code: string; message: string; field?: string } }>('POST', '/actions', { body, key, headers: { 'x-space-id': svc.creds.spaceId, 'x-user-id': 'u1', ...headers } });

describe('validation: 4xx naming the problem, nothing written', () => {
  const cases: Array<[string, () => unknown, number, string, string | undefined]> = [
    ['missing items', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: {} }), 400, 'validation_failed', 'parameters.items'],
    ['unknown menu item', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { items: [{ name: 'Unicorn Frappe', quantity: 1 }] } }), 400, 'unknown_menu_item', 'parameters.items[0].name'],
    ['unknown modifier', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', modifications: ['soy milk'] }] } }), 400, 'unknown_modifier', 'parameters.items[0].modifications[0]'],
    ['zero quantity', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 0 }] } }), 400, 'validation_failed', 'parameters.items[0].quantity'],
    ['fractional quantity', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 1.5 }] } }), 400, 'validation_failed', 'parameters.items[0].quantity'],
    ['client price disagrees with the menu', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { items: [{ name: 'Latte', quantity: 1, price: 0.5 }] } }), 400, 'price_mismatch', 'parameters.items[0].price'],
    ['bad pickup time', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { ...SEED_ORDER, pickup_time: 'whenever' } }), 400, 'invalid_pickup_time', 'parameters.pickup_time'],
    ['pickup time in the past', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { ...SEED_ORDER, pickup_time: '2020-01-01T10:00:00Z' } }), 400, 'invalid_pickup_time', 'parameters.pickup_time'],
    ['bad phone', () => ({ itemId: svc.creds.itemId, type: 'order', parameters: { ...SEED_ORDER, customer_phone: '555-1234' } }), 400, 'validation_failed', 'parameters.customer_phone'],
    ['unsupported type', () => ({ itemId: svc.creds.itemId, type: 'teleport', parameters: SEED_ORDER }), 400, 'validation_failed', 'type'],
    ['malformed item id', () => ({ itemId: 'nope', type: 'order', parameters: SEED_ORDER }), 400, 'validation_failed', 'itemId'],
    ['item of no space', () => ({ itemId: new mongoose.Types.ObjectId().toString(), type: 'order', parameters: SEED_ORDER }), 404, 'item_not_found', 'itemId'],
  ];
  test.each(cases)('%s', async (_name, body, status, code, field) => {
    const before = await counts();
    const res = await post(body());
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
    expect(await counts()).toEqual(before);
  });

  test('missing x-user-id, invalid JSON and oversized bodies', async () => {
    const before = await counts();
    const noUser = await svc.api<{ error: { code: string; field: string } }>('POST', '/actions', { body: { itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER } });
    expect([noUser.status, noUser.body.error.field]).toEqual([400, 'x-user-id']);
    const badJson = await svc.api<{ error: { code: string } }>('POST', '/actions', { raw: '{"itemId": ', headers: { 'x-user-id': 'u1' } });
    expect([badJson.status, badJson.body.error.code]).toEqual([400, 'invalid_json']);
    const huge = await svc.api<{ error: { code: string } }>('POST', '/actions', { raw: JSON.stringify({ pad: 'x'.repeat(200_000) }), headers: { 'x-user-id': 'u1' } });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'payload_too_large']);
    expect(await counts()).toEqual(before);
  });
});

describe('auth and space isolation', () => {
  test('no key, unknown key and a mismatched x-space-id are refused without writing', async () => {
    const before = await counts();
    const body = { itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER };
    expect((await post(body, {}, null)).status).toBe(401);
    expect((await post(body, {}, 'rk_not_a_key')).status).toBe(401);
    const wrongSpace = await post(body, { 'x-space-id': new mongoose.Types.ObjectId().toString() });
    expect([wrongSpace.status, wrongSpace.body.error.code]).toEqual([403, 'forbidden']);
    expect(await counts()).toEqual(before);
  });

  test("another space's key cannot read, list or cancel this space's actions, nor order its items", async () => {
    const { body } = await svc.order();
    const id = body.action.id;
    const other = await Space.create({ name: 'Other' });
    const otherKey = await createApiKey(other._id, 'other');
    const read = await svc.api<{ error: { code: string } }>('GET', `/actions/${id}/status`, { key: otherKey });
    expect([read.status, read.body.error.code]).toEqual([404, 'not_found']);
    expect((await svc.api('GET', `/actions/${id}`, { key: otherKey })).status).toBe(404);
    expect((await svc.api('POST', `/actions/${id}/cancel`, { key: otherKey })).status).toBe(404);
    const list = await svc.api<{ actions: unknown[] }>('GET', '/actions', { key: otherKey });
    expect(list.body.actions).toEqual([]);
    const before = await counts();
    const order = await svc.api('POST', '/actions', { key: otherKey, body: { itemId: svc.creds.itemId, type: 'order', parameters: SEED_ORDER }, headers: { 'x-user-id': 'u2' } });
    expect(order.status).toBe(404);
    expect(await counts()).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  test('same key and body → the same action once; different body → 422', async () => {
    const key = `idem-${Date.now()}`;
    const first = await svc.order(SEED_ORDER, { 'idempotency-key': key });
    const second = await svc.order(SEED_ORDER, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.action.id).toBe(first.body.action.id);
    expect((await storedActions({ idempotencyKey: key })).length).toBe(1);

    const before = await counts();
    const changed = await svc.order({ ...SEED_ORDER, customer_name: 'Someone else' }, { 'idempotency-key': key });
    expect(changed.status).toBe(422);
    expect((changed.body as unknown as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    expect(await counts()).toEqual(before);
  });

  test('concurrent requests with one key create one action', async () => {
    const key = `race-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 5 }, () => svc.order(SEED_ORDER, { 'idempotency-key': key })));
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.action.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    expect((await storedActions({ idempotencyKey: key })).length).toBe(1);
  });
});

describe('reads', () => {
  test('GET /actions filters by status and pages with a cursor; GET /actions/:id; cancel', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await svc.order()).body.action.id);
    const cancelled = await svc.api<{ action: { status: string } }>('POST', `/actions/${ids[0]}/cancel`);
    expect([cancelled.status, cancelled.body.action.status]).toEqual([200, 'cancelled']);
    expect((await svc.api('POST', `/actions/${ids[0]}/cancel`)).status).toBe(409);

    const page1 = await svc.api<{ actions: Array<{ id: string }>; nextCursor: string | null }>('GET', '/actions?limit=2');
    expect(page1.body.actions).toHaveLength(2);
    expect(page1.body.actions[0]!.id).toBe(ids[2]);
    const page2 = await svc.api<{ actions: Array<{ id: string }>; nextCursor: string | null }>('GET', `/actions?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.actions[0]!.id).toBe(ids[0]);
    const onlyCancelled = await svc.api<{ actions: Array<{ id: string; status: string }> }>('GET', '/actions?status=cancelled');
    expect(onlyCancelled.body.actions.map((a) => a.id)).toContain(ids[0]);
    expect(onlyCancelled.body.actions.every((a) => a.status === 'cancelled')).toBe(true);
    const bad = await svc.api<{ error: { field: string } }>('GET', '/actions?status=bogus');
    expect([bad.status, bad.body.error.field]).toEqual([400, 'query.status']);

    const one = await svc.api<{ action: { id: string; total: string } }>('GET', `/actions/${ids[1]}`);
    expect(one.body.action).toMatchObject({ id: ids[1], total: '$8.75' });
    await waitForStatus(svc, ids[1]!, 'awaiting_confirmation');
  });

  test('phone numbers are masked in responses', async () => {
    const { body } = await svc.order({ ...SEED_ORDER, customer_phone: '+14155550123' });
    const raw = JSON.stringify((await svc.api('GET', `/actions/${body.action.id}/status`)).body) + JSON.stringify(body);
    expect(raw).not.toContain('4155550123');
    expect(raw).toContain('+1***23');
  });
});
