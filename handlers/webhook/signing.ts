/**
 * Standard Webhooks (v1, symmetric) signing and verification as pure functions.
 * Signed content is `${id}.${timestamp}.${body}`, HMAC-SHA256 keyed with the base64 part of a `whsec_` secret,
 * sent as `v1,<base64>`; a header may carry several space-separated signatures so keys can rotate.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The spec leaves tolerance open; Svix and the reference libraries use 5 minutes both ways. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;
/** Spec: secrets are 24 bytes to 512 bits of randomness. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface SignWebhookInput {
  id: string;
  /** Integer Unix seconds, exactly as sent in `webhook-timestamp`. */
  timestamp: number;
  /** The exact bytes sent: sign the serialized body, never a re-serialization of it. */
  body: string | Buffer;
  secret: string;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  headers: HeaderBag;
  rawBody: string | Buffer;
  /** Every secret currently valid for this sender (more than one while rotating). */
  secrets: readonly string[];
  now: Date;
  toleranceSeconds?: number;
}

export type VerifyFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_valid_secret'
  | 'no_matching_signature';

export type VerifyWebhookResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: VerifyFailure };

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** True for `whsec_<base64>` of 24..64 random bytes; checked up front so a typo fails at configuration, not at send. */
export function isValidWebhookSecret(secret: unknown): secret is string {
  if (typeof secret !== 'string' || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= MIN_SECRET_BYTES && bytes <= MAX_SECRET_BYTES;
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('Webhook secret is empty');
  return key;
}

function signatureBase64(id: string, timestamp: number, body: string | Buffer, key: Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

export function signWebhook({ id, timestamp, body, secret }: SignWebhookInput): string {
  if (!Number.isInteger(timestamp)) throw new Error('Webhook timestamp must be integer Unix seconds');
  return `v1,${signatureBase64(id, timestamp, body, secretKey(secret))}`;
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function readHeader(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}

/** Compares the base64 text, not decoded bytes, so lenient base64 decoding cannot make two spellings match. */
function sameSignature(candidate: string, expected: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  const { headers, rawBody, secrets, now, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = input;
  const id = readHeader(headers, 'webhook-id');
  const timestampHeader = readHeader(headers, 'webhook-timestamp');
  const signatureHeader = readHeader(headers, 'webhook-signature');
  if (!id || !timestampHeader || !signatureHeader) return { ok: false, reason: 'missing_headers' };

  if (!/^\d{1,12}$/.test(timestampHeader)) return { ok: false, reason: 'invalid_timestamp' };
  const timestamp = Number(timestampHeader);
  const age = unixSeconds(now) - timestamp;
  if (age > toleranceSeconds) return { ok: false, reason: 'timestamp_too_old' };
  if (-age > toleranceSeconds) return { ok: false, reason: 'timestamp_too_new' };

  const keys = secrets.flatMap((secret) => {
    try {
      return [secretKey(secret)];
    } catch {
      return [];
    }
  });
  if (keys.length === 0) return { ok: false, reason: 'no_valid_secret' };

  const offered = signatureHeader
    .split(' ')
    .map((entry) => entry.split(','))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === 'v1')
    .map(([, signature]) => signature);

  // Check every pair without returning early, so timing says nothing about which secret or entry matched.
  let matched = false;
  for (const key of keys) {
    const expected = signatureBase64(id, timestamp, rawBody, key);
    for (const signature of offered) {
      if (sameSignature(signature, expected)) matched = true;
    }
  }
  return matched ? { ok: true, id, timestamp } : { ok: false, reason: 'no_matching_signature' };
}
