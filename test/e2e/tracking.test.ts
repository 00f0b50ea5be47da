/**
 * Tracking links: only tokens we signed open an order page, a page's live connection hears about its own
 * order only, and the customer's confirmation SMS carries the link.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { io } from 'socket.io-client';
import { trackingKey, trackingToken, verifyTrackingToken } from '../../src/tracking/token.js';
import { SEED_ORDER, startTestService, waitFor, waitForStatus, type TestService } from '../support/harness.js';
import { Integration } from '../../src/storage/models.js';
import { createFixtureHandler } from '../support/fixture-handler.js';

jest.setTimeout(60_000);

describe('tracking tokens', () => {
  const key = trackingKey('a-link-secret-of-some-length');
  const id = '6b0d4705018a9bde2a1d7cdc';

  test('round-trip, and every altered or foreign token is refused', () => {
    const token = trackingToken(id, key);
    expect(token).toMatch(/^[A-Za-z0-9_-]{38}$/);
    expect(verifyTrackingToken(token, key)).toBe(id);
    expect(verifyTrackingToken(token, trackingKey('another-link-secret-xyz'))).toBeNull();
    expect(verifyTrackingToken(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, key)).toBeNull();
    expect(verifyTrackingToken(trackingToken('6b0d4705018a9bde2a1d7cdd', key).slice(0, 16) + token.slice(16), key)).toBeNull();
    expect(verifyTrackingToken(`${token}x`, key)).toBeNull();
    expect(verifyTrackingToken('', key)).toBeNull();
  });
});

describe('order pages against the service', () => {
  let svc: TestService;
  const pos = createFixtureHandler('pos', 'api', () => ({ kind: 'completed', readyInMinutes: 7 }));
  beforeAll(async () => {
    svc = await startTestService({ extraHandlers: [pos] });
    await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'pos', priority: 1, enabled: true, config: {} });
  });
  afterAll(async () => { await svc?.close(); });

  test('the confirmation SMS links to the order page, which shows the order without the phone number', async () => {
    const created = await svc.order({ ...SEED_ORDER, customer_phone: '+14155550123' });
    const { trackingUrl } = created.body.action as unknown as { trackingUrl: string };
    await waitForStatus(svc, created.body.action.id, 'completed');
    const outbox = path.join(svc.dataDir, 'outbox', 'sms');
    const sms = await waitFor(async () => {
      const files = await fs.readdir(outbox).catch(() => []);
      return files[0] ? JSON.parse(await fs.readFile(path.join(outbox, files[0]), 'utf8')) as { body: string } : null;
    }, 'the confirmation SMS');
    expect(sms.body).toContain(`Track it: ${trackingUrl}`);

    const page = await fetch(trackingUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('data-status="completed"');
    expect(html).toContain('Sam, here is your order');
    expect(html).not.toContain('4155550123');
    expect((await fetch(`${svc.baseUrl}/o/not-a-token`)).status).toBe(404);
  });

  test("a page's socket hears its own order only, and a bad token cannot connect", async () => {
    const mine = await svc.order();
    const { trackingUrl } = mine.body.action as unknown as { trackingUrl: string };
    const token = trackingUrl.split('/o/')[1]!;
    await waitForStatus(svc, mine.body.action.id, 'completed');

    const socket = io(svc.baseUrl, { auth: { tracking: token }, transports: ['websocket'], reconnection: false });
    const heard: string[] = [];
    socket.onAny((_name: string, payload: { actionId?: string }) => { if (payload?.actionId) heard.push(payload.actionId); });
    await new Promise<void>((resolve, reject) => { socket.once('ready', () => resolve()); socket.once('connect_error', reject); });
    socket.emit('subscribe', { actionId: 'ffffffffffffffffffffffff' });
    const other = await svc.order();
    await waitForStatus(svc, other.body.action.id, 'completed');
    await svc.service.reportFulfillment(mine.body.action.id, 'ready', 'Order is ready');
    await waitFor(() => heard.length > 0, 'the ready event on the page socket');
    expect(new Set(heard)).toEqual(new Set([mine.body.action.id]));
    socket.close();

    const forged = io(svc.baseUrl, { auth: { tracking: `${token.slice(0, -2)}AA` }, transports: ['websocket'], reconnection: false });
    await expect(new Promise((resolve, reject) => { forged.once('ready', resolve); forged.once('connect_error', (e) => reject(e)); })).rejects.toThrow('unauthorized');
    forged.close();
  });
});
