/**
 * The zero-credential demo's chat console: a loopback-only HTTP server in the service process that plays the
 * customer on the in-process Slack and Telegram simulators (through their drivers, so the bots receive
 * exactly what the platforms would send). `npm run chat` is its terminal front end.
 *   POST /say   {as, text, thread?}      → {thread}
 *   POST /press {as, messageId, n}       presses the n-th button of a bot message
 *   GET  /messages?as=slack|telegram     the bot's messages in the demo conversation, with their edit count
 */
import http from 'node:http';
import express from 'express';
import type { SlackDriver, SlackSimulator } from '../slack/simulator/index.js';
import type { TelegramDriver, TelegramSimulator } from '../telegram/simulator/index.js';

export interface DemoSlack { sim: SlackSimulator; driver: SlackDriver; userId: string; channel: string }
export interface DemoTelegram { sim: TelegramSimulator; driver: TelegramDriver; userId: number }

export interface ConsoleMessage { id: string; thread: string | null; text: string; buttons: string[]; edits: number }

type SlackButton = { action_id: string; value?: string; text?: { text?: string } };
const slackButtons = (blocks: unknown[] | undefined): SlackButton[] =>
  (blocks ?? []).flatMap((b) => ((b as { type?: string }).type === 'actions' ? ((b as { elements?: SlackButton[] }).elements ?? []) : []));
type TgButton = { text: string; callback_data?: string };
const tgButtons = (markup: unknown): TgButton[] => ((markup as { inline_keyboard?: TgButton[][] } | undefined)?.inline_keyboard ?? []).flat();

/** Telegram messages are HTML: the terminal shows the words. */
const plainHtml = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

export async function startChatConsole(demo: { slack?: DemoSlack; telegram?: DemoTelegram }, extraRoutes: express.Router[] = []): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  for (const r of extraRoutes) app.use(r); // e.g. the operator channel (bots/slack/operators/demo.ts)

  app.get('/messages', (req, res) => {
    if (req.query.as === 'telegram' && demo.telegram) {
      const t = demo.telegram;
      const list: ConsoleMessage[] = t.sim.messages(t.userId).filter((m) => m.fromBot).map((m) => ({
        id: String(m.messageId), thread: m.replyToMessageId ? String(m.replyToMessageId) : null, text: plainHtml(m.text), buttons: tgButtons(m.replyMarkup).map((b) => b.text), edits: m.edits,
      }));
      return void res.json({ messages: list });
    }
    if (!demo.slack) return void res.status(404).json({ error: { code: 'not_found', message: 'no such platform in this demo' } });
    const s = demo.slack;
    const list: ConsoleMessage[] = s.sim.messages({ channel: s.channel, includeEphemeral: true }).filter((m) => m.botId).map((m) => ({
      id: m.ts, thread: m.threadTs ?? null, text: m.text, buttons: slackButtons(m.blocks).map((b) => b.text?.text ?? b.action_id), edits: m.edits,
    }));
    res.json({ messages: list });
  });

  app.post('/say', async (req, res) => {
    const { as, text, thread } = req.body as { as?: string; text?: string; thread?: string | null };
    if (!text) return void res.status(400).json({ error: { code: 'validation_failed', message: 'text is required', field: 'text' } });
    if (as === 'telegram' && demo.telegram) {
      const t = demo.telegram;
      const sent = await t.driver.sendText({ from: t.userId, text });
      return void res.json({ thread: String(sent.message.messageId) });
    }
    if (!demo.slack) return void res.status(404).json({ error: { code: 'not_found', message: 'no such platform in this demo' } });
    const s = demo.slack;
    const { message } = await s.driver.sendMessage({ user: s.userId, channel: s.channel, text, ...(thread ? { threadTs: thread } : {}) });
    res.json({ thread: thread ?? message.ts });
  });

  app.post('/press', async (req, res) => {
    const { as, messageId, n } = req.body as { as?: string; messageId?: string; n?: number };
    const index = Number(n) - 1;
    if (as === 'telegram' && demo.telegram) {
      const t = demo.telegram;
      const m = t.sim.message(t.userId, Number(messageId));
      const button = m ? tgButtons(m.replyMarkup)[index] : undefined;
      if (!m || !button) return void res.status(404).json({ error: { code: 'not_found', message: 'no such button' } });
      await t.driver.pressButton({ from: t.userId, chatId: t.userId, messageId: m.messageId, ...(button.callback_data ? { data: button.callback_data } : { text: button.text }) });
      return void res.json({ pressed: button.text });
    }
    if (!demo.slack) return void res.status(404).json({ error: { code: 'not_found', message: 'no such platform in this demo' } });
    const s = demo.slack;
    const m = s.sim.message(s.channel, String(messageId));
    const button = m ? slackButtons(m.blocks)[index] : undefined;
    if (!m || !button) return void res.status(404).json({ error: { code: 'not_found', message: 'no such button' } });
    await s.driver.clickButton({ user: s.userId, channel: s.channel, messageTs: m.ts, actionId: button.action_id, ...(button.value ? { value: button.value } : {}) });
    res.json({ pressed: button.text?.text ?? button.action_id });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
