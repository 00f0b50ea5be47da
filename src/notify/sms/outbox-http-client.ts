/**
 * The zero-credential default: a twilio `httpClient` that sends nothing and writes each outgoing SMS to a
 * JSON file instead, answering like Twilio (201, status `queued`). The real SDK still builds the request,
 * so switching to live Twilio later changes only the client options.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type twilio from 'twilio';
import { maskPhone } from '../../engine/phone.js';
import type { TwilioRequestOptions } from './twilio-http.js';
import { MESSAGES_PATH, asTwilioHttpClient, messageResource, newMessageSid, twilioError } from './twilio-http.js';

function field(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  return typeof value === 'string' ? value : '';
}

/** `+15551234567` → `1xxx67`: enough to tell files apart, safe to show in a directory listing. */
function fileSafeMask(phone: string): string {
  return maskPhone(phone).replace(/\*/g, 'x').replace(/[^A-Za-z0-9x]/g, '');
}

export function createOutboxHttpClient(dir: string): twilio.RequestClient {
  return asTwilioHttpClient({
    async request(opts: TwilioRequestOptions) {
      const match = MESSAGES_PATH.exec(new URL(opts.uri).pathname);
      if (opts.method !== 'post' || !match?.[1]) return twilioError(404, 20404, 'The SMS outbox only accepts new messages');

      const data = (opts.data ?? {}) as Record<string, unknown>;
      const createdAt = new Date();
      const fields = { sid: newMessageSid(), accountSid: match[1], to: field(data, 'To'), from: field(data, 'From'), body: field(data, 'Body'), status: 'queued', createdAt };
      const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, `${stamp}-${fields.sid}-to-${fileSafeMask(fields.to)}.json`),
        `${JSON.stringify({ ...fields, createdAt: createdAt.toISOString(), statusCallback: field(data, 'StatusCallback') || null }, null, 2)}\n`,
      );
      return { statusCode: 201, body: JSON.stringify(messageResource(fields)), headers: { 'content-type': 'application/json' } };
    },
  });
}
