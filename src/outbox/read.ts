/**
 * The demo outboxes, readable: `.eml` files are quoted-printable (a Confirm link is split across `=` soft line
 * breaks, so `cat` cannot give a usable link), so each is parsed with mailparser and its links printed whole.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { maskPhone } from '../engine/phone.js';

export interface OutboxEntry {
  kind: 'email' | 'sms';
  at: Date;
  to: string;
  /** Email subject, or the SMS text. */
  summary: string;
  links: Array<{ label: string; url: string }>;
  file: string;
}

const URL_RE = /https?:\/\/[^\s<>"')]+/g;

function labelFor(url: string): string {
  if (/\/confirm\//.test(url)) return 'Confirm';
  if (/\/decline\//.test(url)) return 'Decline';
  if (/\/o\//.test(url)) return 'Order page';
  return 'Link';
}

function linksIn(text: string): OutboxEntry['links'] {
  return [...new Set(text.match(URL_RE) ?? [])].map((url) => ({ label: labelFor(url), url }));
}

async function files(dir: string, ext: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
}

/** The newest `limit` emails and SMS under DATA_DIR/outbox, oldest first. */
export async function readOutbox(dataDir: string, limit = 10): Promise<OutboxEntry[]> {
  const root = path.join(dataDir, 'outbox');
  const newest = async (list: string[]) => {
    const stats = await Promise.all(list.map(async (f) => ({ f, at: (await fs.stat(f)).mtime })));
    return stats.sort((a, b) => a.at.getTime() - b.at.getTime() || a.f.localeCompare(b.f)).slice(-limit);
  };
  const emails = await Promise.all((await newest(await files(path.join(root, 'email'), '.eml'))).map(async ({ f, at }) => {
    const mail = await simpleParser(await fs.readFile(f));
    const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text ?? '';
    return { kind: 'email' as const, at: mail.date ?? at, to, summary: mail.subject ?? '(no subject)', links: linksIn(mail.text ?? ''), file: f };
  }));
  const sms = await Promise.all((await newest(await files(path.join(root, 'sms'), '.json'))).map(async ({ f, at }) => {
    const m = JSON.parse(await fs.readFile(f, 'utf8')) as { to?: string; body?: string; createdAt?: string };
    return { kind: 'sms' as const, at: m.createdAt ? new Date(m.createdAt) : at, to: maskPhone(m.to ?? ''), summary: m.body ?? '', links: linksIn(m.body ?? ''), file: f };
  }));
  return [...emails, ...sms].sort((a, b) => a.at.getTime() - b.at.getTime()).slice(-limit);
}

export function formatOutbox(entries: OutboxEntry[]): string {
  if (entries.length === 0) return 'The outbox is empty: place an order first (npm start prints a curl for the seed order).\n';
  return entries.map((e) => [
    `${e.at.toISOString().replace('T', ' ').slice(0, 19)}  ${e.kind === 'email' ? 'EMAIL' : 'SMS  '}  to ${e.to}`,
    `    ${e.summary}`,
    ...e.links.map((l) => `    ${l.label}: ${l.url}`),
  ].join('\n')).join('\n\n') + '\n';
}
