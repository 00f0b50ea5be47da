/**
 * Chat latency on the embedded database, through the real bot libraries and the platform simulators:
 * a customer's message → the order card in the thread, and Place order → the receipt in the thread.
 *   --platform slack      (default) @slack/bolt over HTTP events against the Slack simulator
 *   --platform telegram   telegraf long polling against the Telegram simulator
 * Conversations start at BENCH_RATE per second (default 5), BENCH_CONVERSATIONS of them (default 200);
 * bounded by a 5-minute cap. The café's Square is the Square simulator (through the real SDK). Database
 * operations are counted by the driver's command monitoring, per completed order.
 * The last line is `chat-bench {json}`: the target figures side by side, for tools to read.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadChatConfig } from '../bots/config.js';
import { connect } from '../bots/connections.js';
import { createChatExtension } from '../bots/index.js';
import type { PlatformBotFactory } from '../bots/platform.js';
import { slackBot } from '../bots/slack/bot.js';
import { createSlackDriver, startSlackSimulator } from '../bots/slack/simulator/index.js';
import { telegramPlatform } from '../bots/telegram/bot.js';
import { createTelegramDriver, startTelegramSimulator } from '../bots/telegram/simulator/index.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { freePort } from '../src/db/ferretdb.js';
import { countOperations } from '../src/db/op-counter.js';
import { createLogger } from '../src/logger.js';
import { seedDemo } from '../src/seed/demo.js';
import { startDemoSquare } from '../src/seed/demo-square.js';
import { startService } from '../src/service.js';
import { Integration } from '../src/storage/models.js';

const argPlatform = process.argv.indexOf('--platform');
const PLATFORM = (argPlatform > 0 ? process.argv[argPlatform + 1] : process.env.BENCH_PLATFORM) ?? 'slack';
if (PLATFORM !== 'slack' && PLATFORM !== 'telegram') throw new Error(`--platform must be slack or telegram, not ${PLATFORM}`);
const N = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 5);
const DEADLINE = Date.now() + 5 * 60_000;
const TEXT = "an oat latte and a croissant, name's Bench";

/** One simulated customer: says TEXT and waits for the card, presses Place order and waits for the receipt. */
interface Customer { say(): Promise<void>; placeOrder(): Promise<void> }
interface Platform {
  bot: PlatformBotFactory;
  /** After the service started: connects the space and returns a customer factory. */
  ready(svcBaseUrl: string, spaceId: string): Promise<(i: number) => Promise<Customer>>;
  close(): Promise<void>;
}

async function slackPlatform(): Promise<Platform> {
  const slack = await startSlackSimulator();
  return {
    bot: slackBot({ botToken: slack.workspace.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl }),
    async ready(baseUrl, spaceId) {
      await connect(spaceId, { platform: 'slack', workspace: slack.workspace.teamId, channel: '' });
      const driver = createSlackDriver(slack, { kind: 'http', url: `${baseUrl}/slack/events` });
      return async (i) => {
        const user = slack.addUser({ name: `bench${i}` });
        const channel = slack.openDm(user.id).id;
        let root = '';
        let cardTs = '';
        return {
          async say() {
            root = (await driver.sendMessage({ user: user.id, channel, text: TEXT })).message.ts;
            const card = await slack.waitForMessage((m) => m.channel === channel && m.threadTs === root && JSON.stringify(m.blocks ?? []).includes('rouh_place'), 30_000);
            cardTs = card.ts;
          },
          async placeOrder() {
            await driver.clickButton({ user: user.id, channel, messageTs: cardTs, actionId: 'rouh_place' });
            await slack.waitForMessage((m) => m.channel === channel && m.threadTs === root && m.ts !== cardTs && m.text.startsWith('Confirmed!'), 60_000);
          },
        };
      };
    },
    close: () => slack.close(),
  };
}

async function telegramPlatformUnderTest(): Promise<Platform> {
  const telegram = await startTelegramSimulator();
  return {
    bot: telegramPlatform({ token: telegram.token, apiRoot: telegram.apiRoot, mode: 'polling' }),
    async ready(_baseUrl, spaceId) {
      const driver = createTelegramDriver(telegram);
      return async (i) => {
        const user = telegram.addUser({ first_name: `Bench${i}` });
        await connect(spaceId, { platform: 'telegram', workspace: String(telegram.bot.id), channel: String(user.id) });
        let cardId = 0;
        return {
          async say() {
            await driver.sendText({ from: user.id, text: TEXT });
            const card = await telegram.waitForMessage((m) => m.chatId === user.id && m.fromBot && (m.replyMarkup?.inline_keyboard.flat().some((b) => b.text === 'Place order') ?? false), 30_000);
            cardId = card.messageId;
          },
          async placeOrder() {
            await driver.pressButton({ from: user.id, chatId: user.id, messageId: cardId, text: 'Place order' });
            await telegram.waitForMessage((m) => m.chatId === user.id && m.messageId !== cardId && m.text.startsWith('Confirmed!'), 60_000);
          },
        };
      };
    },
    close: () => telegram.close(),
  };
}

const loadBefore = os.loadavg();
const quiet = createLogger('warn');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), `rouh-bench-${PLATFORM}-`));
const db = process.env.MONGODB_URI ? null : await startEmbeddedDatabase(dir, quiet);
const port = await freePort();
const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? db!.uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
const platform = PLATFORM === 'slack' ? await slackPlatform() : await telegramPlatformUnderTest();
const chat = createChatExtension({ config: loadChatConfig({}), platforms: [platform.bot] });
const svc = await startService(config, quiet, { dbName: `bench_${PLATFORM}_${Date.now()}`, extensions: [chat], monitorCommands: true });
const creds = await seedDemo(dir, svc.baseUrl);
const square = await startDemoSquare(creds, config.publicBaseUrl, dir);
await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });
const customer = await platform.ready(svc.baseUrl, creds.spaceId);

/** CPU seconds of the embedded FerretDB (Linux /proc; null elsewhere or with MONGODB_URI). */
async function dbCpuSeconds(): Promise<number | null> {
  const pidText = await fs.readFile(path.join(dir, 'ferretdb', 'ferretdb.pid'), 'utf8').catch(() => fs.readFile(path.join(dir, 'ferretdb.pid'), 'utf8').catch(() => ''));
  const stat = pidText.trim() ? await fs.readFile(`/proc/${pidText.trim()}/stat`, 'utf8').catch(() => '') : '';
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 13 ? (Number(fields[11]) + Number(fields[12])) / 100 : null;
}

const toCard: number[] = [];
const toReceipt: number[] = [];
const failures: string[] = [];
// Every customer (and, on Telegram, their chat's connection to the space) exists before counting starts.
const customers: Customer[] = [];
for (let i = 0; i < N; i++) customers.push(await customer(i));
const ops = countOperations(svc.db.connection);
const cpuBefore = { node: process.cpuUsage(), db: await dbCpuSeconds() };

async function conversation(i: number): Promise<void> {
  const c = customers[i]!;
  const t0 = performance.now();
  await c.say();
  toCard.push(performance.now() - t0);
  const t1 = performance.now();
  await c.placeOrder();
  toReceipt.push(performance.now() - t1);
}

const started = performance.now();
const running: Promise<void>[] = [];
let startedCount = 0;
for (let i = 0; i < N && Date.now() < DEADLINE; i++) {
  const due = started + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  startedCount++;
  running.push(conversation(i).catch((err: Error) => { failures.push(err.message); }));
}
await Promise.all(running);
const wall = (performance.now() - started) / 1000;
ops.stop();
const nodeCpu = process.cpuUsage(cpuBefore.node);
const dbCpuAfter = await dbCpuSeconds();
const cpuMs = { node: (nodeCpu.user + nodeCpu.system) / 1000, db: cpuBefore.db !== null && dbCpuAfter !== null ? (dbCpuAfter - cpuBefore.db) * 1000 : null };
const loadAfter = os.loadavg();

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f = (x: number) => `${x.toFixed(0)} ms`;
const completed = toReceipt.length;
const perOrder = (n: number) => +(n / Math.max(1, completed)).toFixed(1);
console.log(`${PLATFORM}: ${startedCount} conversations started at ${RATE}/s over ${wall.toFixed(1)} s; ${completed} got a receipt, ${failures.length} failed${failures.length ? ` (${failures[0]})` : ''}`);
console.log(`message → card in thread:          p50 ${f(pct(toCard, 50))}  p99 ${f(pct(toCard, 99))}  max ${f(Math.max(...toCard))}`);
console.log(`Place order → receipt in thread:   p50 ${f(pct(toReceipt, 50))}  p99 ${f(pct(toReceipt, 99))}  max ${f(Math.max(...toReceipt))}`);
console.log(`database operations per chat order: ${perOrder(ops.total())}  ${JSON.stringify(Object.fromEntries(Object.entries(ops.byKey()).slice(0, 40).map(([k, v]) => [k, perOrder(v)])))}`);
console.log(`CPU per chat order: service ${perOrder(cpuMs.node)} ms, database ${cpuMs.db === null ? 'n/a' : `${perOrder(cpuMs.db)} ms`}`);
console.log(`load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores (other work on this machine slows every figure)`);
const round = (x: number) => (Number.isFinite(x) ? Math.round(x) : null);
console.log(`chat-bench ${JSON.stringify({
  platform: PLATFORM, rate: RATE, started: startedCount, completed, errors: failures.length,
  cardP50: round(pct(toCard, 50)), cardP99: round(pct(toCard, 99)), receiptP50: round(pct(toReceipt, 50)), receiptP99: round(pct(toReceipt, 99)),
  opsPerOrder: perOrder(ops.total()), cpuMsPerOrder: { service: perOrder(cpuMs.node), db: cpuMs.db === null ? null : perOrder(cpuMs.db) }, load1: +loadBefore[0]!.toFixed(1), cores: os.cpus().length,
  target: { cardP99: 300, receiptP99: 1000 },
})}`);

await svc.close();
await square.close();
await platform.close();
await db?.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
