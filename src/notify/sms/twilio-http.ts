/**
 * Seams for the twilio SDK's `httpClient` option. twilio-node has no base-URL option; instead the client
 * hands every fully built request (`{ method, uri, username, password, headers, params, data, timeout }`)
 * to `httpClient.request()` and only reads `{ statusCode, body }` back (a string body is JSON.parsed).
 * So a replacement client keeps the real SDK in charge of building requests and parsing answers.
 */
import { randomBytes } from 'node:crypto';
import type twilio from 'twilio';

/** What BaseTwilio passes to `httpClient.request` (twilio v5 `RequestClient.RequestOptions`). */
export type TwilioRequestOptions = Parameters<twilio.RequestClient['request']>[0];

export interface TwilioHttpResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface TwilioHttpClient {
  request(opts: TwilioRequestOptions): Promise<TwilioHttpResponse>;
}

/**
 * The SDK types `ClientOpts.httpClient` as its concrete RequestClient class (axios instance, retry settings...),
 * but at runtime it only ever calls `request()`; the cast lets a plain object stand in for it.
 */
export function asTwilioHttpClient(client: TwilioHttpClient): twilio.RequestClient {
  return client as unknown as twilio.RequestClient;
}

export const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\.json$/;

/** Form encoding as the SDK's own client does it (qs with arrayFormat 'repeat': `MediaUrl=a&MediaUrl=b`). */
export function encodeForm(data: object): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) form.append(key, String(item));
  }
  return form.toString();
}

export async function authorizationHeader(opts: TwilioRequestOptions): Promise<string | undefined> {
  if (opts.username && opts.password) return `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  if (opts.authStrategy) return opts.authStrategy.getAuthString();
  return undefined;
}

export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}

/** Twilio prints dates in RFC 2822 with a numeric zone. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export interface MessageFields {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  createdAt: Date;
  /** When it left for the carrier; null while queued (Twilio's DateSent). */
  sentAt?: Date | null;
}

/** The Message resource JSON as Twilio returns it from `POST .../Messages.json`. */
export function messageResource(m: MessageFields): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.createdAt),
    date_sent: m.sentAt ? rfc2822(m.sentAt) : null,
    date_updated: rfc2822(m.createdAt),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(m.body.length / 160))),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: m.to,
    uri,
  };
}

export function twilioError(status: number, code: number, message: string): TwilioHttpResponse {
  return {
    statusCode: status,
    body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    headers: { 'content-type': 'application/json' },
  };
}

/**
 * `GET .../Messages.json` filtered the way our lookup asks: `To` (exact) and `DateSent>` (an ISO instant; Twilio
 * compares at day precision, we compare exactly, which only narrows). Newest first, one page.
 */
export function messageListPage(accountSid: string, query: URLSearchParams, messages: MessageFields[]): TwilioHttpResponse {
  const to = query.get('To');
  const after = query.get('DateSent>');
  const afterMs = after ? Date.parse(after) : Number.NEGATIVE_INFINITY;
  const pageSize = Math.min(1000, Math.max(1, Number(query.get('PageSize') ?? 50) || 50));
  const matching = messages
    .filter((m) => (!to || m.to === to) && m.sentAt && m.sentAt.getTime() >= afterMs)
    .sort((a, b) => b.sentAt!.getTime() - a.sentAt!.getTime())
    .slice(0, pageSize);
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json?${query.toString()}`;
  return {
    statusCode: 200,
    body: JSON.stringify({
      messages: matching.map(messageResource), page: 0, page_size: pageSize, start: 0, end: Math.max(0, matching.length - 1),
      uri, first_page_uri: uri, next_page_uri: null, previous_page_uri: null,
    }),
    headers: { 'content-type': 'application/json' },
  };
}
