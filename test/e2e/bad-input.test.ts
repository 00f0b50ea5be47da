/**
 * The bad-input corpus: every request here is malformed in a way a client or an attacker has tried. Each must
 * be answered with a 4xx JSON error ({"error":{"code","message"}}), no stack trace, and no new document in any
 * collection. Requests are written byte for byte over a socket so headers can repeat and bodies can lie.
 */
import net from 'node:net';
import { jest } from '@jest/globals';
import mongoose from 'mongoose';
import { loadAction } from '../../src/storage/action-state.js';
import { SEED_ORDER, startTestService, waitFor, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let svc: TestService;
beforeAll(async () => { svc = await startTestService({ env: { REQUEST_TIMEOUT_MS: '1000' } }); });
afterAll(async () => { await svc?.close(); });

interface RawResponse { status: number; headers: string; body: string }

/** Sends `head` + `body` as-is and reads the whole answer (the server closes: Connection: close; we never half-close first). */
function rawRequest(head: string[], body: Buffer | string = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(svc.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy()); // a server that never answers fails the test instead of hanging it
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headers = '', ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: dechunk(rest.join('\r\n\r\n'), headers) });
    });
    socket.write(`${[...head, 'Host: 127.0.0.1', 'Connection: close'].join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });
}

function dechunk(body: string, headers: string): string {
  if (!/transfer-encoding: chunked/i.test(headers)) return body;
  let out = '';
  for (let rest = body; ;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

const auth = () => `Authorization: Bearer ${svc.creds.apiKey}`;
const postJson = (path: string, body: Buffer | string, extra: string[] = []) =>
  rawRequest([`POST ${path} HTTP/1.1`, auth(), 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...extra], body);
const order = (parameters: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
  JSON.stringify({ itemId: svc.creds.itemId, type: 'order', parameters, ...rest });
const orderHeaders = ['x-user-id: u1'];

async function allDocuments(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const c of await mongoose.connection.db!.collections()) {
    if (c.collectionName.startsWith('agenda')) continue; // the scheduler's own bookkeeping (the sweeper runs on a timer)
    counts[c.collectionName] = await c.countDocuments();
  }
  return counts;
}

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const manyKeys = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v']));

const corpus: Array<[string, () => Promise<RawResponse>]> = [
  // origin.ref keys MongoDB can't store, and too many of them
  ['origin.ref key starting with $', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'api', ref: { $where: 'x' } } }), orderHeaders)],
  ['origin.ref key with a dot', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'api', ref: { 'a.b': 'x' } } }), orderHeaders)],
  ['origin.ref key with NUL', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'api', ref: { 'a\u0000b': 'x' } } }), orderHeaders)],
  ['origin.ref with 5,000 keys', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'api', ref: manyKeys } }), orderHeaders)],
  // bodies that are not what their headers say
  ['Content-Encoding: gzip with a plain body', () => postJson('/actions', order(SEED_ORDER), [...orderHeaders, 'Content-Encoding: gzip'])],
  ['Content-Encoding: br-zip (unknown)', () => postJson('/actions', order(SEED_ORDER), [...orderHeaders, 'Content-Encoding: br-zip'])],
  ['invalid JSON', () => postJson('/actions', '{"itemId": ', orderHeaders)],
  ['JSON that is not an object', () => postJson('/actions', '"just a string"', orderHeaders)],
  ['oversized body', () => postJson('/actions', JSON.stringify({ pad: 'x'.repeat(200_000) }), orderHeaders)],
  ['a malformed request line', () => rawRequest(['POST /actions HTTP/1.1 nonsense', auth()])],
  // paths and nesting
  ['a path that is not UTF-8', () => rawRequest(['GET /actions/%E0%A4%A HTTP/1.1', auth()])],
  ['a 10,000-deep integration config', () => postJson(`/providers/${svc.creds.providerId}/integrations`, `{"type":"api","name":"square","priority":5,"config":${deep(10_000)}}`)],
  ['a 10,000-deep array in an order', () => postJson('/actions', `{"itemId":"${svc.creds.itemId}","type":"order","parameters":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, orderHeaders)],
  ['a config key with a dot', () => postJson(`/providers/${svc.creds.providerId}/integrations`, '{"type":"email","name":"email","priority":5,"config":{"a.b":1}}')],
  // prices parsed strictly
  ['a negative client price', () => postJson('/actions', order({ items: [{ name: 'Latte', price: '-5.50' }] }), orderHeaders)],
  ['a price with trailing garbage', () => postJson('/actions', order({ items: [{ name: 'Latte', price: '5.5 EUR garbage' }] }), orderHeaders)],
  ['a client price that disagrees', () => postJson('/actions', order({ items: [{ name: 'Latte', price: 0.5 }] }), orderHeaders)],
  // names people will read
  ['a name with NUL', () => postJson('/actions', order({ ...SEED_ORDER, customer_name: 'Sam\u0000' }), orderHeaders)],
  ['a name with a bidi override', () => postJson('/actions', order({ ...SEED_ORDER, customer_name: 'Sam\u202Egpj.exe' }), orderHeaders)],
  ['a name with an unpaired surrogate', () => postJson('/actions', `{"itemId":"${svc.creds.itemId}","type":"order","parameters":{"items":[{"name":"Latte"}],"customer_name":"Sam\\ud800"}}`, orderHeaders)],
  ['an item name with a control character', () => postJson('/actions', order({ items: [{ name: 'Lat\u0007te' }] }), orderHeaders)],
  ['x-user-id with a control character', () => postJson('/actions', order(SEED_ORDER), ['x-user-id: u\u00011'])],
  // one-value headers sent twice
  ['two Idempotency-Key headers', () => postJson('/actions', order(SEED_ORDER), [...orderHeaders, 'Idempotency-Key: a', 'Idempotency-Key: b'])],
  ['two x-user-id headers', () => postJson('/actions', order(SEED_ORDER), ['x-user-id: alice', 'X-User-Id: bob'])],
  ['two x-space-id headers', () => postJson('/actions', order(SEED_ORDER), [...orderHeaders, `x-space-id: ${svc.creds.spaceId}`, `x-space-id: ${svc.creds.spaceId}`])],
  // classes handled before
  ['missing x-user-id', () => postJson('/actions', order(SEED_ORDER))],
  ['unknown API key', () => rawRequest(['GET /actions HTTP/1.1', 'Authorization: Bearer rk_nope'])],
  ['malformed item id', () => postJson('/actions', JSON.stringify({ itemId: 'nope', type: 'order', parameters: SEED_ORDER }), orderHeaders)],
  ['unknown menu item', () => postJson('/actions', order({ items: [{ name: 'Unicorn Frappe' }] }), orderHeaders)],
  ['bad pickup time', () => postJson('/actions', order({ ...SEED_ORDER, pickup_time: 'whenever' }), orderHeaders)],
  ['bad list cursor', () => rawRequest(['GET /actions?cursor=%00 HTTP/1.1', auth()])],
];

const sendJson = (method: string, path: string, body: unknown) => {
  const text = JSON.stringify(body);
  return rawRequest([`${method} ${path} HTTP/1.1`, auth(), 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`], text);
};
const provider = { name: 'Harbor Tacos', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HT' };
const catalog = (item: Record<string, unknown> = {}, modifier: Record<string, unknown> = {}) => ({
  items: [{ sku: 'LAT', name: 'Latte', price_cents: 550, ...item }],
  modifiers: [{ id: 'oat', name: 'oat milk', ...modifier }],
});
const LONE_SURROGATE = '\\ud800'; // JSON-escaped: JSON.stringify would write the lone half as a literal code unit

/** The same text rules on every name a request carries (not only order fields), and who may set what: 400 naming the field. */
const names: Array<[string, string, () => Promise<RawResponse>]> = [
  ['a provider name with a bidi override', 'name', () => sendJson('POST', '/providers', { ...provider, name: 'Tacos\u202Egpj.exe' })],
  ['a provider renamed with NUL', 'name', () => sendJson('PATCH', `/providers/${svc.creds.providerId}`, { name: 'Caf\u0000e' })],
  ['a catalog item name with a control character', 'items[0].name', () => sendJson('PUT', `/providers/${svc.creds.providerId}/catalog`, catalog({ name: 'Lat\u0007te' }))],
  ['a catalog alias with a bidi isolate', 'items[0].aliases[0]', () => sendJson('PUT', `/providers/${svc.creds.providerId}/catalog`, catalog({ aliases: ['\u2066latte'] }))],
  ['a catalog category with a control character', 'items[0].category', () => sendJson('PUT', `/providers/${svc.creds.providerId}/catalog`, catalog({ category: 'drinks\u001b[31m' }))],
  ['a modifier name with an unpaired surrogate', 'modifiers[0].name', () => {
    const text = JSON.stringify(catalog()).replace('"oat milk"', `"oat${LONE_SURROGATE}"`);
    return rawRequest([`PUT /providers/${svc.creds.providerId}/catalog HTTP/1.1`, auth(), 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`], text);
  }],
  ['an integration name with a bidi override', 'name', () => sendJson('POST', `/providers/${svc.creds.providerId}/integrations`, { type: 'email', name: 'email\u202E', priority: 5 })],
  // Only the bots (through the engine service) create actions with a chat origin: the bot would post into that thread.
  ['an API client claiming a Slack origin', 'origin.channel', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'slack', ref: { workspace: 'T1', channel: 'C1', thread: '1.2' } } }), orderHeaders)],
  ['an API client claiming a Telegram origin', 'origin.channel', () => postJson('/actions', order(SEED_ORDER, { origin: { channel: 'telegram', ref: { chat: '42' } } }), orderHeaders)],
  ['an operator id with a control character', 'operatorId', () => sendJson('POST', '/manual-tasks/0123456789abcdef01234567/claim', { operatorId: 'op\u0007' })],
];

describe('names everywhere: control characters, bidi controls and lone surrogates are a 400 naming the field', () => {
  test.each(names)('%s', async (_name, field, send) => {
    const before = await allDocuments();
    const res = await send();
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: { field?: string } }).error.field).toBe(field);
    expect(await allDocuments()).toEqual(before);
  });
});

describe('bad-input corpus: 4xx JSON, nothing written', () => {
  test.each(corpus)('%s', async (_name, send) => {
    const before = await allDocuments();
    const res = await send();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(await allDocuments()).toEqual(before);
  });
});

test('a client that sends headers and stalls mid-body is answered 408 and dropped', async () => {
  const socket = net.connect(svc.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(['POST /actions HTTP/1.1', 'Host: 127.0.0.1', auth(), 'Content-Type: application/json', 'Content-Length: 100', 'x-user-id: u1', '', '{"item'].join('\r\n'));
  await waitFor(() => socket.destroyed || socket.readableEnded, 'the server to drop the stalled connection', 10_000);
  await closed;
  expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 408/);
});

test('provider and catalog names are stored NFC-normalised', async () => {
  const res = await svc.api<{ provider: { id: string; name: string } }>('POST', '/providers', { body: { ...provider, name: 'Cafe\u0301 Zoe\u0301' } });
  expect(res.status).toBe(201);
  expect(res.body.provider.name).toBe('Caf\u00e9 Zo\u00e9');
  const put = await svc.api('PUT', `/providers/${res.body.provider.id}/catalog`, { body: catalog({ name: 'Cre\u0300me Latte' }) });
  expect(put.status).toBe(200);
  const menu = await svc.api<{ items: Array<{ name: string }> }>('GET', `/providers/${res.body.provider.id}/catalog`);
  expect(menu.body.items.map((i) => i.name)).toEqual(['Cr\u00e8me Latte']);
});

test('names are stored NFC-normalised', async () => {
  const res = await svc.order({ ...SEED_ORDER, customer_name: 'Zoe\u0301' });
  expect(res.status).toBe(201);
  const stored = await loadAction({ _id: res.body.action.id });
  expect(stored?.order?.customerName).toBe('Zo\u00e9');
});
