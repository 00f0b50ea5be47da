import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { WebSocket } from 'ws';
import { App, ExpressReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { ErrorCode, WebClient, WebClientEvent, type WebAPIRateLimitedError } from '@slack/web-api';
import { createSlackDriver, startSlackSimulator, type SimSlackUser, type SlackSimulator } from './index.js';

const quiet = { logLevel: LogLevel.ERROR };
const noRetry = { retries: 0 };

/** The simulator is only useful if the real SDKs accept its answers: drive it with @slack/web-api and Bolt. */
describe('slack simulator: Web API through @slack/web-api', () => {
  let sim: SlackSimulator;
  let client: WebClient;
  let sam: SimSlackUser;

  beforeEach(async () => {
    sim = await startSlackSimulator();
    client = new WebClient(sim.workspace.botToken, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    sam = sim.addUser({ name: 'sam' });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('answers auth.test with the ids Bolt needs', async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, team_id: sim.workspace.teamId, user_id: sim.workspace.botUserId, bot_id: sim.workspace.botId });
  });

  it('records messages per channel and thread; a reply to a reply lands in the parent thread', async () => {
    const dm = await client.conversations.open({ users: sam.id });
    const channel = dm.channel?.id ?? '';
    expect(channel).toMatch(/^D/);
    const parent = await client.chat.postMessage({ channel, text: 'card', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*card*' } }] });
    const reply = await client.chat.postMessage({ channel, text: 'placing', thread_ts: parent.ts ?? '' });
    await client.chat.postMessage({ channel, text: 'confirmed', thread_ts: reply.ts ?? '' });
    await client.chat.postMessage({ channel, text: 'elsewhere' });

    const thread = sim.thread(channel, parent.ts ?? '');
    expect(thread.map((m) => m.text)).toEqual(['card', 'placing', 'confirmed']);
    expect(thread.slice(1).every((m) => m.threadTs === parent.ts)).toBe(true);
    expect(sim.messages({ channel })).toHaveLength(4);
    expect(reply.message).toMatchObject({ thread_ts: parent.ts, bot_id: sim.workspace.botId });
  });

  it('edits a message in place with chat.update, and refuses to edit what the bot did not write', async () => {
    const { id: channel } = sim.openDm(sam.id);
    const posted = await client.chat.postMessage({ channel, text: 'draft' });
    await client.chat.update({ channel, ts: posted.ts ?? '', text: 'placed' });
    expect(sim.message(channel, posted.ts ?? '')).toMatchObject({ text: 'placed', edits: 1, textHistory: ['draft', 'placed'] });

    const human = sim.postAsUser({ user: sam.id, channel, text: 'hi' });
    await expect(client.chat.update({ channel, ts: human.ts, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'cant_update_message' } });
    await expect(client.chat.update({ channel, ts: '1.000001', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('keeps ephemerals for their user and out of the default message list', async () => {
    const room = sim.addChannel({ name: 'coffee', members: [sam.id] });
    await client.chat.postEphemeral({ channel: room.id, user: sam.id, text: 'only you' });
    expect(sim.messages({ channel: room.id })).toHaveLength(0);
    expect(sim.messages({ channel: room.id, includeEphemeral: true })).toMatchObject([{ text: 'only you', ephemeralTo: sam.id }]);
    const stranger = sim.addUser();
    await expect(client.chat.postEphemeral({ channel: room.id, user: stranger.id, text: 'x' })).rejects.toMatchObject({ data: { error: 'user_not_in_channel' } });
  });

  it('answers users.info and conversations.members', async () => {
    const info = await client.users.info({ user: sam.id });
    expect(info.user).toMatchObject({ id: sam.id, name: 'sam', team_id: sim.workspace.teamId, tz: 'America/New_York' });
    const room = sim.addChannel({ name: 'coffee', members: [sam.id] });
    const members = await client.conversations.members({ channel: room.id });
    expect(members.members).toEqual([sam.id, sim.workspace.botUserId]);
  });

  it('checks tokens and keeps workspaces apart', async () => {
    const forged = new WebClient('xoxb-nope', { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    await expect(forged.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const appTokenClient = new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    await expect(appTokenClient.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });

    const other = sim.addWorkspace({ teamName: 'Other' });
    const otherClient = new WebClient(other.botToken, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    const { id: channel } = sim.openDm(sam.id);
    const attempt = otherClient.chat.postMessage({ channel, text: 'cross-talk' });
    await expect(attempt).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    expect(sim.messages()).toHaveLength(0);
  });

  it('rate limits with Retry-After: rejected at once when asked, delivered after the wait otherwise', async () => {
    const { id: channel } = sim.openDm(sam.id);
    sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, count: 1, method: 'chat.postMessage' });
    const rejecting = new WebClient(sim.workspace.botToken, { slackApiUrl: sim.apiUrl, rejectRateLimitedCalls: true, retryConfig: noRetry, ...quiet });
    await expect(rejecting.chat.postMessage({ channel, text: 'first' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 } satisfies Partial<WebAPIRateLimitedError>);

    sim.setFault({ kind: 'rate_limit', retryAfterSeconds: 1, count: 1, method: 'chat.postMessage' });
    const patient = new WebClient(sim.workspace.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 }, ...quiet });
    let limitedFor = 0;
    patient.on(WebClientEvent.RATE_LIMITED, (seconds: number) => {
      limitedFor = seconds;
    });
    await patient.chat.postMessage({ channel, text: 'second' });
    expect(limitedFor).toBe(1);
    expect(sim.messages({ channel }).map((m) => m.text)).toEqual(['second']);
    expect(sim.calls().filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('fails with 5xx and when down, only for the faulted method, then recovers', async () => {
    const { id: channel } = sim.openDm(sam.id);
    sim.setFault({ kind: 'status', status: 503, method: 'chat.postMessage' });
    await expect(client.chat.postMessage({ channel, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    sim.setFault({ kind: 'down' });
    await expect(client.auth.test()).rejects.toMatchObject({ code: ErrorCode.RequestError });
    sim.setFault(null);
    await expect(client.chat.postMessage({ channel, text: 'back' })).resolves.toMatchObject({ ok: true });
    expect(sim.messages({ channel }).map((m) => m.text)).toEqual(['back']);
  });

  it('completes an OAuth install: a single-use code for the app\'s client credentials gives the new workspace\'s bot token', async () => {
    const { code, workspace } = sim.approveInstall({ teamName: 'Second Café' });
    const anonymous = new WebClient(undefined, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    await expect(anonymous.oauth.v2.access({ client_id: sim.clientId, client_secret: 'wrong', code })).rejects.toMatchObject({ data: { error: 'bad_client_secret' } });
    const install = await anonymous.oauth.v2.access({ client_id: sim.clientId, client_secret: sim.clientSecret, code });
    expect(install).toMatchObject({ token_type: 'bot', access_token: workspace.botToken, bot_user_id: workspace.botUserId, team: { id: workspace.teamId, name: 'Second Café' }, app_id: sim.appId });
    await expect(anonymous.oauth.v2.access({ client_id: sim.clientId, client_secret: sim.clientSecret, code })).rejects.toMatchObject({ data: { error: 'invalid_code' } });
    const installed = new WebClient(install.access_token, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    await expect(installed.auth.test()).resolves.toMatchObject({ team_id: workspace.teamId });
  });

  it('serves Slack\'s authorize page: redirects back with a code and the state, or access_denied; uninstall revokes the token', async () => {
    const authorizeUrl = (extra: Record<string, string> = {}) => `${sim.url}/oauth/v2/authorize?${new URLSearchParams({ client_id: sim.clientId, scope: 'chat:write,im:history', state: 'st-1', redirect_uri: 'http://127.0.0.1:9/slack/oauth_redirect', ...extra })}`;
    expect((await fetch(authorizeUrl({ client_id: 'someone-else' }), { redirect: 'manual' })).status).toBe(400);

    const approved = await fetch(authorizeUrl(), { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const back = new URL(approved.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe('http://127.0.0.1:9/slack/oauth_redirect');
    expect(back.searchParams.get('state')).toBe('st-1');
    const anonymous = new WebClient(undefined, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    const code = back.searchParams.get('code') ?? '';
    // The code is for the redirect_uri it was issued with.
    await expect(anonymous.oauth.v2.access({ client_id: sim.clientId, client_secret: sim.clientSecret, code, redirect_uri: 'http://127.0.0.1:9/elsewhere' })).rejects.toMatchObject({ data: { error: 'bad_redirect_uri' } });
    const { code: fresh } = sim.approveInstall();
    const install = await anonymous.oauth.v2.access({ client_id: sim.clientId, client_secret: sim.clientSecret, code: fresh });
    expect(install.scope).toContain('chat:write');

    sim.nextAuthorize({ deny: true });
    const denied = new URL((await fetch(authorizeUrl(), { redirect: 'manual' })).headers.get('location') ?? '');
    expect([denied.searchParams.get('error'), denied.searchParams.get('code'), denied.searchParams.get('state')]).toEqual(['access_denied', null, 'st-1']);

    const installed = new WebClient(install.access_token, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet });
    sim.uninstall(install.team?.id ?? '');
    await expect(installed.auth.test()).rejects.toMatchObject({ data: { error: 'token_revoked' } });
  });

  it('opens modals only with a fresh trigger_id, updates them by id with hash checks, publishes Home tabs', async () => {
    const triggerId = sim.issueTriggerId(sim.workspace.teamId, sam.id);
    const modal = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Order' }, blocks: [] };
    const opened = await client.views.open({ trigger_id: triggerId, view: modal });
    const viewId = opened.view?.id ?? '';
    await expect(client.views.open({ trigger_id: triggerId, view: modal })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(client.views.update({ view_id: viewId, hash: 'stale', view: modal })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    await client.views.update({ view_id: viewId, hash: opened.view?.hash ?? '', view: { ...modal, title: { type: 'plain_text', text: 'Changed' } } });
    await client.views.publish({ user_id: sam.id, view: { type: 'home', blocks: [] } });
    expect(sim.views().map((v) => v.view['type'])).toEqual(['modal', 'home']);
    expect(sim.views()[0]?.view['title']).toEqual({ type: 'plain_text', text: 'Changed' });
  });
});

describe('slack simulator: driver → a real Bolt app over HTTP', () => {
  let sim: SlackSimulator;
  let server: Server;
  let app: App;
  let eventsUrl: string;
  let sam: SimSlackUser;
  const seen: { kind: string; retryNum?: number; eventId?: string }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    sim = await startSlackSimulator();
    sam = sim.addUser({ name: 'sam' });
    const receiver = new ExpressReceiver({ signingSecret: sim.signingSecret, processBeforeResponse: true, ...quiet });
    app = new App({ receiver, token: sim.workspace.botToken, clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: noRetry }, ...quiet });
    app.message(async ({ message, say, context, body }) => {
      seen.push({ kind: 'message', ...(context.retryNum !== undefined ? { retryNum: context.retryNum } : {}), eventId: (body as { event_id: string }).event_id });
      if (message.subtype === undefined) await say({ text: `you said: ${message.text ?? ''}`, thread_ts: message.thread_ts ?? message.ts });
    });
    app.event('app_mention', async ({ event, say }) => {
      seen.push({ kind: 'app_mention' });
      await say({ text: 'card', thread_ts: event.ts, blocks: [{ type: 'actions', block_id: 'card', elements: [{ type: 'button', action_id: 'place_order', text: { type: 'plain_text', text: 'Place order' }, value: 'draft-1' }] }] });
    });
    app.command('/order', async ({ ack, respond, command }) => {
      await ack();
      seen.push({ kind: 'command' });
      await respond({ text: `ordering ${command.text}`, response_type: 'ephemeral' });
    });
    app.action('place_order', async ({ ack, body, client, action }) => {
      await ack();
      seen.push({ kind: 'action' });
      const container = (body as unknown as { container: { channel_id: string; message_ts: string } }).container;
      await client.chat.update({ channel: container.channel_id, ts: container.message_ts, text: `placed ${(action as { value: string }).value}`, blocks: [] });
    });
    server = receiver.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sim.close();
  });

  it('passes url_verification', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const result = await driver.urlVerification();
    expect(result.status).toBe(200);
    expect(result.responseBody).toContain(result.challenge);
  });

  it('delivers a DM as a signed message.im event; the app replies in the thread', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const { id: channel } = sim.openDm(sam.id);
    const { message, deliveries } = await driver.sendMessage({ user: sam.id, channel, text: '2 oat lattes' });
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    expect(deliveries[0]?.requestHeaders?.['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    const reply = await sim.waitForMessage((m) => m.threadTs === message.ts);
    expect(reply.text).toBe('you said: 2 oat lattes');
  });

  it('a mention in a channel becomes app_mention; the card button click reaches app.action and the card is edited', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const room = sim.addChannel({ name: 'coffee', members: [sam.id] });
    const { message } = await driver.sendMessage({ user: sam.id, channel: room.id, text: `<@${sim.workspace.botUserId}> latte` });
    const card = await sim.waitForMessage((m) => m.threadTs === message.ts && m.text === 'card');
    const click = await driver.clickButton({ user: sam.id, channel: room.id, messageTs: card.ts, actionId: 'place_order' });
    expect(click.requestHeaders?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(click.rawBody).toMatch(/^payload=/);
    expect(click.status).toBe(200);
    expect(sim.message(room.id, card.ts)?.text).toBe('placed draft-1');
    expect(seen.map((s) => s.kind)).toEqual(['app_mention', 'action']);
  });

  it('sends slash commands form-encoded with a working response_url', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const { id: channel } = sim.openDm(sam.id);
    const result = await driver.slashCommand({ user: sam.id, channel, command: '/order', text: '2 lattes' });
    expect(result.status).toBe(200);
    expect(sim.messages({ channel, includeEphemeral: true })).toMatchObject([{ text: 'ordering 2 lattes', ephemeralTo: sam.id }]);
  });

  it('forged and stale requests are refused by Bolt with 401', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const { id: channel } = sim.openDm(sam.id);
    const forged = await driver.sendMessage({ user: sam.id, channel, text: 'x' }, { signingSecret: 'wrong' });
    const stale = await driver.sendMessage({ user: sam.id, channel, text: 'y' }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([...forged.deliveries, ...stale.deliveries].map((d) => d.status)).toEqual([401, 401]);
    expect(seen).toEqual([]);
  });

  it('a retry carries X-Slack-Retry-Num/Reason and the same event_id', async () => {
    const driver = createSlackDriver(sim, { kind: 'http', url: eventsUrl });
    const { id: channel } = sim.openDm(sam.id);
    const { deliveries } = await driver.sendMessage({ user: sam.id, channel, text: 'again' });
    const first = deliveries[0];
    if (!first) throw new Error('no delivery');
    const retry = await driver.redeliver(first, { reason: 'http_timeout' });
    expect(retry.requestHeaders).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(seen).toEqual([{ kind: 'message', eventId: first.eventId }, { kind: 'message', retryNum: 1, eventId: first.eventId }]);
  });
});

describe('slack simulator: Slack retries an event the app did not answer in time', () => {
  it('redelivers with X-Slack-Retry-Num/Reason until a 2xx', async () => {
    const sim = await startSlackSimulator();
    const sam = sim.addUser();
    const seen: { retryNum?: number; reason?: string }[] = [];
    const receiver = new ExpressReceiver({ signingSecret: sim.signingSecret, processBeforeResponse: true, ...quiet });
    const app = new App({ receiver, token: sim.workspace.botToken, clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: noRetry }, ...quiet });
    // The first try takes longer than Slack waits; the retry is quick.
    app.message(async ({ context }) => {
      seen.push({ ...(context.retryNum !== undefined ? { retryNum: context.retryNum } : {}), ...(context.retryReason ? { reason: context.retryReason } : {}) });
      if (context.retryNum === undefined) await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    const server = receiver.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      const driver = createSlackDriver(sim, { kind: 'http', url, timeoutMs: 1000, retryDelaysMs: [0, 50, 50] });
      const { deliveries } = await driver.sendMessage({ user: sam.id, channel: sim.openDm(sam.id).id, text: 'slow?' });
      expect(deliveries[0]).toMatchObject({ ok: false, status: null });
      expect(deliveries[0]?.retries?.map((r) => [r.status, r.requestHeaders?.['x-slack-retry-num'], r.requestHeaders?.['x-slack-retry-reason']])).toEqual([[200, '1', 'http_timeout']]);
      expect(seen).toEqual([{}, { retryNum: 1, reason: 'http_timeout' }]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.close();
    }
  });
});

describe('slack simulator: driver → a real Bolt app over Socket Mode', () => {
  let sim: SlackSimulator;
  let app: App;
  let sam: SimSlackUser;
  const received: { text: string; retryNum: number | undefined }[] = [];

  beforeEach(async () => {
    received.length = 0;
    sim = await startSlackSimulator();
    sam = sim.addUser({ name: 'sam' });
    const clientOptions = { slackApiUrl: sim.apiUrl, retryConfig: noRetry };
    // A receiver built by hand gets the API URL through installerOptions.clientOptions (App only forwards it to receivers it builds).
    // clientPingTimeout also paces reconnects (5 s by default).
    const receiver = new SocketModeReceiver({ appToken: sim.appToken, installerOptions: { clientOptions }, clientPingTimeout: 300, ...quiet });
    app = new App({ token: sim.workspace.botToken, receiver, clientOptions, ...quiet });
    app.message(async ({ message, context }) => {
      received.push({ text: message.subtype === undefined ? (message.text ?? '') : '', retryNum: context.retryNum });
    });
    app.command('/order', async ({ ack, command }) => {
      await ack({ text: `got ${command.text}` });
    });
    await app.start();
    await sim.socket.waitForConnection();
  });
  afterEach(async () => {
    await app.stop();
    await sim.close();
  });

  it('connects through apps.connections.open and gets events as acked envelopes', async () => {
    const driver = createSlackDriver(sim, { kind: 'socket' });
    const { id: channel } = sim.openDm(sam.id);
    const { deliveries } = await driver.sendMessage({ user: sam.id, channel, text: 'hello over the socket' });
    expect(deliveries.map((d) => d.acked)).toEqual([true]);
    expect(sim.calls().some((c) => c.method === 'apps.connections.open')).toBe(true);
    await expect(waitFor(() => received.length === 1)).resolves.toBe(true);
    expect(received[0]?.text).toBe('hello over the socket');
  });

  it('returns the ack payload of a slash command', async () => {
    const driver = createSlackDriver(sim, { kind: 'socket' });
    const { id: channel } = sim.openDm(sam.id);
    const result = await driver.slashCommand({ user: sam.id, channel, command: '/order', text: 'tea' });
    expect(result).toMatchObject({ acked: true, ackPayload: { text: 'got tea' } });
  });

  it('redelivers the same event in a new envelope with retry_attempt', async () => {
    const driver = createSlackDriver(sim, { kind: 'socket' });
    const { id: channel } = sim.openDm(sam.id);
    const { deliveries } = await driver.sendMessage({ user: sam.id, channel, text: 'twice' });
    const first = deliveries[0];
    if (!first) throw new Error('no delivery');
    const again = await driver.redeliver(first);
    expect(again.envelopeId).not.toBe(first.envelopeId);
    expect(again.eventId).toBe(first.eventId);
    await expect(waitFor(() => received.length === 2)).resolves.toBe(true);
    expect(received.map((r) => r.retryNum)).toEqual([0, 1]);
  });

  it('reconnects after a disconnect message', async () => {
    sim.socket.requestReconnect();
    await expect(waitFor(() => sim.calls().filter((c) => c.method === 'apps.connections.open').length === 2)).resolves.toBe(true);
    await sim.socket.waitForConnection();
    const driver = createSlackDriver(sim, { kind: 'socket' });
    const { id: channel } = sim.openDm(sam.id);
    const { deliveries } = await driver.sendMessage({ user: sam.id, channel, text: 'after reconnect' });
    expect(deliveries[0]?.acked).toBe(true);
  });
});

describe('slack simulator: Socket Mode envelopes to a client that does not ack', () => {
  it('redelivers an unacked events_api envelope as a new envelope with the same event', async () => {
    const sim = await startSlackSimulator();
    const sam = sim.addUser();
    const opened = await new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: noRetry, ...quiet }).apps.connections.open();
    const socket = new WebSocket(opened.url ?? '');
    const frames: { type?: string; envelope_id?: string; retry_attempt?: number; payload?: { event_id?: string } }[] = [];
    // Acks only second tries, like an app that was busy the first time.
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as (typeof frames)[number];
      frames.push(frame);
      if (frame.envelope_id && (frame.retry_attempt ?? 0) > 0) socket.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: {} }));
    });
    try {
      await sim.socket.waitForConnection();
      const driver = createSlackDriver(sim, { kind: 'socket', ackTimeoutMs: 200, redeliverUnacked: 3 });
      const { deliveries } = await driver.sendMessage({ user: sam.id, channel: sim.openDm(sam.id).id, text: 'hello?' });
      expect(deliveries).toMatchObject([{ acked: true, retryNum: 1 }]);
      expect(deliveries[0]?.unackedEnvelopeIds).toHaveLength(1);
      const envelopes = frames.filter((f) => f.type === 'events_api');
      expect(frames[0]?.type).toBe('hello');
      expect(envelopes.map((f) => f.retry_attempt)).toEqual([0, 1]);
      expect(new Set(envelopes.map((f) => f.envelope_id)).size).toBe(2);
      expect(new Set(envelopes.map((f) => f.payload?.event_id)).size).toBe(1);
    } finally {
      socket.close();
      await sim.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}
