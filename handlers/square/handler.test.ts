import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SquareClient } from 'square';
import type { HandlerResult } from '../../src/engine/types.js';
import { createSquareHandler } from './handler.js';
import { startSquareSimulator, type SquareSimulator } from './simulator.js';
import { action, FIXED_NOW, handlerContext, integration, pricedOrder, provider } from '../../test/support/square-fixtures.js';

const TOKEN = 'sq-test-token-never-leak';
/**
 * square v46 leaks its per-request timeout timer when fetch rejects (dropped connection, abort, refused):
 * core/fetcher/makeRequest.js clears it only after a response. Tests whose request fails that way use this
 * short timeout, and afterAll outlives it, so the jest worker exits cleanly.
 */
const LEAKY_TIMEOUT_SECONDS = 1;

describe('square handler against the simulator', () => {
  let sim: SquareSimulator;
  const handler = createSquareHandler({ createClient: ({ token, baseUrl }) => new SquareClient({ token, baseUrl }) });

  beforeEach(async () => {
    sim = await startSquareSimulator({
      accessToken: TOKEN,
      catalog: { VAR_CROISSANT: { name: 'Croissant', priceCents: 375 }, MOD_OAT: { name: 'Oat milk', priceCents: 75 } },
    });
  });
  afterEach(async () => {
    await sim.close();
  });
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, LEAKY_TIMEOUT_SECONDS * 1000 + 100));
  });

  function squareIntegration(config: Record<string, unknown> = {}, secrets: Record<string, string> = { accessToken: TOKEN }) {
    return integration({ locationId: 'LOC_1', baseUrl: sim.baseUrl, prepMinutes: 12, ...config }, secrets);
  }

  function expectNoSecrets(result: HandlerResult): void {
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    if (result.kind === 'retryable' || result.kind === 'permanent') {
      expect(result.error.message).not.toContain(TOKEN);
      expect(result.error.message).not.toContain('+15551234567');
    }
  }

  it('creates a pickup order with modifiers; the total is the one Square computed', async () => {
    const { ctx, orderNumberCalls } = handlerContext({ integration: squareIntegration() });
    const result = await handler.execute(ctx);

    const [order] = sim.orders();
    expect(sim.orders()).toHaveLength(1);
    expect(result).toEqual({ kind: 'completed', externalRef: order?.id, orderNumber: 'CAFE-1', readyInMinutes: 12, totalCents: 1625 });
    expect(orderNumberCalls()).toBe(1);
    expect(order?.total_money).toEqual({ amount: 1625, currency: 'USD' });
    expect(order?.reference_id).toBe('act_1');
    expect(order?.ticket_name).toBe('CAFE-1');
    const latte = order?.line_items[0];
    expect(latte).toMatchObject({ name: 'Latte', quantity: '2', base_price_money: { amount: 450, currency: 'USD' }, total_money: { amount: 1250, currency: 'USD' } });
    expect(latte?.modifiers?.map((m) => [m.name, m.base_price_money.amount, m.total_price_money.amount])).toEqual([
      ['Oat milk', 75, 150],
      ['Extra shot', 100, 200],
    ]);
    expect(order?.fulfillments).toEqual([
      {
        uid: expect.any(String),
        type: 'PICKUP',
        state: 'PROPOSED',
        pickup_details: {
          recipient: { display_name: 'Rana', phone_number: '+15551234567' },
          schedule_type: 'ASAP',
          prep_time_duration: 'PT12M',
          note: 'Extra hot please',
        },
      },
    ]);
    // One request: the SDK made no retries of its own.
    expect(sim.requestCount()).toBe(1);
  });

  it('schedules a pickup at order.pickupAt and falls back to the provider prep time', async () => {
    const pickupAt = new Date(FIXED_NOW.getTime() + 45 * 60_000);
    const { ctx } = handlerContext({
      action: action({ order: pricedOrder({ pickupAt, customerName: null, customerPhone: null, specialInstructions: null }) }),
      integration: squareIntegration({ prepMinutes: undefined }),
    });
    const result = await handler.execute(ctx);

    expect(result).toMatchObject({ kind: 'completed', readyInMinutes: 45 });
    expect(sim.orders()[0]?.fulfillments[0]?.pickup_details).toEqual({
      recipient: { display_name: 'CAFE-1' },
      schedule_type: 'SCHEDULED',
      pickup_at: pickupAt.toISOString(),
      prep_time_duration: 'PT15M',
    });
    expect(provider.prepMinutes).toBe(15);
  });

  it('sends catalog ids for mapped items and modifiers and lets Square price them', async () => {
    const { ctx } = handlerContext({
      integration: squareIntegration({ catalogMap: { items: { croissant: 'VAR_CROISSANT' }, modifiers: { oat: 'MOD_OAT' } } }),
    });
    const result = await handler.execute(ctx);

    expect(result).toMatchObject({ kind: 'completed', totalCents: 1625 });
    const [latte, croissant] = sim.orders()[0]?.line_items ?? [];
    expect(croissant).toMatchObject({ catalog_object_id: 'VAR_CROISSANT', name: 'Croissant', base_price_money: { amount: 375 } });
    expect(latte?.catalog_object_id).toBeUndefined();
    expect(latte?.modifiers?.[0]).toMatchObject({ catalog_object_id: 'MOD_OAT', base_price_money: { amount: 75 } });
  });

  it("reports Square's total when Square adds tax", async () => {
    await sim.close();
    sim = await startSquareSimulator({ accessToken: TOKEN, taxBasisPoints: 1000 });
    const { ctx } = handlerContext({ integration: squareIntegration() });

    expect(await handler.execute(ctx)).toMatchObject({ kind: 'completed', totalCents: 1625 + 163 });
  });

  it('running the same execution twice creates exactly one Square order', async () => {
    const first = await handler.execute(handlerContext({ integration: squareIntegration(), attempt: 1 }).ctx);
    const second = await handler.execute(handlerContext({ integration: squareIntegration(), attempt: 2 }).ctx);

    expect(first.kind).toBe('completed');
    expect(second).toEqual(first);
    expect(sim.orders()).toHaveLength(1);
    expect(sim.ordersForIdempotencyKey('act_1:int_square')).toBe(1);
  });

  it('exactly once: the order is created but the answer is lost; the retry gets the same order', async () => {
    sim.setFault({ kind: 'accept_then_drop', count: 1 });
    // The request's timeout must not race the dropped connection: after a stall longer than the timeout (a
    // loaded machine), Node runs expired timers before pending socket events, and the lost answer would read
    // as a timeout. So the SDK's timeout timer is a fake one for this call; it never fires (nor leaks).
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    let lost: HandlerResult;
    try {
      lost = await handler.execute(handlerContext({ integration: squareIntegration(), attempt: 1 }).ctx);
    } finally {
      jest.useRealTimers();
    }
    expect(lost).toMatchObject({ kind: 'retryable', error: { code: 'unavailable', retryable: true } });
    expect(sim.orders()).toHaveLength(1);

    const retried = await handler.execute(handlerContext({ integration: squareIntegration(), attempt: 2 }).ctx);
    expect(retried).toMatchObject({ kind: 'completed', externalRef: sim.orders()[0]?.id, totalCents: 1625 });
    expect(sim.orders()).toHaveLength(1);
    expect(sim.ordersForIdempotencyKey('act_1:int_square')).toBe(1);
  });

  it.each([500, 503] as const)('HTTP %i is retryable and the SDK does not retry by itself', async (status) => {
    sim.setFault({ kind: 'status', status });
    const result = await handler.execute(handlerContext({ integration: squareIntegration() }).ctx);

    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'unavailable', retryable: true } });
    expect(sim.requestCount()).toBe(1);
    expect(sim.orders()).toHaveLength(0);
    expectNoSecrets(result);
  });

  it('429 is retryable with the server-requested delay', async () => {
    sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 7 });
    const result = await handler.execute(handlerContext({ integration: squareIntegration() }).ctx);

    expect(result).toMatchObject({ kind: 'retryable', retryAfterMs: 7000, error: { code: 'rate_limited' } });
    expect(sim.requestCount()).toBe(1);
  });

  it('a revoked token is a permanent unauthorized failure that never echoes the token', async () => {
    sim.setFault({ kind: 'bad_token' });
    const result = await handler.execute(handlerContext({ integration: squareIntegration() }).ctx);

    expect(result).toMatchObject({ kind: 'permanent', error: { code: 'unauthorized', retryable: false } });
    if (result.kind === 'permanent') expect(result.error.message).toContain('Square rejected the access token');
    expectNoSecrets(result);
  });

  it('a wrong token is rejected by the simulator the same way', async () => {
    const result = await handler.execute(handlerContext({ integration: squareIntegration({}, { accessToken: 'wrong-token' }) }).ctx);
    expect(result).toMatchObject({ kind: 'permanent', error: { code: 'unauthorized' } });
    expect(JSON.stringify(result)).not.toContain('wrong-token');
  });

  it('a hung Square is cut off by the request timeout and is retryable', async () => {
    sim.setFault({ kind: 'hang' });
    const started = Date.now();
    const result = await handler.execute(handlerContext({ integration: squareIntegration({ timeoutSeconds: 0.3 }) }).ctx);

    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a hung Square is cut off by the engine signal and is retryable', async () => {
    sim.setFault({ kind: 'hang' });
    const { ctx, abort } = handlerContext({ integration: squareIntegration({ timeoutSeconds: LEAKY_TIMEOUT_SECONDS }) });
    setTimeout(() => abort.abort(), 100);
    const result = await handler.execute(ctx);

    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'timeout', message: expect.stringContaining('budget') } });
  });

  it('a slow but answering Square still completes within the timeout', async () => {
    sim.setFault({ kind: 'slow', ms: 150 });
    expect(await handler.execute(handlerContext({ integration: squareIntegration() }).ctx)).toMatchObject({ kind: 'completed' });
  });

  it('an unreachable Square is retryable', async () => {
    const baseUrl = sim.baseUrl;
    await sim.close();
    const result = await handler.execute(handlerContext({ integration: integration({ locationId: 'LOC_1', baseUrl, timeoutSeconds: LEAKY_TIMEOUT_SECONDS }, { accessToken: TOKEN }) }).ctx);
    sim = await startSquareSimulator({ accessToken: TOKEN });

    expect(result).toMatchObject({ kind: 'retryable', error: { code: 'unavailable' } });
  });

  it("a rejected order is permanent and carries Square's detail", async () => {
    const { ctx } = handlerContext({ integration: squareIntegration({ catalogMap: { items: { latte: 'VAR_MISSING' } } }) });
    const result = await handler.execute(ctx);

    expect(result).toMatchObject({ kind: 'permanent', error: { code: 'bad_request', message: expect.stringContaining('VAR_MISSING') } });
    expectNoSecrets(result);
  });

  it('the same idempotency key with a different order is refused, not duplicated', async () => {
    await handler.execute(handlerContext({ integration: squareIntegration() }).ctx);
    const changed = action({ order: pricedOrder({ specialInstructions: 'No foam' }) });
    const result = await handler.execute(handlerContext({ action: changed, integration: squareIntegration() }).ctx);

    expect(result).toMatchObject({ kind: 'permanent', error: { code: 'bad_request', message: expect.stringContaining('IDEMPOTENCY_KEY_REUSED') } });
    expect(sim.orders()).toHaveLength(1);
  });

  it.each([
    ['no location', { locationId: undefined }, { accessToken: TOKEN }],
    ['no token', {}, {}],
    ['both baseUrl and environment', { environment: 'sandbox' }, { accessToken: TOKEN }],
    ['a non-numeric timeout', { timeoutSeconds: 'soon' }, { accessToken: TOKEN }],
  ])('a config with %s is a permanent misconfigured failure and calls nobody', async (_label, config, secrets) => {
    const result = await handler.execute(handlerContext({ integration: squareIntegration(config, secrets) }).ctx);

    expect(result).toMatchObject({ kind: 'permanent', error: { code: 'misconfigured', retryable: false } });
    expect(sim.requestCount()).toBe(0);
    expectNoSecrets(result);
  });

  it('only takes order actions on api integrations', () => {
    const square = squareIntegration();
    expect(handler.canHandle(action(), provider, square)).toEqual({ ok: true });
    expect(handler.canHandle(action({ type: 'booking' }), provider, square).ok).toBe(false);
    expect(handler.canHandle(action(), provider, { ...square, type: 'email' }).ok).toBe(false);
  });
});
