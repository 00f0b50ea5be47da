/**
 * Chat latency through the real @slack/bolt and the Slack simulator, on the embedded database:
 * a customer's DM → the order card in the thread, and Place order → the receipt in the thread.
 * Conversations start at BENCH_RATE per second (default 5), BENCH_CONVERSATIONS of them (default 200);
 * bounded by a 5-minute cap. The café's Square is the Square simulator (through the real SDK).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadChatConfig } from '../bots/config.js';
import { connect } from '../bots/connections.js';
import { createChatExtension } from '../bots/index.js';
import { slackBot } from '../bots/slack/bot.js';
import { createSlackDriver, startSlackSimulator, type SimSlackMessage } from '../bots/slack/simulator/index.js';
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
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-bench-chat-'));
const db = process.env.MONGODB_URI ? null : await startEmbeddedDatabase(dir, quiet);
const port = await freePort();
const config = loadConfig({ ...process.env, PORT: String(port), MONGODB_URI: process.env.MONGODB_URI ?? db!.uri, DATA_DIR: dir, LOG_LEVEL: 'warn' });
const slack = await startSlackSimulator();
const chat = createChatExtension({ config: loadChatConfig({}), platforms: [slackBot({ botToken: slack.workspace.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl })] });
const svc = await startService(config, quiet, { dbName: `bench_chat_${Date.now()}`, extensions: [chat] });
const creds = await seedDemo(dir, svc.baseUrl);
const square = await startDemoSquare(creds, config.publicBaseUrl);
await Integration.updateMany({ providerId: creds.providerId, type: 'email' }, { $set: { enabled: false } });
await connect(creds.spaceId, { platform: 'slack', workspace: slack.workspace.teamId, channel: '' });
const driver = createSlackDriver(slack, { kind: 'http', url: `${svc.baseUrl}/slack/events` });

const toCard: number[] = [];
const toReceipt: number[] = [];
const failures: string[] = [];
const isCard = (m: SimSlackMessage) => JSON.stringify(m.blocks ?? []).includes('rouh_place');

async function conversation(i: number): Promise<void> {
  const user = slack.addUser({ name: `bench${i}` });
  const channel = slack.openDm(user.id).id;
  const t0 = performance.now();
  const { message } = await driver.sendMessage({ user: user.id, channel, text: "an oat latte and a croissant, name's Bench" });
  const card = await slack.waitForMessage((m) => m.channel === channel && m.threadTs === message.ts && isCard(m), 30_000);
  toCard.push(performance.now() - t0);
  const t1 = performance.now();
  await driver.clickButton({ user: user.id, channel, messageTs: card.ts, actionId: 'rouh_place' });
  await slack.waitForMessage((m) => m.channel === channel && m.threadTs === message.ts && m.ts !== card.ts && m.text.startsWith('Confirmed!'), 60_000);
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
console.log(`chat conversations: ${N} started at ${RATE}/s over ${wall.toFixed(1)} s; ${toReceipt.length} got a receipt, ${failures.length} failed${failures.length ? ` (${failures[0]})` : ''}`);
console.log(`message → card in thread:          p50 ${f(pct(toCard, 50))}  p99 ${f(pct(toCard, 99))}  max ${f(Math.max(...toCard))}`);
console.log(`Place order → receipt in thread:   p50 ${f(pct(toReceipt, 50))}  p99 ${f(pct(toReceipt, 99))}  max ${f(Math.max(...toReceipt))}`);

await svc.close();
await square.close();
await slack.close();
await db?.stop();
await fs.rm(dir, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
