/**
 * `npm run chat -- --as operator`: the demo's operator channel (#ops) in a terminal, as the operator Olive.
 * Task cards, their edits, nudges and reminders appear as they arrive; `<card> <button>` presses a button
 * (e.g. `1 1` = Claim on card 1; a lone number uses the latest card); Complete and Fail ask for the modal's
 * fields one by one, and invalid values come back from the bot. `/quit` leaves.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import type { ConsoleModal } from './demo.js';

interface ConsoleMessage { id: string; thread: string | null; text: string; buttons: string[]; edits: number }

const dataDir = path.resolve(process.env.DATA_DIR ?? './.data');
const file = path.join(dataDir, 'chat-demo.json');
if (!fs.existsSync(file)) {
  process.stderr.write(`No chat demo found (${file}). Start the service first: npm start (with no SLACK_ tokens).\n`);
  process.exit(1);
}
const { console: consoleUrl } = JSON.parse(fs.readFileSync(file, 'utf8')) as { console: string };

async function call<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${consoleUrl}${p}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(json.error?.message ?? (res.status === 404 ? 'this demo has no operator channel' : `HTTP ${res.status}`));
  return json;
}

const seen = new Map<string, number>();
/** Cards in order of appearance: the number an operator types to press one of their buttons. */
const cards: string[] = [];
let busy = false;
let prompting = false;

function show(m: ConsoleMessage, edited: boolean): void {
  if (m.buttons.length && !cards.includes(m.id)) cards.push(m.id);
  const n = cards.indexOf(m.id) + 1;
  const label = m.thread ? '  ↳ bot' : n > 0 ? `card ${n}${edited ? ' (updated)' : ''}` : `bot${edited ? ' (updated)' : ''}`;
  const lines = m.text.split('\n').map((l, i) => (i === 0 ? `${label}> ${l}` : `     ${l}`));
  if (m.buttons.length) lines.push(`     ${m.buttons.map((b, i) => `[${n} ${i + 1}] ${b}`).join('  ')}`);
  process.stdout.write(`\r${lines.join('\n')}\n`);
  if (prompting && !busy) rl.prompt(true);
}

async function poll(initial = false): Promise<void> {
  const { messages } = await call<{ messages: ConsoleMessage[] }>('GET', '/operator/messages');
  for (const m of messages) {
    const before = seen.get(m.id);
    if (before === m.edits) continue;
    seen.set(m.id, m.edits);
    if (!initial || m.buttons.length) show(m, before !== undefined);
  }
}

async function fill(modal: ConsoleModal): Promise<void> {
  busy = true;
  try {
    process.stdout.write(`${modal.title} — press Enter to skip optional fields\n`);
    for (;;) {
      const values: Record<string, string> = {};
      for (const f of modal.fields) values[f.id] = (await rl.question(`  ${f.label}${f.optional ? ' (optional)' : ''}: `)).trim();
      const r = await call<{ ok?: boolean; errors?: Record<string, string> }>('POST', '/operator/submit', { viewId: modal.viewId, values });
      if (!r.errors) return void process.stdout.write('(submitted)\n');
      for (const [id, message] of Object.entries(r.errors)) process.stdout.write(`  ✗ ${modal.fields.find((f) => f.id === id)?.label ?? id}: ${message}\n`);
    }
  } finally {
    busy = false;
  }
}

// The cards already in #ops first, then the terminal (lines typed before that would find no card).
await poll(true).catch((err: Error) => { process.stderr.write(`${err.message}\n`); process.exit(1); });
const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
rl.setPrompt('olive> ');
prompting = true;

rl.on('line', (line) => {
  if (busy) return;
  void (async () => {
    const text = line.trim();
    if (text === '/quit') return rl.close();
    const m = /^(\d+)(?:\s+(\d+))?$/.exec(text);
    if (!m) {
      if (text) process.stdout.write('Type "<card> <button>" (e.g. "1 1"), or /quit.\n');
      return rl.prompt();
    }
    const [card, button] = m[2] ? [Number(m[1]), Number(m[2])] : [cards.length, Number(m[1])];
    const messageId = cards[card - 1];
    if (!messageId) return void (process.stdout.write('(no such card)\n'), rl.prompt());
    busy = true; // lines typed while the press is on its way are not commands
    const r = await call<{ pressed: string; modal: ConsoleModal | null }>('POST', '/operator/press', { messageId, n: button }).finally(() => { busy = false; });
    process.stdout.write(`(pressed ${r.pressed})\n`);
    if (r.modal) await fill(r.modal);
    rl.prompt();
  })().catch((err: Error) => { process.stdout.write(`(${err.message})\n`); rl.prompt(); });
});
rl.on('close', () => { clearInterval(timer); process.exit(0); });

process.stdout.write('You are Olive, an operator, in #ops. Order something the café cannot take (see README: DEMO_SQUARE_DOWN) and its card appears here.\n');
rl.prompt();
const timer = setInterval(() => { void poll().catch((err: Error) => process.stdout.write(`\r(console unreachable: ${err.message})\n`)); }, 300);
