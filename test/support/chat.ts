/**
 * The service with the chat bots against the Slack simulator (the real @slack/bolt over loopback), the demo
 * café on the Square simulator, and the demo space connected to the simulated workspace.
 */
import { startSquareSimulator, type SquareSimulator } from '../../handlers/square/simulator.js';
import { Integration, IntegrationSecret } from '../../src/storage/models.js';
import { loadChatConfig } from '../../bots/config.js';
import { connect } from '../../bots/connections.js';
import { createChatExtension, type ChatExtension } from '../../bots/index.js';
import { slackBot } from '../../bots/slack/bot.js';
import { createSlackDriver, startSlackSimulator, type SlackDriver, type SlackSimulator } from '../../bots/slack/simulator/index.js';
import type { BotEvent } from '../../bots/slack/simulator/index.js';
import type { ServiceOverrides } from '../../src/service.js';
import { startTestService, type TestService } from './harness.js';

export interface ChatTestService {
  svc: TestService;
  chat: ChatExtension;
  slack: SlackSimulator;
  driver: SlackDriver;
  square: SquareSimulator;
  close(): Promise<void>;
}

export async function startChatTestService(o: {
  env?: Record<string, string>; subscriptions?: BotEvent[]; backoff?: { initialMs: number; factor: number; maxMs: number }; dbName?: string;
  /** SMS through a Twilio simulator (with TWILIO_* in env). */
  twilioHttpClient?: ServiceOverrides['twilioHttpClient'];
  /** A restart: keep this Slack simulator (and the database named by dbName, already seeded and connected). */
  reuse?: { slack: SlackSimulator };
  /** OAuth installs instead of the simulator's workspace token (no workspace is connected up front). */
  oauth?: { stateSecret: string };
} = {}): Promise<ChatTestService> {
  const slack = o.reuse?.slack ?? await startSlackSimulator();
  const chat = createChatExtension({
    config: loadChatConfig({}),
    platforms: [slackBot({
      ...(o.oauth ? { oauth: { clientId: slack.clientId, clientSecret: slack.clientSecret, stateSecret: o.oauth.stateSecret } } : { botToken: slack.workspace.botToken }),
      signingSecret: slack.signingSecret, apiUrl: slack.apiUrl,
    })],
    backoff: o.backoff ?? { initialMs: 200, factor: 2, maxMs: 2000 },
    sweepEvery: '2 seconds',
  });
  const svc = await startTestService({ env: o.env, extensions: [chat], ...(o.dbName ? { dbName: o.dbName } : {}), ...(o.twilioHttpClient ? { twilioHttpClient: o.twilioHttpClient } : {}) });
  const square = await startSquareSimulator({ webhook: { url: `${svc.baseUrl}/integrations/square/webhooks/${svc.creds.providerId}`, signatureKey: 'sq-key' } });
  const existing = o.reuse ? await Integration.findOne({ providerId: svc.creds.providerId, name: 'square' }) : null;
  if (existing) {
    await Integration.updateOne({ _id: existing._id }, { $set: { 'config.baseUrl': square.baseUrl } });
    await IntegrationSecret.updateOne({ _id: existing._id }, { $set: { values: { accessToken: square.accessToken, webhookSignatureKey: 'sq-key' } } });
  }
  const integration = existing ?? await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'square', priority: 10, enabled: true, config: { baseUrl: square.baseUrl, locationId: 'L1', timeoutSeconds: 5 } });
  if (!existing) await IntegrationSecret.create({ _id: integration._id, values: { accessToken: square.accessToken, webhookSignatureKey: 'sq-key' } });
  if (!o.oauth) await connect(svc.creds.spaceId, { platform: 'slack', workspace: slack.workspace.teamId, channel: '' });
  const driver = createSlackDriver(slack, { kind: 'http', url: `${svc.baseUrl}/slack/events` }, { subscriptions: o.subscriptions ?? ['message.im', 'app_mention'] });
  return {
    svc, chat, slack, driver, square,
    async close() {
      await svc.close();
      await square.close();
      await slack.close();
    },
  };
}
