/** Signed, expiring links (email Confirm/Decline): base64url(payload).base64url(HMAC-SHA256). */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkPayload { executionId: string; expiresAt: number }

const sign = (data: string, secret: string) => createHmac('sha256', secret).update(data).digest('base64url');

export function signLink(payload: LinkPayload, secret: string): string {
  const data = Buffer.from(JSON.stringify({ e: payload.executionId, x: payload.expiresAt })).toString('base64url');
  return `${data}.${sign(data, secret)}`;
}

export type LinkCheck = { ok: true; payload: LinkPayload } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyLink(token: string, secret: string, now: Date): LinkCheck {
  const [data, mac] = token.split('.');
  if (!data || !mac) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(sign(data, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  try {
    const p = JSON.parse(Buffer.from(data, 'base64url').toString()) as { e?: unknown; x?: unknown };
    if (typeof p.e !== 'string' || typeof p.x !== 'number') return { ok: false, reason: 'invalid' };
    if (now.getTime() > p.x) return { ok: false, reason: 'expired' };
    return { ok: true, payload: { executionId: p.e, expiresAt: p.x } };
  } catch {
    return { ok: false, reason: 'invalid' };
  }
}
