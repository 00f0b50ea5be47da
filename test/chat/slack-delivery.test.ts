/**
 * Outbound guarantees through the real Bolt/web-api against the Slack simulator's faults: a 429 waits its
 * Retry-After and keeps the thread's order; Slack down then back delivers everything once while the action
 * itself completes; two spaces in two workspaces never see each other.
 */
import { jest } from '@jest/globals';
import { Integration, Item, MenuItem, Provider, Space } from '../../src/storage/models.js';
import { findStoredAction } from '../../src/storage/action-state.js';
import { createApiKey } from '../../src/storage/api-keys.js';
import { waitFor, waitForStatus } from '../support/harness.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';

jest.setTimeout(60_000);

let t: ChatTestService;
beforeAll(async () => { t = await startChatTestService(); });
afterAll(async () => { await t?.close(); });

const repliesOf = (channel: string, ts: string) => t.slack.thread(channel, ts).filter((m) => m.botId && m.ts !== ts);
/** Thread replies other than the order card (the card is edited to the same words as the news). */
const newsOf = (channel: string, ts: string) => repliesOf(channel, ts).filter((m) => !JSON.stringify(m.blocks ?? []).includes('"header"'));
const cardIn = (channel: string, ts: string) => waitFor(() => repliesOf(channel, ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the order card');

async function startOrder(name: string, text = 'a latte') {
  const user = t.slack.addUser({ name });
  const channel = t.slack.openDm(user.id).id;
  const { message } = await t.driver.sendMessage({ user: user.id, channel, text });
  const card = await cardIn(channel, message.ts);
  return { user, channel, message, card };
}

test('429 with Retry-After on chat.postMessage: delivered after the wait, in order', async () => {
  const { user, channel, message, card } = await startOrder('rita');
  t.slack.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, method: 'chat.postMessage', count: 1 });
  const clickedAt = Date.now();
  await t.driver.clickButton({ user: user.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  await waitFor(() => newsOf(channel, message.ts).find((m) => /Confirmed!/.test(m.text)), 'the receipt');
  const limited = t.slack.calls().filter((c) => c.method === 'chat.postMessage' && c.status === 429);
  expect(limited).toHaveLength(1);
  const texts = repliesOf(channel, message.ts).filter((m) => m.ts !== card.ts).map((m) => m.text);
  expect(texts.findIndex((x) => x.startsWith('Placing'))).toBeLessThan(texts.findIndex((x) => x.startsWith('Confirmed!')));
  expect(texts.filter((x) => x.startsWith('Placing'))).toHaveLength(1);
  // The first post after the 429 came no sooner than Retry-After.
  const firstPost = t.slack.calls().findIndex((c) => c === limited[0]);
  const after = t.slack.calls().slice(firstPost + 1).find((c) => c.method === 'chat.postMessage' && c.status === 200);
  expect(after).toBeDefined();
  expect(Date.now() - clickedAt).toBeGreaterThanOrEqual(1000);
});

test('Slack down, then back: the action completes meanwhile and every message arrives once, in order', async () => {
  const { user, channel, message, card } = await startOrder('dan', 'a croissant');
  t.slack.setFault({ kind: 'down' });
  await t.driver.clickButton({ user: user.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  const action = await waitFor(() => findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${user.id}` }), 'the action');
  await waitForStatus(t.svc, action._id.toString(), 'completed');
  expect(repliesOf(channel, message.ts).filter((m) => m.ts !== card.ts)).toHaveLength(0);
  t.slack.setFault(null);
  await waitFor(() => newsOf(channel, message.ts).find((m) => /Confirmed!/.test(m.text)), 'the receipt after Slack is back', 20_000);
  await new Promise((r) => setTimeout(r, 1500));
  const texts = repliesOf(channel, message.ts).filter((m) => m.ts !== card.ts).map((m) => m.text);
  expect(texts.filter((x) => x.startsWith('Placing'))).toHaveLength(1);
  expect(texts.filter((x) => x.startsWith('Confirmed!'))).toHaveLength(1);
  expect(texts.findIndex((x) => x.startsWith('Placing'))).toBeLessThan(texts.findIndex((x) => x.startsWith('Confirmed!')));
  expect(t.slack.message(channel, card.ts)!.text).toMatch(/Confirmed! Order #DC-/);
});

test('two spaces in two workspaces: each sees only its own menu, orders and threads', async () => {
  const other = t.slack.addWorkspace({ teamId: 'T0OTHER01', teamName: 'Harbor', botToken: 'xoxb-other-workspace-token', botUserId: 'U0OTHERBOT', botId: 'B0OTHERBOT' });
  const space = await Space.create({ name: 'Harbor Space' });
  const key = await createApiKey(space._id, 'test');
  const provider = await Provider.create({ spaceId: space._id, name: 'Harbor Tacos', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HT', prepMinutes: 10 });
  await MenuItem.create({ providerId: provider._id, sku: 'taco', name: 'Fish Taco', aliases: ['fish tacos', 'tacos', 'taco'], priceCents: 450 });
  await Item.create({ spaceId: space._id, providerId: provider._id, name: 'Harbor Tacos' });
  await Integration.create({ spaceId: space._id, providerId: provider._id, type: 'manual', name: 'manual', priority: 100 });
  // The second space connects its workspace through the API, with that workspace's own bot token.
  const res = await t.svc.api('POST', '/chat/connections/slack', { key, body: { teamId: other.teamId, botToken: other.botToken } });
  expect(res.status).toBe(201);
  expect(JSON.stringify(res.body)).not.toContain(other.botToken);
  const taken = await t.svc.api('POST', '/chat/connections/slack', { key, body: { teamId: t.slack.workspace.teamId } });
  expect(taken.status).toBe(409);
  // Install links need OAuth client credentials, which this deployment (one bot token) does not have.
  const link = await t.svc.api<{ error: { code: string } }>('POST', '/chat/connections', { key, body: { platform: 'slack', mode: 'oauth' } });
  expect(link.status).toBe(409);
  expect(link.body.error.code).toBe('oauth_not_configured');

  const pat = t.slack.addUser({ name: 'pat', teamId: other.teamId });
  const patDm = t.slack.openDm(pat.id).id;
  const { message } = await t.driver.sendMessage({ user: pat.id, channel: patDm, text: '2 fish tacos' });
  const card = await waitFor(() => repliesOf(patDm, message.ts).find((m) => /Harbor Tacos/.test(m.text)), 'Harbor card');
  expect(card.text).toContain('$9.00');
  expect(card.teamId).toBe(other.teamId);
  await t.driver.clickButton({ user: pat.id, channel: patDm, messageTs: card.ts, actionId: 'rouh_place' });
  await waitFor(() => newsOf(patDm, message.ts).find((m) => /Waiting for Harbor Tacos/.test(m.text)), 'waiting for the operator');

  // The first workspace's customers see the café, never Harbor's order.
  const cam = t.slack.addUser({ name: 'cam' });
  const camDm = t.slack.openDm(cam.id).id;
  const harborOrder = await waitFor(() => findStoredAction({ spaceId: space._id }), 'harbor action');
  expect(harborOrder.userId).toBe(`slack:${other.teamId}:${pat.id}`);
  const ask = await t.driver.sendMessage({ user: cam.id, channel: camDm, text: "where's my order" });
  const answer = await waitFor(() => repliesOf(camDm, ask.message.ts)[0], 'cam\'s answer');
  expect(answer.text).not.toContain('Harbor');
  const menu = await t.driver.sendMessage({ user: cam.id, channel: camDm, text: 'menu' });
  expect((await waitFor(() => repliesOf(camDm, menu.message.ts)[0], 'menu')).text).toContain('Downtown Café');
  // Nothing of Harbor's went to the first workspace, nothing of the café's to Harbor's.
  expect(t.slack.messages({ teamId: t.slack.workspace.teamId }).some((m) => /Harbor/.test(m.text))).toBe(false);
  expect(t.slack.messages({ teamId: other.teamId }).some((m) => /Downtown/.test(m.text))).toBe(false);
});
