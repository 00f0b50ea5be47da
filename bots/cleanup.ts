/**
 * The embedded database has no TTL indexes, so a job deletes what has expired: inbound dedupe records
 * after a day (platforms stop retrying within minutes), inbound updates still unfinished after a day, drafts after they expire, unused link codes, and
 * delivered message records after a week.
 */
import { Claim } from '../src/storage/models.js';
import { ChatCard, ChatDelivery, ChatDraft, ChatInboundEvent, ChatInboundPending, ChatLinkCode } from './storage/models.js';
import { pruneReplyLinks } from './telegram/threads.js';

const DAY = 24 * 3600_000;

export async function cleanupChatRecords(now: Date): Promise<Record<string, number>> {
  const dayAgo = new Date(now.getTime() - DAY);
  const weekAgo = new Date(now.getTime() - 7 * DAY);
  const [inbound, unfinished, drafts, codes, deliveries, cards, claims, replyLinks] = await Promise.all([
    ChatInboundEvent.deleteMany({ createdAt: { $lt: dayAgo } }),
    // Retries end within minutes (then the row is deleted); a day-old row is one whose apology never went out.
    ChatInboundPending.deleteMany({ createdAt: { $lt: dayAgo } }),
    ChatDraft.deleteMany({ expiresAt: { $lt: dayAgo } }),
    ChatLinkCode.deleteMany({ expiresAt: { $lt: now } }),
    ChatDelivery.deleteMany({ createdAt: { $lt: weekAgo } }),
    ChatCard.deleteMany({ createdAt: { $lt: weekAgo } }),
    Claim.deleteMany({ _id: { $regex: /^chat-(send|link|inbound):/ }, createdAt: { $lt: weekAgo } }),
    pruneReplyLinks(now),
  ]);
  return { inbound: inbound.deletedCount, unfinished: unfinished.deletedCount, drafts: drafts.deletedCount, codes: codes.deletedCount, deliveries: deliveries.deletedCount, cards: cards.deletedCount, claims: claims.deletedCount, replyLinks };
}
