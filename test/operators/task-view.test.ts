/** The operator card's data: why a task fell through (one line per earlier step) and what the card shows. */
import { summarizeAttempts, type AttemptRecord } from '../../src/operators/attempts.js';
import { buildTaskView } from '../../src/operators/task-view.js';

const rec = (chainIndex: number, attempt: number, handlerType: string, status: string, message: string | null, code: string | null = null, handlerName = handlerType): AttemptRecord =>
  ({ chainIndex, attempt, handlerType, handlerName, status, error: { code, message } });

describe('summarizeAttempts', () => {
  test('repeated failures of one step collapse to ×n; a declined email keeps its reason', () => {
    const lines = summarizeAttempts([
      rec(1, 1, 'email', 'declined', 'out of oat milk', 'declined'),
      rec(0, 2, 'api', 'retrying', 'Square is unavailable: HTTP 503 (SERVICE_UNAVAILABLE: down)', 'unavailable', 'square'),
      rec(0, 1, 'api', 'retrying', 'Square is unavailable: HTTP 503 (SERVICE_UNAVAILABLE: down)', 'unavailable', 'square'),
      rec(0, 3, 'api', 'failed', 'Square is unavailable: HTTP 503 (SERVICE_UNAVAILABLE: down)', 'unavailable', 'square'),
      rec(2, 1, 'manual', 'awaiting', null),
    ]);
    expect(lines).toEqual(['POS: 503 ×3', 'email: declined — out of oat milk']);
  });

  test('mixed outcomes stay in order; timeouts, skips and unknown handlers read plainly', () => {
    expect(summarizeAttempts([
      rec(0, 1, 'api', 'retrying', 'Square did not answer within 10s', 'timeout', 'square'),
      rec(0, 2, 'api', 'failed', 'Square rejected the order: HTTP 422 (INVALID_VALUE)', 'bad_request', 'square'),
      rec(1, 1, 'webhook', 'timed_out', 'no confirmation in time', 'timeout'),
      rec(2, 1, 'fax', 'skipped', 'not configured', 'unavailable', 'faxer'),
    ])).toEqual(['POS: timeout, 422', 'webhook: no confirmation in time', 'faxer: skipped — not configured']);
  });
});

describe('buildTaskView', () => {
  test('shows the provider contacts, priced items with modifiers, pickup in provider time, and masks the phone', () => {
    const view = buildTaskView({
      task: { _id: 'a:2:1', actionId: 'a', spaceId: 's', status: 'open', round: 0, createdAt: new Date('2026-11-30T12:00:00Z') },
      order: {
        lines: [{ sku: 'latte', name: 'Latte', quantity: 2, unitPriceCents: 550, modifiers: [{ id: 'oat', name: 'oat milk', priceCents: 0 }], lineTotalCents: 1100 }],
        totalCents: 1100, currency: 'USD', pickupAt: new Date('2026-11-30T13:15:00Z'), customerName: 'Sam', customerPhone: '+14155550123', specialInstructions: 'extra hot',
      },
      provider: { _id: 'p', name: 'Downtown Café', timezone: 'America/New_York', contactEmail: 'orders@cafe.example', contactPhone: '+12125550100' },
      executions: [rec(0, 1, 'email', 'declined', 'closed today', 'declined')],
    });
    expect(view).toMatchObject({
      status: 'open', operatorId: null,
      provider: { name: 'Downtown Café', phone: '+12125550100', email: 'orders@cafe.example' },
      items: [{ quantity: 2, name: 'Latte', modifiers: ['oat milk'], price: '$11.00' }],
      total: '$11.00', pickup: 'Mon, 8:15 AM EST', customer: { name: 'Sam', phoneMasked: '+1***23' }, instructions: 'extra hot',
      attempts: ['email: declined — closed today'],
    });
    expect(JSON.stringify(view)).not.toContain('5550123');
  });

  test('no pickup time asked → as soon as possible', () => {
    const view = buildTaskView({
      task: { _id: 't', actionId: 'a', spaceId: 's', status: 'claimed', operatorId: 'slack:T1:U1' },
      order: { lines: [], totalCents: 0, currency: 'USD', pickupAt: null, customerName: null, customerPhone: null, specialInstructions: null },
      provider: { _id: 'p', name: 'X', timezone: 'UTC' }, executions: [],
    });
    expect(view).toMatchObject({ pickup: 'as soon as possible', operatorId: 'slack:T1:U1', customer: { name: null, phoneMasked: null } });
  });
});
