import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SquareClient, SquareError } from 'square';
import { startSquareSimulator, type SquareSimulator } from './simulator.js';

/** The simulator is only useful if the real SDK accepts its answers: drive it with the SDK, as the handler does. */
describe('square simulator speaks the SDK wire format', () => {
  let sim: SquareSimulator;
  let client: SquareClient;
  const noRetry = { maxRetries: 0 } as const;
  const createRequest = {
    idempotencyKey: 'key-1',
    order: {
      locationId: 'LOC_1',
      lineItems: [{ name: 'Tea', quantity: '3', basePriceMoney: { amount: BigInt(250), currency: 'USD' as const } }],
      fulfillments: [{ type: 'PICKUP' as const, pickupDetails: { scheduleType: 'ASAP' as const, recipient: { displayName: 'Sam' } } }],
    },
  };

  beforeEach(async () => {
    sim = await startSquareSimulator();
    client = new SquareClient({ token: sim.accessToken, baseUrl: sim.baseUrl });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('creates, reads and updates an order; money comes back as BigInt', async () => {
    const { order } = await client.orders.create(createRequest, noRetry);
    expect(order).toMatchObject({ locationId: 'LOC_1', state: 'OPEN', version: 1, totalMoney: { amount: BigInt(750), currency: 'USD' } });
    const orderId = order?.id ?? '';

    const fetched = await client.orders.get({ orderId }, noRetry);
    expect(fetched.order?.fulfillments?.[0]?.state).toBe('PROPOSED');

    const uid = fetched.order?.fulfillments?.[0]?.uid ?? '';
    const updated = await client.orders.update(
      { orderId, idempotencyKey: 'upd-1', order: { locationId: 'LOC_1', version: 1, fulfillments: [{ uid, state: 'PREPARED' }] } },
      noRetry,
    );
    expect(updated.order).toMatchObject({ version: 2, fulfillments: [{ uid, state: 'PREPARED' }] });
  });

  it('same key and body returns the same order; same key and another body is refused', async () => {
    const first = await client.orders.create(createRequest, noRetry);
    const second = await client.orders.create(createRequest, noRetry);
    expect(second.order?.id).toBe(first.order?.id);

    const reused = client.orders.create({ ...createRequest, order: { ...createRequest.order, referenceId: 'other' } }, noRetry);
    await expect(reused).rejects.toMatchObject({ statusCode: 400, errors: [{ code: 'IDEMPOTENCY_KEY_REUSED' }] });
    expect(sim.orders()).toHaveLength(1);
    expect(sim.ordersForIdempotencyKey('key-1')).toBe(1);
  });

  it("answers errors in Square's shape", async () => {
    const missing = client.orders.get({ orderId: 'nope' }, noRetry);
    await expect(missing).rejects.toBeInstanceOf(SquareError);
    await expect(client.orders.get({ orderId: 'nope' }, noRetry)).rejects.toMatchObject({
      statusCode: 404,
      errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND' }],
    });
    const unauthorized = new SquareClient({ token: 'wrong', baseUrl: sim.baseUrl }).orders.get({ orderId: 'x' }, noRetry);
    await expect(unauthorized).rejects.toMatchObject({ statusCode: 401, errors: [{ code: 'UNAUTHORIZED' }] });
  });

  it('counted faults expire and then the simulator recovers', async () => {
    sim.setFault({ kind: 'status', status: 503, count: 1 });
    await expect(client.orders.create(createRequest, noRetry)).rejects.toMatchObject({ statusCode: 503 });
    await expect(client.orders.create(createRequest, noRetry)).resolves.toMatchObject({ order: { locationId: 'LOC_1' } });
    expect(sim.requestCount()).toBe(2);
  });
});
