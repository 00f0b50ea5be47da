/**
 * Two things a chat order relies on beyond the thread itself, through the real @slack/bolt and the simulators:
 * a phone number given in the chat also gets the SMS (Twilio simulator through the real SDK), and a space
 * with two cafés and no binding makes the bot ask which one with buttons; the pick decides where the order goes.
 * The SMS test runs first: the second café joins the space in the last test.
 */
import { jest } from '@jest/globals';
import { Integration, Item, MenuItem, Provider } from '../../src/storage/models.js';
import { storedActions, findStoredAction } from '../../src/storage/action-state.js';
import { waitFor } from '../support/harness.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';
import { createSimulatorHttpClient, startTwilioSimulator, type TwilioSimulator } from '../support/twilio-simulator.js';

jest.setTimeout(60_000);

const TWILIO = { sid: `AC${'c'.repeat(32)}`, token: 'twilio-test-auth-token-chat01', from: '+15005550006' };
let t: ChatTestService;
let twilioSim: TwilioSimulator;

beforeAll(async () => {
  twilioSim = await startTwilioSimulator({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  t = await startChatTestService({
    env: { TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token, TWILIO_FROM: TWILIO.from },
    twilioHttpClient: createSimulatorHttpClient(twilioSim.url),
  });
});
afterAll(async () => {
  await t?.close();
  await twilioSim?.close();
});

const repliesOf = (channel: string, ts: string) => t.slack.thread(channel, ts).filter((m) => m.botId && m.ts !== ts);
const withButton = (channel: string, ts: string, actionId: string) =>
  waitFor(() => repliesOf(channel, ts).find((m) => JSON.stringify(m.blocks ?? []).includes(actionId)), `a message with ${actionId}`);

test('an order from chat that gives a phone number gets the SMS as well as the thread replies', async () => {
  const kai = t.slack.addUser({ name: 'kai' });
  const channel = t.slack.openDm(kai.id).id;
  const { message } = await t.driver.sendMessage({ user: kai.id, channel, text: "an oat latte, name's Kai, text me at +1 415 555 0134" });
  const card = await withButton(channel, message.ts, 'rouh_place');
  await t.driver.clickButton({ user: kai.id, channel, messageTs: card.ts, actionId: 'rouh_place' });

  const receipt = await waitFor(() => repliesOf(channel, message.ts).find((m) => m.ts !== card.ts && /^Confirmed! Order #DC-\d+/.test(m.text)), 'the receipt in the thread');
  const orderNumber = /#(DC-\d+)/.exec(receipt.text)![1]!;
  const [sms] = await waitFor(() => { const m = twilioSim.messages().filter((x) => x.to === '+14155550134'); return m.length ? m : null; }, 'the SMS');
  expect(sms!.body).toContain(`Order #${orderNumber} confirmed`);
  expect(sms!.from).toBe(TWILIO.from);
  const action = await findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${kai.id}` });
  expect(action?.order?.customerPhone).toBe('+14155550134');
  // The thread never shows the number back (phone numbers stay out of chat texts and logs).
  expect(repliesOf(channel, message.ts).map((m) => m.text).join('\n')).not.toContain('555 0134');
});

test('a space with two cafés and no binding: the bot asks which one, the button picks it, the order goes there', async () => {
  const harbor = await Provider.create({ spaceId: t.svc.creds.spaceId, name: 'Harbor Tacos', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'HT', prepMinutes: 10 });
  await MenuItem.create({ providerId: harbor._id, sku: 'taco', name: 'Fish Taco', aliases: ['fish tacos', 'tacos', 'taco'], priceCents: 450 });
  await Item.create({ spaceId: t.svc.creds.spaceId, providerId: harbor._id, name: 'Harbor Tacos' });
  await Integration.create({ spaceId: t.svc.creds.spaceId, providerId: harbor._id, type: 'manual', name: 'manual', priority: 100 });

  const lee = t.slack.addUser({ name: 'lee' });
  const channel = t.slack.openDm(lee.id).id;
  const { message } = await t.driver.sendMessage({ user: lee.id, channel, text: "2 fish tacos, name's Lee" });
  const question = await withButton(channel, message.ts, 'rouh_provider');
  expect(question.text).toBe('Which place would you like to order from?');
  const offered = JSON.stringify(question.blocks);
  expect(offered).toContain('Downtown Café');
  expect(offered).toContain('Harbor Tacos');
  // Nothing is ordered, and no card is shown, before the customer picks.
  expect(repliesOf(channel, message.ts).some((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place'))).toBe(false);

  await t.driver.clickButton({ user: lee.id, channel, messageTs: question.ts, actionId: 'rouh_provider', value: `prov:${harbor._id.toString()}` });
  // The first message is read again against the picked café's menu.
  const card = await withButton(channel, message.ts, 'rouh_place');
  expect(card.text).toContain('Harbor Tacos');
  expect(card.text).toContain('$9.00');
  expect(card.text).toContain('for Lee');

  await t.driver.clickButton({ user: lee.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  await waitFor(() => repliesOf(channel, message.ts).find((m) => m.text.startsWith('Placing your order with Harbor Tacos')), 'placing with Harbor Tacos');
  const action = await waitFor(() => findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${lee.id}` }), 'the action');
  expect(String(action.providerId)).toBe(harbor._id.toString());
  expect(action.order?.totalCents).toBe(900);
  expect((await storedActions({ userId: `slack:${t.slack.workspace.teamId}:${lee.id}` })).length).toBe(1);
});
