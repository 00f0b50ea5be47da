/**
 * The operator UI wired into the real Slack bot (the chat extension's slackBot with the `extend` hook), end
 * to end: a customer orders in a Slack DM, the café's POS rejects it and its email is declined, the task
 * card appears in #ops, an operator claims and completes it through the modal, and the customer's thread
 * gets the receipt.
 */
import { jest } from '@jest/globals';
import { connect } from '../../connections.js';
import { createSlackDriver, startSlackSimulator, type SlackDriver, type SlackSimulator } from '../simulator/index.js';
import { startSquareSimulator, type SquareSimulator } from '../../../handlers/square/simulator.js';
import { Integration, IntegrationSecret } from '../../../src/storage/models.js';
import { findStoredAction } from '../../../src/storage/action-state.js';
import { declineWhenAwaiting, startTestService, waitFor, waitForStatus, type TestService } from '../../../test/support/harness.js';
import { slackWithOperators } from '../../../test/support/operators.js';
import { ACTION, FIELD, VIEW } from './card.js';
import { operatorConsoleRouter, setupOperatorDemo, type ConsoleModal } from './demo.js';
import express from 'express';
import type { AddressInfo } from 'node:net';

jest.setTimeout(90_000);

let svc: TestService;
let slack: SlackSimulator;
let square: SquareSimulator;
let driver: SlackDriver;

beforeAll(async () => {
  slack = await startSlackSimulator();
  svc = await startTestService({ extensions: slackWithOperators(slack, { backoff: { initialMs: 200, factor: 2, maxMs: 2000 }, sweepEvery: '2 seconds' }) });
  square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: 'sq-key' } });
  const integration = await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 10, enabled: true, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 5 } });
  await IntegrationSecret.create({ _id: integration._id, values: { accessToken: square.accessToken, webhookSignatureKey: 'sq-key' } });
  await connect(svc.creds.spaceId, { platform: 'slack', workspace: slack.workspace.teamId, channel: '' });
  driver = createSlackDriver(slack, { kind: 'http', url: `${svc.baseUrl}/slack/events` }, { subscriptions: ['message.im', 'app_mention', 'app_home_opened'] });
});
afterAll(async () => {
  await svc?.close();
  await square?.close();
  await slack?.close();
});

test('a Slack order the café cannot take reaches #ops; the operator completes it and the customer\'s thread gets the receipt', async () => {
  const sam = slack.addUser({ name: 'sam' });
  const ana = slack.addUser({ name: 'ana' });
  const ops = slack.addChannel({ name: 'ops', members: [ana.id] }).id;
  expect((await svc.api('PUT', '/operators', { body: { channel: { id: ops, workspaceId: slack.workspace.teamId } } })).status).toBe(200);

  square.setFault({ kind: 'bad_token' }); // the POS refuses: the order goes on to email, which the café declines
  const dm = slack.openDm(sam.id).id;
  const { message } = await driver.sendMessage({ user: sam.id, channel: dm, text: "an americano, name's Sam" });
  const orderCard = await waitFor(() => slack.thread(dm, message.ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the order card');
  await driver.clickButton({ user: sam.id, channel: dm, messageTs: orderCard.ts, actionId: 'rouh_place' });
  const action = await waitFor(() => findStoredAction({ userId: `slack:${slack.workspace.teamId}:${sam.id}` }), 'the action');
  const actionId = action._id.toString();
  await waitFor(async () => (await svc.status(actionId)).action.executions.some((e) => e.handlerName === 'email' && e.status === 'awaiting'), 'the email step');
  await declineWhenAwaiting(svc, `${actionId}:1:1`, 'no americanos today');
  await waitForStatus(svc, actionId, 'awaiting_confirmation');

  const taskId = `${actionId}:2:1`;
  const card = await waitFor(() => slack.messages({ channel: ops }).find((m) => JSON.stringify(m.blocks ?? []).includes(JSON.stringify(taskId))), 'the task card in #ops');
  expect(JSON.stringify(card.blocks)).toContain('email: declined — no americanos today');
  await driver.clickButton({ user: ana.id, channel: ops, messageTs: card.ts, actionId: ACTION.claim });
  await waitFor(() => slack.message(ops, card.ts)!.text.includes('Claimed by'), 'the claim on the card');
  await driver.clickButton({ user: ana.id, channel: ops, messageTs: card.ts, actionId: ACTION.complete });
  const modal = await waitFor(() => slack.views().find((v) => v.userId === ana.id && v.view['callback_id'] === VIEW.complete), 'the modal');
  await driver.submitView({ user: ana.id, viewId: modal.id, values: { [FIELD.orderNumber]: '', [FIELD.readyIn]: '8', [FIELD.note]: '' } });

  const receipt = await waitFor(() => slack.thread(dm, message.ts).find((m) => /Confirmed! Order #DC-\d+/.test(m.text)), 'the receipt in the customer\'s thread');
  expect(receipt.text).toContain('$4.00');
  await waitFor(() => slack.message(ops, card.ts)!.text.includes('Completed by'), 'the card completed');
  expect(JSON.stringify(slack.message(ops, card.ts)!.blocks)).not.toContain(ACTION.complete);
});

test('the demo console plays the operator: #ops shows the card, presses Claim and fills the Complete modal (bad value first)', async () => {
  const operator = await setupOperatorDemo(slack, svc.creds.spaceId);
  const consoleApp = express().use(operatorConsoleRouter({ sim: slack, driver, operator }));
  const server = consoleApp.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async <T>(method: string, p: string, body?: unknown) => (await (await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json()) as T;
  try {
    square.setFault({ kind: 'bad_token' });
    const { body } = await svc.order();
    await waitFor(async () => (await svc.status(body.action.id)).action.executions.some((e) => e.handlerName === 'email' && e.status === 'awaiting'), 'the email step');
    await declineWhenAwaiting(svc, `${body.action.id}:1:1`, 'closed for a private event');
    type Msg = { id: string; text: string; buttons: string[] };
    const cardMsg = await waitFor(async () => (await call<{ messages: Msg[] }>('GET', '/operator/messages')).messages.find((m) => m.buttons.includes('Claim')), 'the card in the console');
    expect(cardMsg.text).toContain('1× Latte (oat milk, extra shot)');
    await call('POST', '/operator/press', { messageId: cardMsg.id, n: 1 });
    await waitFor(async () => (await call<{ messages: Msg[] }>('GET', '/operator/messages')).messages.find((m) => m.id === cardMsg.id && m.buttons.join() === 'Complete,Fail,Release'), 'the claimed card');
    const { modal } = await call<{ modal: ConsoleModal }>('POST', '/operator/press', { messageId: cardMsg.id, n: 1 });
    expect(modal.fields.map((f) => f.id)).toEqual([FIELD.orderNumber, FIELD.readyIn, FIELD.note]);
    const bad = await call<{ errors?: Record<string, string> }>('POST', '/operator/submit', { viewId: modal.viewId, values: { [FIELD.orderNumber]: '', [FIELD.readyIn]: 'ten', [FIELD.note]: '' } });
    expect(Object.keys(bad.errors ?? {})).toEqual([FIELD.readyIn]);
    expect(await call('POST', '/operator/submit', { viewId: modal.viewId, values: { [FIELD.orderNumber]: '', [FIELD.readyIn]: '10', [FIELD.note]: '' } })).toEqual({ ok: true });
    await waitForStatus(svc, body.action.id, 'completed');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
