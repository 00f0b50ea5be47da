import { smsTextFor } from '../../src/notify/sms/templates.js';
import { completedEvent, provider, readyEvent } from './fixtures.js';

const base = { providerName: provider.name, timezone: provider.timezone, pickupAt: null };

describe('SMS templates', () => {
  test('confirmed ASAP order names the provider, order number and ready time', () => {
    expect(smsTextFor(completedEvent(), base)).toBe('Downtown Café: Order #DC-1547 confirmed, ready in 12 minutes!');
    expect(smsTextFor(completedEvent('a', { ready_in_minutes: 1 }), base)).toBe('Downtown Café: Order #DC-1547 confirmed, ready in 1 minute!');
  });

  test('a scheduled pickup prints the local time, with the day when it is not today', () => {
    const sameDay = new Date('2025-01-01T17:30:00Z'); // 12:30 PM in New York, the event's local day
    expect(smsTextFor(completedEvent(), { ...base, pickupAt: sameDay })).toBe('Downtown Café: Order #DC-1547 confirmed for pickup at 12:30 PM.');
    const nextDay = new Date('2025-01-02T14:00:00Z');
    expect(smsTextFor(completedEvent(), { ...base, pickupAt: nextDay })).toBe('Downtown Café: Order #DC-1547 confirmed for pickup at Thu, Jan 2, 9:00 AM.');
  });

  test('ready text with and without a known order number', () => {
    expect(smsTextFor(readyEvent(), { ...base, orderNumber: 'DC-1547' })).toBe('Downtown Café: Order #DC-1547 is ready for pickup!');
    expect(smsTextFor(readyEvent(), base)).toBe('Downtown Café: Your order is ready for pickup!');
  });

  test('a very long provider name is clipped so the text stays within one segment', () => {
    const text = smsTextFor(completedEvent(), { ...base, providerName: 'The Extraordinarily Long Named Neighbourhood Coffee Roasters & Bakery Collective' });
    expect(text?.length).toBeLessThanOrEqual(160);
    expect(text).toMatch(/^The Extraordinarily Long Named Neighb\.\.\.: Order #DC-1547/);
  });

  test('other events get no text', () => {
    expect(smsTextFor({ type: 'action.failed', actionId: 'a', spaceId: 's', error: 'x', timestamp: '' }, base)).toBeNull();
  });
});

describe('SMS templates with a tracking link', () => {
  test('the confirmation ends with the order page link; the ready text does not repeat it', () => {
    const trackingUrl = 'https://orders.example/o/aw1HBQGKm94qHXzcLTnMIbwdJLA_LPfe1bN0Vw';
    expect(smsTextFor(completedEvent(), { ...base, trackingUrl })).toBe(`Downtown Café: Order #DC-1547 confirmed, ready in 12 minutes! Track it: ${trackingUrl}`);
    expect(smsTextFor(readyEvent(), { ...base, orderNumber: 'DC-1547', trackingUrl })).toBe('Downtown Café: Order #DC-1547 is ready for pickup!');
  });
});
