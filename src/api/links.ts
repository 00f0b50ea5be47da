/**
 * Signed, expiring links (email Confirm/Decline): base64url(payload).base64url(HMAC-SHA256).
 * The purpose ("confirm" / "decline") is inside the MAC, so a confirm link can't be replayed as a decline
 * (or the reverse), and a token is accepted only in its exact form: two base64url parts, nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'confirm' | 'decline';
export interface LinkPayload { executionId: string; expiresAt: number; purpose: LinkPurpose }

const sign = (data: string, secret: string) => createHmac('sha256', secret).update(data).digest('base64url');
/** base64url payload, a dot, and a 43-character base64url SHA-256 MAC: the only shape we ever issue. */
const TOKEN = /^([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/;

export function signLink(payload: LinkPayload, secret: string): string {
  const data = Buffer.from(JSON.stringify({ e: payload.executionId, x: payload.expiresAt, p: payload.purpose })).toString('base64url');
  return `${data}.${sign(data, secret)}`;
}

export type LinkCheck = { ok: true; payload: LinkPayload } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyLink(token: string, secret: string, now: Date, purpose: LinkPurpose): LinkCheck {
  const parts = TOKEN.exec(token);
  if (!parts) return { ok: false, reason: 'invalid' };
  const [, data, mac] = parts as unknown as [string, string, string];
  const expected = Buffer.from(sign(data, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  try {
    const p = JSON.parse(Buffer.from(data, 'base64url').toString()) as { e?: unknown; x?: unknown; p?: unknown };
    if (typeof p.e !== 'string' || typeof p.x !== 'number' || p.p !== purpose) return { ok: false, reason: 'invalid' };
    if (now.getTime() > p.x) return { ok: false, reason: 'expired' };
    return { ok: true, payload: { executionId: p.e, expiresAt: p.x, purpose } };
  } catch {
    return { ok: false, reason: 'invalid' };
  }
}
