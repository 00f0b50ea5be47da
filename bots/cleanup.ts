/**
 * The embedded database has no TTL indexes, so a job deletes what has expired: inbound dedupe records
 * after a day (platforms stop retrying within minutes), drafts after they expire, unused link codes, and
 * delivered message records after a week.
 */
import { Claim } from '../src/storage/models.js';
import { ChatCard, ChatDelivery, ChatDraft, ChatInboundEvent, ChatLinkCode } from './storage/models.js';
import { pruneReplyLinks } from './telegram/threads.js';

const DAY = 24 * 3600_000;

export async function cleanupChatRecords(now: Date): Promise<Record<string, number>> {
  const dayAgo = new Date(now.getTime() - DAY);
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const [inbound, drafts, codes, deliveries, cards, claims, replyLinks] = await Promise.all([
    ChatInboundEvent.deleteMany({ createdAt: { $lt: dayAgo } }),
    ChatDraft.deleteMany({ expiresAt: { $lt: dayAgo } }),
    ChatLinkCode.deleteMany({ expiresAt: { $lt: now } }),
    ChatDelivery.deleteMany({ createdAt: { $lt: weekAgo } }),
    ChatCard.deleteMany({ createdAt: { $lt: weekAgo } }),
    Claim.deleteMany({ _id: { $regex: /^chat-(send|link):/ }, createdAt: { $lt: weekAgo } }),
    pruneReplyLinks(now),
  ]);
  return { inbound: inbound.deletedCount, drafts: drafts.deletedCount, codes: codes.deletedCount, deliveries: deliveries.deletedCount, cards: cards.deletedCount, claims: claims.deletedCount, replyLinks };
}
