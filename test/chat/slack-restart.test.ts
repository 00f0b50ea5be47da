/**
 * The service stops after the order completed but before Slack got the thread replies (Slack was down): a new
 * service on the same database delivers each reply exactly once, in order, when Slack is back.
 */
import { jest } from '@jest/globals';
import { findStoredAction } from '../../src/storage/action-state.js';
import { startChatTestService, type ChatTestService } from '../support/chat.js';
import { waitFor, waitForStatus } from '../support/harness.js';

jest.setTimeout(90_000);

let first: ChatTestService | null = null;
let second: ChatTestService | null = null;
afterAll(async () => {
  await second?.close();
  await first?.square.close().catch(() => undefined);
  await first?.slack.close().catch(() => undefined);
});

test('replies pending when the worker stops arrive exactly once after restart', async () => {
  first = await startChatTestService({ dbName: `t_restart_${Date.now()}` });
  const t = first;
  const sam = t.slack.addUser({ name: 'sam' });
  const channel = t.slack.openDm(sam.id).id;
  const { message } = await t.driver.sendMessage({ user: sam.id, channel, text: 'a latte and a croissant' });
  const card = await waitFor(() => t.slack.thread(channel, message.ts).find((m) => JSON.stringify(m.blocks ?? []).includes('rouh_place')), 'the card');

  t.slack.setFault({ kind: 'down' });
  await t.driver.clickButton({ user: sam.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  const action = await waitFor(() => findStoredAction({ userId: `slack:${t.slack.workspace.teamId}:${sam.id}` }), 'the action');
  await waitForStatus(t.svc, action._id.toString(), 'completed');
  await t.svc.stop();

  // A new process on the same database and the same Slack; Slack is reachable again.
  t.slack.setFault(null);
  const dbName = t.svc.dbName;
  second = await startChatTestService({ dbName, reuse: { slack: t.slack } });
  const news = () => t.slack.thread(channel, message.ts).filter((m) => m.botId && m.ts !== card.ts && !JSON.stringify(m.blocks ?? []).includes('"header"'));
  await waitFor(() => news().find((m) => /^Confirmed! Order #DC-\d+/.test(m.text)), 'the receipt after restart', 30_000);
  await new Promise((r) => setTimeout(r, 2500));
  const texts = news().map((m) => m.text);
  expect(texts.filter((x) => x.startsWith('Confirmed!'))).toHaveLength(1);
  expect(texts.filter((x) => x.startsWith('Placing'))).toHaveLength(1);
  expect(texts.findIndex((x) => x.startsWith('Placing'))).toBeLessThan(texts.findIndex((x) => x.startsWith('Confirmed!')));
});
