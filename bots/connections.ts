/**
 * Which space a chat belongs to, and which provider a channel orders from. A Slack workspace joins a space
 * as a whole (`slack:<team>`); a Telegram chat joins with `/start <code>` (`telegram:<bot>:<chat>`).
 */
import { randomBytes } from 'node:crypto';
import { Claim } from '../src/storage/models.js';
import { insertOnce } from '../src/storage/insert-once.js';
import { ChatBinding, ChatConnection, ChatLinkCode } from './storage/models.js';
import type { Platform, ThreadRef } from './conversation/types.js';

export const connectionId = (t: Pick<ThreadRef, 'platform' | 'workspace' | 'channel'>) =>
  (t.platform === 'slack' ? `slack:${t.workspace}` : `telegram:${t.workspace}:${t.channel}`);
export const bindingId = (t: Pick<ThreadRef, 'platform' | 'workspace' | 'channel'>) => `${t.platform}:${t.workspace}:${t.channel}`;

const cache = new Map<string, { spaceId: string | null; until: number }>();

/** The space the chat is connected to, or null. Cached briefly: connections change rarely. */
export async function connectionSpace(t: Pick<ThreadRef, 'platform' | 'workspace' | 'channel'>): Promise<string | null> {
  const id = connectionId(t);
  const hit = cache.get(id);
  if (hit && hit.until > Date.now()) return hit.spaceId;
  const c = await ChatConnection.findById(id, { spaceId: 1 }).lean();
  const spaceId = c ? String(c.spaceId) : null;
  if (cache.size > 10_000) cache.clear();
  cache.set(id, { spaceId, until: Date.now() + (spaceId ? 30_000 : 2_000) });
  return spaceId;
}

export function forgetConnection(id: string): void {
  cache.delete(id);
}

/** Joins a chat (Telegram) or workspace (Slack) to a space; false when it already belongs to another space. */
export async function connect(spaceId: string, t: Pick<ThreadRef, 'platform' | 'workspace' | 'channel'>, label: string | null = null): Promise<{ ok: boolean; id: string; existing: boolean }> {
  const id = connectionId(t);
  const found = await ChatConnection.findById(id, { spaceId: 1 }).lean();
  if (found) return { ok: String(found.spaceId) === spaceId, id, existing: true };
  try {
    await ChatConnection.create({ _id: id, platform: t.platform, spaceId, workspace: t.workspace, channel: t.platform === 'telegram' ? t.channel : null, label });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const again = await ChatConnection.findById(id, { spaceId: 1 }).lean();
    return { ok: String(again?.spaceId) === spaceId, id, existing: true };
  }
  forgetConnection(id);
  return { ok: true, id, existing: false };
}

/** Each space's bindings (binding id → provider id), read whole: a new thread's first message needs them. */
const bindings = new Map<string, { byId: Promise<Map<string, string>>; until: number }>();
/** How long another process's binding change may take to be seen here (this process forgets at once). */
const BINDING_CACHE_MS = 5_000;

/** The provider a channel/chat of the space is bound to, or null. */
export async function boundProvider(spaceId: string, t: ThreadRef): Promise<string | null> {
  let hit = bindings.get(spaceId);
  if (!hit || hit.until <= Date.now()) {
    const byId = ChatBinding.find({ spaceId }, { providerId: 1 }).lean().then((rows) => new Map(rows.map((b) => [String(b._id), String(b.providerId)])));
    hit = { byId, until: Date.now() + BINDING_CACHE_MS };
    if (bindings.size > 10_000) bindings.clear();
    bindings.set(spaceId, hit);
    byId.catch(() => bindings.delete(spaceId));
  }
  return (await hit.byId).get(bindingId(t)) ?? null;
}

export function forgetBindings(spaceId: string): void {
  bindings.delete(spaceId);
}

/** A one-time code for `/start <code>`: 16 url-safe characters, valid for `ttlMs`. */
export async function newLinkCode(spaceId: string, platform: Platform, now: Date, ttlMs = 24 * 3600_000): Promise<{ code: string; expiresAt: Date }> {
  const code = randomBytes(12).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs);
  await ChatLinkCode.create({ _id: code, spaceId, platform, expiresAt });
  return { code, expiresAt };
}

/** The space a code would join, without spending it (the Slack install page is opened before the install completes). */
export async function peekLinkCode(code: string, platform: Platform, now: Date): Promise<string | null> {
  if (!/^[\w-]{8,64}$/.test(code)) return null;
  const found = await ChatLinkCode.findById(code).lean();
  if (!found || found.platform !== platform || found.expiresAt.getTime() < now.getTime()) return null;
  return String(found.spaceId);
}

/** Redeems a code once: the first chat to use it gets the space; the code is gone afterwards. */
export async function redeemLinkCode(code: string, platform: Platform, now: Date): Promise<string | null> {
  const spaceId = await peekLinkCode(code, platform, now);
  if (!spaceId) return null;
  // The claim decides "once" (a conditional delete is not atomic on FerretDB); the delete only tidies up.
  if (!(await insertOnce(Claim, { _id: `chat-link:${code}`, by: platform }))) return null;
  await ChatLinkCode.deleteOne({ _id: code });
  return spaceId;
}
