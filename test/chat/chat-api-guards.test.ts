/**
 * The chat add-on's API-key routes (/chat/*) run the API's own guards: the failed-auth limiter (shared with the
 * rest of the API), 415 for a body that is not JSON, the JSON shape checks. Bolt's refusals on the Slack
 * Request URL carry a JSON error body, and signed requests still work.
 */
import { jest } from '@jest/globals';
import { startChatTestService, type ChatTestService } from '../support/chat.js';

jest.setTimeout(60_000);

let t: ChatTestService;
beforeAll(async () => { t = await startChatTestService({ env: { AUTH_FAILURES_PER_MINUTE: '5' } }); });
afterAll(async () => { await t?.close(); });

const url = (p: string) => `${t.svc.baseUrl}${p}`;

test('a /chat body that is not JSON is a 415 naming Content-Type', async () => {
  const res = await fetch(url('/chat/connections/slack'), {
    method: 'POST', headers: { authorization: `Bearer ${t.svc.creds.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'teamId=T0123ABCD',
  });
  expect(res.status).toBe(415);
  expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type', field: 'Content-Type' } });
});

test('a /chat body nested too deeply is a 400, not parsed further', async () => {
  const res = await t.svc.api('PUT', '/chat/bindings', { raw: `${'{"a":'.repeat(100)}1${'}'.repeat(100)}` });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: { code: 'too_deeply_nested' } });
});

test('a forged Slack request gets 401 with a JSON error body; a signed one is still acknowledged', async () => {
  const eve = t.slack.addUser({ name: 'eve' });
  const channel = t.slack.openDm(eve.id).id;
  const forged = await t.driver.sendMessage({ user: eve.id, channel, text: 'a latte' }, { signingSecret: 'not-the-secret' });
  expect(forged.deliveries[0]!.status).toBe(401);
  expect(JSON.parse(forged.deliveries[0]!.responseBody ?? '')).toEqual({ error: { code: 'invalid_signature', message: expect.stringContaining('signature') } });
  const signed = await t.driver.sendMessage({ user: eve.id, channel, text: 'menu' });
  expect(signed.deliveries[0]!.status).toBe(200);
});

// Last: it uses up this client's failed attempts.
test('wrong keys on /chat count toward the same failed-auth limit as the API: 429 with Retry-After', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await t.svc.api('GET', '/chat/connections', { key: `rk_wrong_${i}` })).status);
  expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(statuses.slice(5)).toEqual([429, 429]);
  const blocked = await t.svc.api('GET', '/actions', { key: 'rk_wrong_again' });
  expect(blocked.status).toBe(429);
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
});
