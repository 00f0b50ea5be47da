/**
 * The zero-credential default: a twilio `httpClient` that sends nothing and writes each outgoing SMS to a
 * JSON file instead, answering like Twilio (201, status `queued`). The real SDK still builds the request,
 * so switching to live Twilio later changes only the client options.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type twilio from 'twilio';
import { maskPhone } from '../../engine/phone.js';
import type { TwilioRequestOptions } from './twilio-http.js';
import { MESSAGES_PATH, asTwilioHttpClient, encodeForm, messageListPage, messageResource, newMessageSid, twilioError, type MessageFields } from './twilio-http.js';

function field(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  return typeof value === 'string' ? value : '';
}

/** `+15551234567` → `1xxx67`: enough to tell files apart, safe to show in a directory listing. */
function fileSafeMask(phone: string): string {
  return maskPhone(phone).replace(/\*/g, 'x').replace(/[^A-Za-z0-9x]/g, '');
}

/** The outbox's messages, for the message-list lookup (a file being written is still a .tmp and not read). */
async function readOutbox(dir: string, accountSid: string): Promise<MessageFields[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const messages: MessageFields[] = [];
  for (const name of names) {
    const m = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { sid: string; to: string; from: string; body: string; createdAt: string };
    const createdAt = new Date(m.createdAt);
    messages.push({ sid: m.sid, accountSid, to: m.to, from: m.from, body: m.body, status: 'queued', createdAt, sentAt: createdAt });
  }
  return messages;
}

export function createOutboxHttpClient(dir: string): twilio.RequestClient {
  return asTwilioHttpClient({
    async request(opts: TwilioRequestOptions) {
      const match = MESSAGES_PATH.exec(new URL(opts.uri).pathname);
      if (match?.[1] && opts.method === 'get') {
        return messageListPage(match[1], new URLSearchParams(encodeForm(opts.params ?? {})), await readOutbox(dir, match[1]));
      }
      if (opts.method !== 'post' || !match?.[1]) return twilioError(404, 20404, 'The SMS outbox only accepts and lists messages');

      const data = (opts.data ?? {}) as Record<string, unknown>;
      const createdAt = new Date();
      const fields = { sid: newMessageSid(), accountSid: match[1], to: field(data, 'To'), from: field(data, 'From'), body: field(data, 'Body'), status: 'queued', createdAt };
      const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
      await mkdir(dir, { recursive: true });
      // Written under a temporary name and renamed: a kill mid-write leaves a stray .tmp, never a torn .json.
      const file = path.join(dir, `${stamp}-${fields.sid}-to-${fileSafeMask(fields.to)}.json`);
      await writeFile(`${file}.tmp`, `${JSON.stringify({ ...fields, createdAt: createdAt.toISOString(), statusCallback: field(data, 'StatusCallback') || null }, null, 2)}\n`);
      await rename(`${file}.tmp`, file);
      return { statusCode: 201, body: JSON.stringify(messageResource(fields)), headers: { 'content-type': 'application/json' } };
    },
  });
}
