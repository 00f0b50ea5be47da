/**
 * The seed flow end to end over HTTP, real SMTP and socket.io:
 * create → queued → executing → awaiting_confirmation → provider clicks Confirm → completed with a receipt.
 */
import { jest } from '@jest/globals';
import { ActionExecutionService } from '../../src/engine/execution-service.js';
import { listen, startTestService, waitFor, waitForStatus, type EventLog, type TestService } from '../support/harness.js';
import { confirmLink, startSmtpSink, type SmtpSink } from '../support/smtp.js';

jest.setTimeout(60_000);

let svc: TestService;
let smtp: SmtpSink;
let events: EventLog;

beforeAll(async () => {
  smtp = await startSmtpSink();
  svc = await startTestService({ env: { SMTP_URL: smtp.url } });
  events = await listen(svc);
});
afterAll(async () => {
  events?.close();
  await svc?.close();
  await smtp?.close();
});

test('seed order: emailed to the café, confirmed by link, receipt and live events', async () => {
  const created = await svc.order();
  expect(created.status).toBe(201);
  const action = created.body.action as Record<string, unknown>;
  expect(action).toMatchObject({ status: 'queued', type: 'order', total: '$8.75', total_cents: 875, userId: 'user-1' });
  expect(created.body.ledger).toMatchObject({ amount: '$8.75', amount_cents: 875, status: 'pending' });
  expect(created.body.lead).toBeNull();
  const id = action.id as string;

  await waitForStatus(svc, id, 'awaiting_confirmation');
  const mail = await waitFor(() => smtp.messages[0], 'the order email');
  expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('orders@downtown-cafe.example');
  expect(mail.text).toContain('1 x Latte (oat milk, extra shot) — $5.50');
  expect(mail.text).toContain('1 x Croissant — $3.25');
  expect(mail.text).toContain('Total: $8.75');
  expect(mail.text).toContain('Customer: Sam');
  expect(mail.html).toContain('Confirm order');

  // GET only shows the form (link scanners must not confirm orders); POST decides.
  const link = confirmLink(mail);
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('ready_in_minutes');
  expect((await svc.status(id)).action.status).toBe('awaiting_confirmation');

  const confirmed = await fetch(link, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'ready_in_minutes=12' });
  expect(confirmed.status).toBe(200);

  const status = await waitForStatus(svc, id, 'completed');
  expect(status.action.orderNumber).toBe('DC-1547');
  expect(status.action.executions).toEqual([expect.objectContaining({ handlerType: 'email', handlerName: 'email', status: 'completed' })]);
  expect(status.action.receipts).toHaveLength(1);
  const receipt = status.action.receipts[0]!;
  expect(receipt.receiptNumber).toMatch(/^RCP-\d{10}-[a-z0-9]{6}$/);
  expect(receipt.status).toBe('issued');
  expect(receipt.data).toMatchObject({
    provider: 'Downtown Café', order_number: 'DC-1547', total: '$8.75', ready_in_minutes: 12,
    items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk', 'extra shot'], price: '$5.50' }, { name: 'Croissant', quantity: 1, modifications: [], price: '$3.25' }],
  });
  expect(status.statusUpdates.map((u) => u.status)).toEqual(['queued', 'executing', 'awaiting_confirmation', 'completed']);
  expect(status.statusUpdates[1]!.message).toBe('Placing order with Downtown Café...');
  expect(status.statusUpdates[3]!.message).toContain('Order confirmed! Order #DC-1547');

  // A second click changes nothing.
  const again = await fetch(link, { method: 'POST', headers: { accept: 'application/json' } });
  expect(again.status).toBe(409);
  expect((await svc.status(id)).action.receipts).toHaveLength(1);

  // socket.io saw the whole story, in order, with the documented payloads.
  const mine = await waitFor(() => {
    const e = events.events.filter((x) => x.payload.actionId === id);
    return e.some((x) => x.name === 'action.completed') ? e : null;
  }, 'the completed event');
  expect(mine.filter((e) => e.name === 'action.status').map((e) => e.payload.status)).toEqual(['queued', 'executing', 'awaiting_confirmation', 'completed']);
  const statusEvent = mine.find((e) => e.name === 'action.status')!;
  expect(Object.keys(statusEvent.payload).sort()).toEqual(['actionId', 'message', 'status', 'timestamp']);
  const completed = mine.find((e) => e.name === 'action.completed')!;
  expect(completed.payload).toMatchObject({ actionId: id, receiptData: { order_number: 'DC-1547', total: '$8.75' } });
  expect(Object.keys(completed.payload).sort()).toEqual(['actionId', 'externalReference', 'receiptData']);
});

test('decline link falls through to a manual task; the operator completes it', async () => {
  const before = smtp.messages.length;
  const { body } = await svc.order({ items: [{ name: 'Latte', quantity: 2 }], customer_name: 'Priya' });
  const id = body.action.id;
  const mail = await waitFor(() => smtp.messages[before], 'the order email');
  const declined = await fetch(confirmLink(mail, 'decline'), { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=out+of+oat+milk' });
  expect(declined.status).toBe(200);

  const task = await waitFor(async () => {
    const r = await svc.api<{ tasks: Array<{ id: string; actionId: string; status: string; summary: string }> }>('GET', '/manual-tasks');
    return r.body.tasks.find((t) => String(t.actionId) === id);
  }, 'a manual task');
  expect(task.status).toBe('open');
  expect(task.summary).toContain('2× Latte');
  await waitForStatus(svc, id, 'awaiting_confirmation');

  expect((await svc.api('POST', `/manual-tasks/${task.id}/complete`, { body: { operatorId: 'op-1' } })).status).toBe(409); // must claim first
  expect((await svc.api('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op-1' } })).status).toBe(200);
  expect((await svc.api('POST', `/manual-tasks/${task.id}/claim`, { body: { operatorId: 'op-2' } })).status).toBe(409);
  const done = await svc.api('POST', `/manual-tasks/${task.id}/complete`, { body: { operatorId: 'op-1', orderNumber: 'DC-9001', readyInMinutes: 7 } });
  expect(done.status).toBe(200);

  const status = await waitForStatus(svc, id, 'completed');
  expect(status.action.executions.map((e) => [e.handlerType, e.status])).toEqual([['email', 'declined'], ['manual', 'completed']]);
  expect(status.action.receipts[0]!.data).toMatchObject({ order_number: 'DC-9001', ready_in_minutes: 7, total: '$11.00' });
  expect(status.statusUpdates.some((u) => u.message.includes("The order wasn't accepted via email"))).toBe(true);
  expect(status.statusUpdates.some((u) => u.message.includes('oat milk'))).toBe(false); // the café's reason is for the team
  expect(status.action.executions[0]!.error).toMatchObject({ code: 'declined', message: 'out of oat milk' });
});

test('a decline clicked before its step is recorded waits for it and applies; one that stays too early gets 503 + Retry-After', async () => {
  const before = smtp.messages.length;
  const { body } = await svc.order({ items: [{ name: 'Latte', quantity: 1 }], customer_name: 'Noor' });
  const mail = await waitFor(() => smtp.messages[before], 'the order email');
  await waitForStatus(svc, body.action.id, 'awaiting_confirmation');
  const post = () => fetch(confirmLink(mail, 'decline'), { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=closing+early' });
  const early = { applied: false, status: 'executing' as const, retryLater: true };

  // The café's click beat our record of the email twice over: the link waits, then the decline applies.
  const spy = jest.spyOn(ActionExecutionService.prototype, 'decline').mockResolvedValueOnce(early).mockResolvedValueOnce(early);
  try {
    const declined = await post();
    expect(declined.status).toBe(200);
    expect(spy).toHaveBeenCalledTimes(3);
  } finally {
    spy.mockRestore();
  }
  await waitFor(async () => (await svc.api<{ tasks: Array<{ actionId: string }> }>('GET', '/manual-tasks')).body.tasks.find((t) => String(t.actionId) === body.action.id), 'the fall-through to a manual task');

  // Still too early after the bounded wait: 503 with Retry-After, nothing decided (not a misleading 409).
  const always = jest.spyOn(ActionExecutionService.prototype, 'decline').mockResolvedValue(early);
  try {
    const late = await post();
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('not_ready');
  } finally {
    always.mockRestore();
  }
});
