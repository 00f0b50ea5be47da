/**
 * The zero-credential chat demo: with no Slack or Telegram tokens, `npm start` runs both platform simulators
 * in-process, points the real bots at them, connects the demo space to the simulated workspace and chat, and
 * opens the chat console that `npm run chat` talks to (its address is written to DATA_DIR/chat-demo.json).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { connect } from '../connections.js';
import type { PlatformBotFactory } from '../platform.js';
import { slackBot, type SlackBotOptions } from '../slack/bot.js';
import { operatorConsoleRouter, setupOperatorDemo } from '../slack/operators/demo.js';
import type { Router } from 'express';
import { createSlackDriver, startSlackSimulator, type SlackSimulator } from '../slack/simulator/index.js';
import { telegramPlatform } from '../telegram/bot.js';
import { createTelegramDriver, startTelegramSimulator, type TelegramSimulator } from '../telegram/simulator/index.js';
import { startChatConsole, type DemoSlack, type DemoTelegram } from './console.js';

export interface ChatDemo {
  platforms: PlatformBotFactory[];
  /** After the demo space is seeded: connect it, open the console, say how to chat. */
  connect(input: { spaceId: string; baseUrl: string; dataDir: string }): Promise<string[]>;
  close(): Promise<void>;
}

export const chatDemoFile = (dataDir: string) => path.join(dataDir, 'chat-demo.json');

export async function prepareChatDemo(want: { slack: boolean; telegram: boolean; extendSlack?: SlackBotOptions['extend'] }): Promise<ChatDemo> {
  const slackSim: SlackSimulator | null = want.slack ? await startSlackSimulator() : null;
  const telegramSim: TelegramSimulator | null = want.telegram ? await startTelegramSimulator() : null;
  const platforms: PlatformBotFactory[] = [];
  if (slackSim) platforms.push(slackBot({ botToken: slackSim.workspace.botToken, signingSecret: slackSim.signingSecret, apiUrl: slackSim.apiUrl, ...(want.extendSlack ? { extend: want.extendSlack } : {}) }));
  if (telegramSim) platforms.push(telegramPlatform({ token: telegramSim.token, apiRoot: telegramSim.apiRoot, mode: 'polling' }));
  let consoleServer: { url: string; close(): Promise<void> } | null = null;

  return {
    platforms,
    async connect({ spaceId, baseUrl, dataDir }) {
      const demo: { slack?: DemoSlack; telegram?: DemoTelegram } = {};
      const extraRoutes: Router[] = [];
      if (slackSim) {
        await connect(spaceId, { platform: 'slack', workspace: slackSim.workspace.teamId, channel: '' }, 'demo workspace (simulator)');
        const user = slackSim.addUser({ name: 'sam', realName: 'Sam' });
        demo.slack = { sim: slackSim, driver: createSlackDriver(slackSim, { kind: 'http', url: `${baseUrl}/slack/events` }), userId: user.id, channel: slackSim.openDm(user.id).id };
        // The operator channel (#ops, operator Olive) for `npm run chat -- --as operator`.
        if (want.extendSlack) extraRoutes.push(operatorConsoleRouter({ sim: slackSim, driver: demo.slack.driver, operator: await setupOperatorDemo(slackSim, spaceId) }));
      }
      if (telegramSim) {
        const user = telegramSim.addUser({ first_name: 'Sam' });
        await connect(spaceId, { platform: 'telegram', workspace: String(telegramSim.bot.id), channel: String(user.id) }, 'demo chat (simulator)');
        demo.telegram = { sim: telegramSim, driver: createTelegramDriver(telegramSim), userId: user.id };
      }
      consoleServer = await startChatConsole(demo, extraRoutes);
      await fs.writeFile(chatDemoFile(dataDir), `${JSON.stringify({ console: consoleServer.url, platforms: Object.keys(demo) })}\n`);
      return [
        '',
        `  Chat bots: ${Object.keys(demo).join(' and ')} simulators (no tokens set), connected to the demo space.`,
        '  Order by chat in another terminal:  npm run chat -- --as slack     (or --as telegram)',
        ...(extraRoutes.length ? ['  Work the manual queue as an operator: npm run chat -- --as operator  (DEMO_SQUARE_DOWN=true makes the café fall through)'] : []),
      ];
    },
    async close() {
      await consoleServer?.close();
      await slackSim?.close();
      await telegramSim?.close();
    },
  };
}
