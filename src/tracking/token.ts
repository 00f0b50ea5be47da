/**
 * Tracking tokens for the customer's order page `/o/<token>`: the action id (12 bytes) and a 128-bit
 * HMAC of it, base64url — 38 characters, short enough for an SMS, unguessable without the key.
 * They do not expire: the page shows an order's history and never changes anything.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ID_CHARS = 16; // 12 bytes in base64url

/** A key of its own, derived from the link secret, so a tracking token can never pass as a confirm link. */
export function trackingKey(linkSecret: string): Buffer {
  return createHmac('sha256', linkSecret).update('rouh-order-tracking-v1').digest();
}

const mac = (id: Buffer, key: Buffer) => createHmac('sha256', key).update(id).digest().subarray(0, 16);

export function trackingToken(actionId: string, key: Buffer): string {
  const id = Buffer.from(actionId, 'hex');
  if (id.length !== 12) throw new Error('tracking tokens are for ObjectId action ids');
  return `${id.toString('base64url')}${mac(id, key).toString('base64url')}`;
}

/** The action id, or null for anything that is not exactly a token we signed. */
export function verifyTrackingToken(token: string, key: Buffer): string | null {
  if (!/^[A-Za-z0-9_-]{38}$/.test(token)) return null;
  const id = Buffer.from(token.slice(0, ID_CHARS), 'base64url');
  const given = Buffer.from(token.slice(ID_CHARS), 'base64url');
  if (id.length !== 12 || given.length !== 16) return null;
  // Re-encoding must give the same text: rejects non-canonical spellings of the same bytes.
  if (`${id.toString('base64url')}${given.toString('base64url')}` !== token) return null;
  return timingSafeEqual(given, mac(id, key)) ? id.toString('hex') : null;
}

export type TrackingLinks = (actionId: string) => string;

export function trackingLinks(publicBaseUrl: string, key: Buffer): TrackingLinks {
  return (actionId) => `${publicBaseUrl}/o/${trackingToken(actionId, key)}`;
}
