/**
 * Slack OAuth installs for many workspaces, with the real @slack/bolt and @slack/oauth against the Slack
 * simulator: a space's install link (API) → our install page (state cookie) → the simulator's authorize page
 * → our redirect (state checked, oauth.v2.access) → installation kept in MongoDB and the workspace joined to
 * the link's space → a DM from that workspace orders through to the receipt. Plus a second workspace in a
 * second space without cross-talk, forged and expired states refused with nothing stored, and uninstall.
 */
import fs from 'node:fs/promises';
import { jest } from '@jest/globals';
import oauth from '@slack/oauth';
import { SLACK_BOT_SCOPES, SLACK_REDIRECT_PATH } from '../../bots/slack/oauth.js';
import { ChatConnection, ChatSecret } from '../../bots/storage/models.js';
import { createApiKey } from '../../src/storage/api-keys.js';
import { Integration, Item, MenuItem, Provider, Space } from '../../src/storage/models.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';
import { waitFor } from '../support/harness.js';

jest.setTimeout(60_000);

const STATE_SECRET = 'test-slack-state-secret';
let t: ChatTestService;
beforeAll(async () => { t = await startChatTestService({ oauth: { stateSecret: STATE_SECRET } }); });
afterAll(async () => { await t?.close(); });

const repliesOf = (channel: string, ts: string) => t.slack.thread(channel, ts).filter((m) => m.botId && m.ts !== ts);
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

/** The API's install link, as the space's admin gets it. */
async function installLink(key?: string): Promise<string> {
  const res = await t.svc.api<{ installUrl: string; expiresAt: string }>('POST', '/chat/connections', { body: { platform: 'slack', mode: 'oauth' }, ...(key ? { key } : {}) });
  expect(res.status).toBe(201);
  expect(res.body.installUrl).toMatch(/\/slack\/install\?code=[\w-]+$/);
  return res.body.installUrl;
}

/** The admin's browser: our install page → Slack's authorize page → back to our redirect URL (not yet followed). */
async function authorize(installUrl: string, choice?: { teamId?: string; deny?: boolean }): Promise<{ callback: URL; cookie: string }> {
  if (choice) t.slack.nextAuthorize(choice);
  const start = await fetch(installUrl, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = cookieOf(start);
  expect(cookie).toMatch(/^slack-app-oauth-state=/);
  const slackPage = new URL(start.headers.get('location')!);
  expect(slackPage.origin).toBe(t.slack.url);
  expect(slackPage.searchParams.get('redirect_uri')).toBe(`${t.svc.baseUrl}/slack/oauth_redirect`);
  const approved = await fetch(slackPage, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  return { callback: new URL(approved.headers.get('location')!), cookie };
}

/** The whole dance; approves into a new simulated workspace unless `choice.teamId` names one. */
async function install(key?: string, choice?: { teamId?: string }): Promise<{ status: number; page: string; teamId: string; installUrl: string }> {
  const installUrl = await installLink(key);
  const { callback, cookie } = await authorize(installUrl, choice);
  const done = await fetch(callback, { headers: { cookie, accept: 'text/html' } });
  const teamId = choice?.teamId ?? t.slack.workspaces().at(-1)!.teamId;
  return { status: done.status, page: await done.text(), teamId, installUrl };
}

async function dmOrder(teamId: string, text: string) {
  const user = t.slack.addUser({ name: `u${Math.floor(Math.random() * 1e6)}`, teamId });
  const channel = t.slack.openDm(user.id).id;
  const { message, deliveries } = await t.driver.sendMessage({ user: user.id, channel, text });
  expect(deliveries.every((d) => d.ok)).toBe(true);
  return { user, channel, message };
}

test('install link → Slack authorize → redirect → installed and connected → a DM orders through to the receipt', async () => {
  const { status, page, teamId, installUrl } = await install();
  expect(status).toBe(200);
  expect(page).toContain('is installed in');
  const ws = t.slack.workspaces().find((w) => w.teamId === teamId)!;

  // Connected to the link's space; the token is kept write-only.
  const connection = await ChatConnection.findById(`slack:${teamId}`).lean();
  expect(String(connection?.spaceId)).toBe(t.svc.creds.spaceId);
  const secret = await ChatSecret.findById(`slack:${teamId}`).lean();
  expect((secret?.values as { botToken?: string }).botToken).toBe(ws.botToken);
  const list = await t.svc.api<{ connections: { id: string; status: string }[] }>('GET', '/chat/connections');
  expect(list.body.connections).toContainEqual(expect.objectContaining({ id: `slack:${teamId}`, status: 'active' }));
  expect(JSON.stringify(list.body)).not.toContain(ws.botToken);

  // Bolt's authorize finds the workspace's token: the DM gets its card, Place order gets the receipt.
  const { user, channel, message } = await dmOrder(teamId, "an oat latte with an extra shot and a croissant, name's Sam");
  const card = await waitFor(() => repliesOf(channel, message.ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the order card');
  expect(card.text).toContain('$8.75');
  expect(card.teamId).toBe(teamId);
  await t.driver.clickButton({ user: user.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  const receipt = await waitFor(() => repliesOf(channel, message.ts).find((m) => /Confirmed! Order #DC-\d+/.test(m.text) && !JSON.stringify(m.blocks ?? []).includes('"header"')), 'the receipt');
  expect(receipt.text).toContain('$8.75');

  // The link was spent by the install.
  expect((await fetch(installUrl, { redirect: 'manual' })).status).toBe(404);
});

test('a second workspace installed into a second space: each sees only its own café', async () => {
  const space = await Space.create({ name: 'Harbor Space' });
  const key = await createApiKey(space._id, 'test');
  const provider = await Provider.create({ spaceId: space._id, name: 'Harbor Tacos', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HT', prepMinutes: 10 });
  await MenuItem.create({ providerId: provider._id, sku: 'taco', name: 'Fish Taco', aliases: ['fish tacos', 'tacos', 'taco'], priceCents: 450 });
  await Item.create({ spaceId: space._id, providerId: provider._id, name: 'Harbor Tacos' });
  await Integration.create({ spaceId: space._id, providerId: provider._id, type: 'manual', name: 'manual', priority: 100 });

  const first = await install();
  const second = await install(key);
  expect(second.status).toBe(200);
  expect(String((await ChatConnection.findById(`slack:${second.teamId}`).lean())?.spaceId)).toBe(String(space._id));

  // The second space's key sees its workspace only; the first space's list does not show it.
  const harborList = await t.svc.api<{ connections: { id: string }[] }>('GET', '/chat/connections', { key });
  expect(harborList.body.connections.map((c) => c.id)).toEqual([`slack:${second.teamId}`]);
  const cafeList = await t.svc.api<{ connections: { id: string }[] }>('GET', '/chat/connections');
  expect(cafeList.body.connections.map((c) => c.id)).not.toContain(`slack:${second.teamId}`);

  const harbor = await dmOrder(second.teamId, '2 fish tacos');
  const harborCard = await waitFor(() => repliesOf(harbor.channel, harbor.message.ts).find((m) => /Harbor Tacos/.test(m.text)), 'Harbor card');
  expect(harborCard.text).toContain('$9.00');
  const cafe = await dmOrder(first.teamId, 'menu');
  const menu = await waitFor(() => repliesOf(cafe.channel, cafe.message.ts)[0], 'the café menu');
  expect(menu.text).toContain('Downtown Café');
  expect(t.slack.messages({ teamId: first.teamId }).some((m) => /Harbor/.test(m.text))).toBe(false);
  expect(t.slack.messages({ teamId: second.teamId }).some((m) => /Downtown/.test(m.text))).toBe(false);

  // A workspace already in one space cannot be taken by another space's link.
  const taken = await install(key, { teamId: first.teamId });
  expect(taken.status).toBe(409);
  expect(String((await ChatConnection.findById(`slack:${first.teamId}`).lean())?.spaceId)).toBe(t.svc.creds.spaceId);
});

test('forged, expired or cookie-less states and unknown links are refused, and nothing is stored', async () => {
  const count = async () => ({ connections: await ChatConnection.countDocuments({}), secrets: await ChatSecret.countDocuments({}) });
  const before = await count();

  // A state altered in transit.
  const { callback, cookie } = await authorize(await installLink());
  const forged = new URL(callback);
  const state = forged.searchParams.get('state')!;
  forged.searchParams.set('state', `${state.slice(0, -4)}AAAA`);
  const forgedRes = await fetch(forged, { headers: { cookie: `slack-app-oauth-state=${forged.searchParams.get('state')}` } });
  expect(forgedRes.status).toBe(400);
  expect(await forgedRes.json()).toMatchObject({ error: { code: 'invalid_state' } });

  // The real state, but from a browser that never opened the install link (no state cookie).
  expect((await fetch(callback)).status).toBe(400);

  // A state signed with our secret but older than 10 minutes.
  const code = new URL(await installLink()).searchParams.get('code')!;
  const old = await new oauth.ClearStateStore(STATE_SECRET).generateStateParam({ scopes: ['chat:write'], metadata: code, redirectUri: `${t.svc.baseUrl}/slack/oauth_redirect` }, new Date(Date.now() - 11 * 60_000));
  const slackCode = t.slack.approveInstall().code;
  const expired = await fetch(`${t.svc.baseUrl}/slack/oauth_redirect?code=${slackCode}&state=${encodeURIComponent(old)}`, { headers: { cookie: `slack-app-oauth-state=${old}` } });
  expect(expired.status).toBe(400);

  // The admin cancels in Slack.
  const denied = await authorize(await installLink(), { deny: true });
  expect((await fetch(denied.callback, { headers: { cookie: denied.cookie } })).status).toBe(400);

  // An unknown install link.
  expect((await fetch(`${t.svc.baseUrl}/slack/install?code=not-a-real-code-123`, { redirect: 'manual' })).status).toBe(404);

  expect(await count()).toEqual(before);
  // The untouched real callback still completes: the refusals spent nothing.
  expect((await fetch(callback, { headers: { cookie } })).status).toBe(200);
});

test('app_uninstalled deletes the installation and shows on the connection; a new link reinstalls', async () => {
  const { teamId } = await install();
  const id = `slack:${teamId}`;
  expect(await ChatSecret.exists({ _id: id })).toBeTruthy();

  t.slack.uninstall(teamId);
  const sent = await t.driver.sendEvent(teamId, { type: 'app_uninstalled' });
  expect(sent.ok).toBe(true);
  await waitFor(async () => !(await ChatSecret.exists({ _id: id })), 'the installation deleted');
  const list = await t.svc.api<{ connections: { id: string; status: string; uninstalledAt: string | null }[] }>('GET', '/chat/connections');
  const shown = list.body.connections.find((c) => c.id === id);
  expect(shown).toMatchObject({ status: 'uninstalled' });
  expect(shown?.uninstalledAt).not.toBeNull();

  const again = await install(undefined, { teamId: teamId });
  expect(again.status).toBe(200);
  const ws = t.slack.workspaces().find((w) => w.teamId === teamId)!;
  expect((((await ChatSecret.findById(id).lean())?.values) as { botToken?: string }).botToken).toBe(ws.botToken);
  expect((await ChatConnection.findById(id).lean())?.status).toBe('active');
});

test('tokens_revoked: a revoked user token changes nothing; a revoked bot token is an uninstall', async () => {
  const { teamId } = await install();
  const id = `slack:${teamId}`;
  const ws = t.slack.workspaces().find((w) => w.teamId === teamId)!;
  const userOnly = await t.driver.sendEvent(teamId, { type: 'tokens_revoked', tokens: { oauth: ['U0ADMIN'] } });
  expect(userOnly.ok).toBe(true);
  // The bot still answers in that workspace afterwards, with its token kept.
  const asked = await dmOrder(teamId, 'menu');
  await waitFor(() => repliesOf(asked.channel, asked.message.ts)[0], 'the menu after a user token was revoked');
  expect(await ChatSecret.exists({ _id: id })).toBeTruthy();
  const bot = await t.driver.sendEvent(teamId, { type: 'tokens_revoked', tokens: { bot: [ws.botUserId] } });
  expect(bot.ok).toBe(true);
  await waitFor(async () => (await ChatConnection.findById(id).lean())?.status === 'uninstalled', 'the connection marked uninstalled');
  expect(await ChatSecret.exists({ _id: id })).toBeNull();
});

test('an install link request is validated: only Slack OAuth links are made here', async () => {
  const res = await t.svc.api<{ error: { field?: string } }>('POST', '/chat/connections', { body: { platform: 'slack', mode: 'token' } });
  expect(res.status).toBe(400);
  expect(res.body.error.field).toBe('mode');
  expect(await ChatConnection.countDocuments({ workspace: 'token' })).toBe(0);
});

test('an install asks for the manifest\'s bot scopes and returns to the manifest\'s redirect path', async () => {
  const manifest = await fs.readFile(new URL('../../bots/slack/manifest.yml', import.meta.url), 'utf8');
  const botScopes = /^\s{4}bot:\n((?:\s{6}- .+\n)+)/m.exec(manifest)?.[1] ?? '';
  const listed = [...botScopes.matchAll(/- ([\w:.]+)/g)].map((m) => m[1]);
  expect([...listed].sort()).toEqual([...SLACK_BOT_SCOPES].sort());
  expect(manifest).toMatch(new RegExp(`redirect_urls:\\n\\s+- https://[^/]+${SLACK_REDIRECT_PATH}\\n`));
});
