/** The pure pieces of the chat core: follow-up edits, button payloads, Slack error classification, reply words. */
import fs from 'node:fs';
import { CatalogSchema, createParser } from '../../src/parser/index.js';
import { draftFromParse, extractPhone, reviseDraft } from '../../bots/conversation/draft.js';
import { BUTTON, parseButton, plainFailure, statusHeadline } from '../../bots/conversation/replies.js';
import type { OrderView } from '../../bots/conversation/ports.js';
import { classifySlackError } from '../../bots/slack/bot.js';
import { actionIdFor, toBlockKit } from '../../bots/slack/render.js';

const catalog = CatalogSchema.parse(JSON.parse(fs.readFileSync(new URL('../fixtures/catalog-cafe.json', import.meta.url), 'utf8')));
const parser = createParser(catalog);
const now = new Date('2026-11-30T13:00:00Z'); // 8:00 in New York
const start = (text: string) => draftFromParse(parser.parse(text, now), text);

test('follow-ups edit the draft: quantity, modifier, time, name, removal, phone', () => {
  let d = start('a latte and a croissant');
  d = reviseDraft(parser, 'no croissant', d, now);
  expect(d.lines).toEqual([{ sku: 'latte', quantity: 1, modifications: [] }]);
  d = reviseDraft(parser, 'make it 3', d, now);
  expect(d.lines[0]!.quantity).toBe(3);
  d = reviseDraft(parser, 'oat milk on the latte', d, now);
  expect(d.lines[0]!.modifications).toEqual(['oat-milk']);
  d = reviseDraft(parser, 'for 9:30', d, now);
  expect(d.pickupTime).toBe('2026-11-30T14:30:00.000Z');
  d = reviseDraft(parser, "name's Sam", d, now);
  expect(d.customerName).toBe('Sam');
  d = reviseDraft(parser, 'text me at 415 555 0123', d, now);
  expect(d.customerPhone).toBe('+14155550123');
  expect(d.lines).toEqual([{ sku: 'latte', quantity: 3, modifications: ['oat-milk'] }]);
});

test('nothing orderable keeps the question; an item then starts the order', () => {
  const d = start('a unicorn frappe please');
  expect(d.lines).toEqual([]);
  expect(d.unrecognized).toEqual(['unicorn frappe']);
  const next = reviseDraft(parser, '2 lattes then', d, now);
  expect(next.lines).toEqual([{ sku: 'latte', quantity: 2, modifications: [] }]);
  expect(next.unrecognized).toEqual([]);
});

test('phone numbers: E.164 kept, 10-digit US numbers completed, others ignored', () => {
  expect(extractPhone('call +44 20 7946 0958')).toBe('+442079460958');
  expect(extractPhone('(415) 555-0123')).toBe('+14155550123');
  expect(extractPhone('2 lattes for 8:15')).toBeNull();
});

test('button payloads fit Telegram callback_data and round-trip; garbage is refused', () => {
  const id = '0123456789abcdef01234567';
  for (const v of [BUTTON.place(12), BUTTON.drop(3), BUTTON.cancelAsk(id), BUTTON.cancelYes(id), BUTTON.keep(id), BUTTON.provider(id)]) {
    expect(Buffer.byteLength(v)).toBeLessThanOrEqual(64);
    expect(parseButton(v)).not.toBeNull();
  }
  expect(parseButton(BUTTON.place(12))).toEqual({ kind: 'place', version: 12 });
  expect(parseButton('cxl!:not-an-id')).toBeNull();
  expect(parseButton('place:')).toBeNull();
  expect(actionIdFor(BUTTON.place(1))).toBe('rouh_place');
  expect(actionIdFor(BUTTON.cancelYes(id))).not.toBe(actionIdFor(BUTTON.cancelAsk(id)));
});

test('Slack errors are classified for the outbox', () => {
  expect(classifySlackError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }).failure).toEqual({ kind: 'rate_limited', retryAfterMs: 7000 });
  expect(classifySlackError({ code: 'slack_webapi_http_error', statusCode: 503 }).failure.kind).toBe('unavailable');
  expect(classifySlackError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }).failure.kind).toBe('permanent');
  expect(classifySlackError({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }).failure.kind).toBe('unavailable');
  expect(classifySlackError(new Error('socket hang up')).failure.kind).toBe('unavailable');
});

test('customers never read internal errors', () => {
  const order = {
    id: 'x', userId: 'u', status: 'failed', fulfillment: null, orderNumber: null, lines: [], total: '$5.50', pickupAt: null, customerName: null, instructions: null,
    receipt: null, origin: null, createdAt: now, provider: { id: 'p', name: 'Downtown Café', timezone: 'America/New_York', currency: 'USD', orderPrefix: 'DC' },
    failureReason: "An operator couldn't take the order (Square call failed: TypeError: fetch failed at node:internal)",
  } as OrderView;
  const text = statusHeadline(order, now);
  expect(text).not.toMatch(/TypeError|Square|fetch|internal/);
  expect(text).toContain('not been charged');
  expect(plainFailure('Email declined (café closed)', 'Downtown Café')).toBe("Downtown Café couldn't take this order.");
});

test('Block Kit: escaped words, a button per action, fallback text', () => {
  const kit = toBlockKit({ text: 'Total <$5>', blocks: [{ type: 'text', text: 'a & b <c>' }], buttons: [{ label: 'Place order', value: BUTTON.place(2), style: 'primary' }] });
  expect(kit.text).toBe('Total <$5>');
  expect(JSON.stringify(kit.blocks)).toContain('a &amp; b &lt;c&gt;');
  expect(kit.blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ action_id: 'rouh_place', value: 'place:2', style: 'primary' }] });
});
