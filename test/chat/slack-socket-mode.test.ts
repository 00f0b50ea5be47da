/**
 * Socket Mode (SLACK_APP_TOKEN): the real Bolt SocketModeClient against the simulator's WebSocket. The same
 * event redelivered in a new envelope (bolt-js#2487) is handled once; a DM still becomes an order.
 */
import { jest } from '@jest/globals';
import { loadChatConfig } from '../../bots/config.js';
import { connect } from '../../bots/connections.js';
import { createChatExtension } from '../../bots/index.js';
import { slackBot } from '../../bots/slack/bot.js';
import { createSlackDriver, startSlackSimulator, type SlackSimulator } from '../../bots/slack/simulator/index.js';
import { storedActions } from '../../src/storage/action-state.js';
import { startTestService, waitFor, type TestService } from '../support/harness.js';

jest.setTimeout(60_000);

let slack: SlackSimulator;
let svc: TestService;
beforeAll(async () => {
  slack = await startSlackSimulator();
  const chat = createChatExtension({
    config: loadChatConfig({}),
    platforms: [slackBot({ botToken: slack.workspace.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl })],
  });
  svc = await startTestService({ extensions: [chat] });
  await connect(svc.creds.spaceId, { platform: 'slack', workspace: slack.workspace.teamId, channel: '' });
  await slack.socket.waitForConnection(10_000);
});
afterAll(async () => {
  await svc?.close();
  await slack?.close();
});

test('a Socket Mode redelivery of the same event_id is handled once; the button makes one action', async () => {
  const driver = createSlackDriver(slack, { kind: 'socket' });
  const sam = slack.addUser({ name: 'sam' });
  const channel = slack.openDm(sam.id).id;
  const { message, deliveries } = await driver.sendMessage({ user: sam.id, channel, text: 'a latte' });
  expect(deliveries[0]!.acked).toBe(true);
  await driver.redeliver(deliveries[0]!, { retryAttempt: 0 });
  const card = await waitFor(() => slack.thread(channel, message.ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the card');
  await new Promise((r) => setTimeout(r, 500));
  expect(slack.thread(channel, message.ts).filter((m) => m.botId)).toHaveLength(1);

  const click = await driver.clickButton({ user: sam.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  expect(click.acked).toBe(true);
  await driver.redeliver(click);
  await waitFor(() => slack.thread(channel, message.ts).find((m) => /Confirmed!|Waiting for/.test(m.text) && m.ts !== card.ts), 'news of the order');
  expect((await storedActions({ userId: `slack:${slack.workspace.teamId}:${sam.id}` })).length).toBe(1);
});
