/**
 * A local stand-in for Twilio's Messages API plus the client that routes the real SDK to it.
 * The simulator checks Basic auth like Twilio, answers with Twilio's JSON shapes, and sends status
 * callbacks signed with twilio's own `getExpectedTwilioSignature`, so our validator is tested against the SDK.
 * Magic number +15005550001 is rejected with error 21211, as with Twilio's test credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { isE164 } from '../../src/engine/phone.js';
import type { TwilioHttpResponse, TwilioRequestOptions } from '../../src/notify/sms/twilio-http.js';
import { MESSAGES_PATH, asTwilioHttpClient, authorizationHeader, encodeForm, messageResource, newMessageSid, twilioError } from '../../src/notify/sms/twilio-http.js';

export const INVALID_TEST_NUMBER = '+15005550001';

export interface SimulatedMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  status: string;
  createdAt: Date;
}

export interface TwilioSimulatorOptions {
  accountSid: string;
  authToken: string;
  port?: number;
}

export interface TwilioSimulator {
  url: string;
  messages(): SimulatedMessage[];
  /** Moves a message to `status` and POSTs the signed status callback; resolves with our server's answer. */
  deliver(sid: string, status?: string, opts?: { errorCode?: string }): Promise<{ status: number }>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: TwilioHttpResponse): void {
  res.writeHead(answer.statusCode, answer.headers);
  res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
}

export async function startTwilioSimulator(opts: TwilioSimulatorOptions): Promise<TwilioSimulator> {
  const messages: SimulatedMessage[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;

  function createMessage(accountSid: string, form: URLSearchParams): TwilioHttpResponse {
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const body = form.get('Body') ?? '';
    if (!isE164(to) || to === INVALID_TEST_NUMBER) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!body) return twilioError(400, 21602, 'Message body is required.');
    if (body.length > 1600) return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const message: SimulatedMessage = { sid: newMessageSid(), to, from, body, statusCallback: form.get('StatusCallback'), status: 'queued', createdAt: new Date() };
    messages.push(message);
    return { statusCode: 201, body: JSON.stringify(messageResource({ ...message, accountSid })), headers: { 'content-type': 'application/json' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://simulator');
    const match = MESSAGES_PATH.exec(pathname);
    const form = new URLSearchParams(await readBody(req));
    if (!match?.[1] || req.method !== 'POST') return send(res, twilioError(404, 20404, 'The requested resource was not found'));
    if (req.headers.authorization !== expectedAuth || match[1] !== opts.accountSid) return send(res, twilioError(401, 20003, 'Authenticate'));
    send(res, createMessage(match[1], form));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, twilioError(500, 20500, 'Internal Server Error')));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  async function deliver(sid: string, status = 'delivered', extra: { errorCode?: string } = {}): Promise<{ status: number }> {
    const message = messages.find((m) => m.sid === sid);
    if (!message) throw new Error(`Unknown message ${sid}`);
    if (!message.statusCallback) throw new Error(`Message ${sid} has no StatusCallback`);
    message.status = status;
    const params: Record<string, string> = {
      AccountSid: opts.accountSid,
      ApiVersion: '2010-04-01',
      From: message.from,
      To: message.to,
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      ...(extra.errorCode ? { ErrorCode: extra.errorCode } : {}),
    };
    const response = await fetch(message.statusCallback, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(opts.authToken, message.statusCallback, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    await response.arrayBuffer();
    return { status: response.status };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    messages: () => messages.map((m) => ({ ...m })),
    deliver,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A twilio `httpClient` that sends the SDK's requests to the simulator: `https://api.twilio.com/<path>` becomes
 * `<simBaseUrl>/<path>`. Anything not addressed to a twilio.com host is refused rather than sent somewhere real.
 */
export function createSimulatorHttpClient(simBaseUrl: string): twilio.RequestClient {
  return asTwilioHttpClient({
    async request(opts: TwilioRequestOptions): Promise<TwilioHttpResponse> {
      const original = new URL(opts.uri);
      if (!/(^|\.)twilio\.com$/.test(original.hostname)) throw new Error(`Refusing to route ${original.host} to the Twilio simulator`);
      const target = new URL(`${original.pathname}${original.search}`, simBaseUrl);
      for (const [key, value] of new URLSearchParams(opts.params ? encodeForm(opts.params) : '')) target.searchParams.append(key, value);

      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const authorization = await authorizationHeader(opts);
      if (authorization) headers.Authorization = authorization;
      const hasBody = opts.data !== undefined && opts.method !== 'get' && opts.method !== 'delete';

      const response = await fetch(target, {
        method: opts.method.toUpperCase(),
        headers,
        ...(hasBody ? { body: encodeForm(opts.data as object) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeout ?? 30_000),
      });
      return { statusCode: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
    },
  });
}
