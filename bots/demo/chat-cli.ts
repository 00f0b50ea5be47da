/**
 * `npm run chat -- --as slack|telegram`: chat with the demo bots from a terminal while `npm start` runs.
 * Type as the customer; the bot's replies and every later update in the thread (placing, confirmed, ready)
 * appear as they arrive; a number presses that button of the latest message that has buttons.
 * `/new` starts a new Slack thread, `/quit` leaves. Talks to the demo's chat console (DATA_DIR/chat-demo.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { ConsoleMessage } from './console.js';

const args = process.argv.slice(2);
// `--as operator`: the operator channel (bots/slack/operators/operator-cli.ts) instead of a customer chat.
if (args[args.indexOf('--as') + 1] === 'operator') {
  await import('../slack/operators/operator-cli.js');
  await new Promise<never>(() => undefined); // it runs until /quit, which exits the process
}
const as = (args[args.indexOf('--as') + 1] ?? 'slack') === 'telegram' ? 'telegram' : 'slack';
const dataDir = path.resolve(process.env.DATA_DIR ?? './.data');
const file = path.join(dataDir, 'chat-demo.json');
if (!fs.existsSync(file)) {
  process.stderr.write(`No chat demo found (${file}). Start the service first: npm start (with no SLACK_/TELEGRAM_ tokens).\n`);
  process.exit(1);
}
const { console: consoleUrl, platforms } = JSON.parse(fs.readFileSync(file, 'utf8')) as { console: string; platforms: string[] };
if (!platforms.includes(as)) {
  process.stderr.write(`The running demo has no ${as} simulator (it has: ${platforms.join(', ')}).\n`);
  process.exit(1);
}

async function call<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${consoleUrl}${p}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

const seen = new Map<string, number>();
let initial = true;
let thread: string | null = null;
let latestWithButtons: ConsoleMessage | null = null;
const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });

function show(m: ConsoleMessage, edited: boolean): void {
  const label = edited ? 'bot (updated)' : 'bot';
  const lines = m.text.split('\n').map((l, i) => (i === 0 ? `${label}> ${l}` : `     ${l}`));
  if (m.buttons.length) lines.push(`     ${m.buttons.map((b, i) => `[${i + 1}] ${b}`).join('  ')}`);
  process.stdout.write(`\r${lines.join('\n')}\n`);
  rl.prompt(true);
}

async function poll(): Promise<void> {
  const { messages } = await call<{ messages: ConsoleMessage[] }>('GET', `/messages?as=${as}`);
  for (const m of messages) {
    const before = seen.get(m.id);
    if (before === m.edits) continue;
    seen.set(m.id, m.edits);
    if (m.buttons.length) latestWithButtons = m;
    else if (latestWithButtons?.id === m.id) latestWithButtons = null;
    if (before !== undefined || !initial) show(m, before !== undefined);
  }
}

rl.on('line', (line) => {
  void (async () => {
    const text = line.trim();
    if (!text) return rl.prompt();
    if (text === '/quit') return rl.close();
    if (text === '/new') { thread = null; process.stdout.write('(next message starts a new thread)\n'); return rl.prompt(); }
    if (/^\d+$/.test(text) && latestWithButtons) {
      const r = await call<{ pressed: string }>('POST', '/press', { as, messageId: latestWithButtons.id, n: Number(text) });
      process.stdout.write(`(pressed ${r.pressed})\n`);
      return rl.prompt();
    }
    const r = await call<{ thread: string }>('POST', '/say', { as, text, thread });
    if (as === 'slack') thread = r.thread;
    rl.prompt();
  })().catch((err: Error) => { process.stdout.write(`(${err.message})\n`); rl.prompt(); });
});
rl.on('close', () => { clearInterval(timer); process.exit(0); });

await poll().catch(() => undefined);
initial = false;
process.stdout.write(`Chatting as a ${as} customer with the demo bot. Try "2 oat lattes for 8:15, name's Sam". A number presses a button; /new starts a new thread; /quit leaves.\n`);
rl.prompt();
const timer = setInterval(() => { void poll().catch((err: Error) => process.stdout.write(`\r(console unreachable: ${err.message})\n`)); }, 300);

