/**
 * The chat bots as an add-on of the process entry (main.ts): real Slack/Telegram when their tokens are set,
 * the in-process simulators (zero-credential demo) when not, nothing when neither applies.
 */
import type { AddOn } from '../src/extensions.js';
import { ConfigError } from '../src/config.js';
import { localSecret } from '../src/local-secrets.js';
import { ChatConfigError, loadChatConfig } from './config.js';
import { prepareChatDemo, type ChatDemo } from './demo/demo.js';
import { createChatExtension, type ChatExtension } from './index.js';
import type { PlatformBotFactory } from './platform.js';
import { slackBot } from './slack/bot.js';
import { slackOperatorsExtension } from './slack/operators/extension.js';
import { telegramPlatform } from './telegram/bot.js';

export function chatAddOn(env: NodeJS.ProcessEnv = process.env): AddOn {
  return {
    async prepare(config) {
      let chat;
      try { chat = loadChatConfig(env); } catch (err) {
        if (err instanceof ChatConfigError) throw new ConfigError(err.message);
        throw err;
      }
      const platforms: PlatformBotFactory[] = [];
      // Operators work manual tasks in the same Slack app (cards in the operator channel, App Home), and their
      // cards go out through the chat extension's outbox (built below, before the Slack bot calls `extend`).
      let chatExtension: ChatExtension | null = null;
      const operators = slackOperatorsExtension({ outbox: () => chatExtension!.outbox() });
      const slackOAuth = chat.SLACK_CLIENT_ID && chat.SLACK_CLIENT_SECRET ? {
        clientId: chat.SLACK_CLIENT_ID, clientSecret: chat.SLACK_CLIENT_SECRET,
        stateSecret: chat.SLACK_STATE_SECRET ?? (await localSecret(config.dataDir, 'slack-oauth-state')),
      } : undefined;
      const slackConfigured = !!(chat.SLACK_BOT_TOKEN || slackOAuth);
      if (slackConfigured) {
        platforms.push(slackBot({
          ...(chat.SLACK_BOT_TOKEN ? { botToken: chat.SLACK_BOT_TOKEN } : {}), ...(slackOAuth ? { oauth: slackOAuth } : {}),
          signingSecret: chat.SLACK_SIGNING_SECRET, appToken: chat.SLACK_APP_TOKEN, apiUrl: chat.SLACK_API_URL, extend: operators.extend,
        }));
      }
      if (chat.TELEGRAM_BOT_TOKEN) {
        platforms.push(telegramPlatform({ token: chat.TELEGRAM_BOT_TOKEN, ...(chat.TELEGRAM_API_ROOT ? { apiRoot: chat.TELEGRAM_API_ROOT } : {}), ...(chat.TELEGRAM_WEBHOOK_SECRET ? { webhookSecret: chat.TELEGRAM_WEBHOOK_SECRET } : {}) }));
      }
      // The demo needs the seeded space and one process (the simulators live in it).
      const demoWanted = chat.CHAT_DEMO && config.SEED_DEMO && config.ROLE === 'all';
      let demo: ChatDemo | null = null;
      if (demoWanted && (!slackConfigured || !chat.TELEGRAM_BOT_TOKEN)) {
        demo = await prepareChatDemo({ slack: !slackConfigured, telegram: !chat.TELEGRAM_BOT_TOKEN, extendSlack: operators.extend });
        platforms.push(...demo.platforms);
      }
      if (platforms.length === 0) return { extensions: [] };
      return {
        // The operators extension first: the Slack bot it extends is built during the chat extension's setup.
        // Only with a Slack bot: without one this process leaves task changes to a process that has it.
        extensions: [...(slackConfigured || demo ? [operators] : []), (chatExtension = createChatExtension({ config: chat, platforms }))],
        ...(demo ? {
          afterSeed: (d: { spaceId: string; baseUrl: string; dataDir: string }) => demo.connect(d),
          close: () => demo.close(),
        } : {}),
      };
    },
  };
}
