/**
 * The chat benchmark (bench/chat.ts) through Telegram: telegraf long polling against the Telegram simulator,
 * on the embedded database. A customer's message → the order card, and Place order → the receipt in the chat.
 * Conversations start at BENCH_RATE per second (default 5), BENCH_CONVERSATIONS of them (default 200);
 * bounded by a 5-minute cap. The café's Square is the Square simulator (through the real SDK).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadChatConfig } from '../bots/config.js';
import { connect } from '../bots/connections.js';
import { createChatExtension } from '../bots/index.js';
import { telegramPlatform } from '../bots/telegram/bot.js';
import { createTelegramDriver, startTelegramSimulator, type SimTgMessage } from '../bots/telegram/simulator/index.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { freePort } from '../src/db/ferretdb.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/demo.js';
import { startDemoSquare } from '../src/seed/demo-square.js';
import { startService } from '../src/service.js';
import { Integration } from '../src/storage/models.js';

const N = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 5);
const DEADLINE = Date.now() + 5 * 60_000;

const quiet = createLogger('warn');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-bench-telegram-'));
const db = process.env.MONGODB_URI ? null : await startEmbeddedDatabase(dir, quiet);
const port = await freePort();
const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? db!.uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
const telegram = await startTelegramSimulator();
const chat = createChatExtension({ config: loadChatConfig({}), platforms: [telegramPlatform({ token: telegram.token, apiRoot: telegram.apiRoot, mode: 'polling' })] });
const svc = await startService(config, quiet, { dbName: `bench_telegram_${Date.now()}`, extensions: [chat] });
const creds = await seedDemo(dir, svc.baseUrl);
const square = await startDemoSquare(creds, config.publicBaseUrl);
await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });
const driver = createTelegramDriver(telegram);

const toCard: number[] = [];
const toReceipt: number[] = [];
const failures: string[] = [];
const isCard = (m: SimTgMessage) => m.replyMarkup?.inline_keyboard.flat().some((b) => b.text === 'Place order') ?? false;

async function conversation(i: number): Promise<void> {
  const user = telegram.addUser({ first_name: `Bench${i}` });
  await connect(creds.spaceId, { platform: 'telegram', workspace: String(telegram.bot.id), channel: String(user.id) });
  const t0 = performance.now();
  await driver.sendText({ from: user.id, text: "an oat latte and a croissant, name's Bench" });
  const card = await telegram.waitForMessage((m) => m.chatId === user.id && m.fromBot && isCard(m), 30_000);
  toCard.push(performance.now() - t0);
  const t1 = performance.now();
  await driver.pressButton({ from: user.id, chatId: user.id, messageId: card.messageId, text: 'Place order' });
  await telegram.waitForMessage((m) => m.chatId === user.id && m.messageId !== card.messageId && m.text.startsWith('Confirmed!'), 60_000);
  toReceipt.push(performance.now() - t1);
}

const started = performance.now();
const running: Promise<void>[] = [];
for (let i = 0; i < N && Date.now() < DEADLINE; i++) {
  const due = started + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  running.push(conversation(i).catch((err: Error) => { failures.push(err.message); }));
}
await Promise.all(running);
const wall = (performance.now() - started) / 1000;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f = (x: number) => `${x.toFixed(0)} ms`;
console.log(`telegram conversations: ${N} started at ${RATE}/s over ${wall.toFixed(1)} s; ${toReceipt.length} got a receipt, ${failures.length} failed${failures.length ? ` (${failures[0]})` : ''}`);
console.log(`message → card in chat:            p50 ${f(pct(toCard, 50))}  p99 ${f(pct(toCard, 99))}  max ${f(Math.max(...toCard))}`);
console.log(`Place order → receipt in chat:     p50 ${f(pct(toReceipt, 50))}  p99 ${f(pct(toReceipt, 99))}  max ${f(Math.max(...toReceipt))}`);

await svc.close();
await square.close();
await telegram.close();
await db?.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
