/**
 * Telegram has no threads, only reply chains, and an update shows a reply's parent one level deep. A
 * private chat is one conversation (the conversation module starts a new order round after each placed
 * one); in a group each conversation is the reply chain under the message that started it, so we remember
 * which chain every message we see or send belongs to (`_id` = `<bot>:<chat>:<message>` → root message id).
 */
import mongoose, { Schema } from 'mongoose';
import type { ThreadRef } from '../conversation/types.js';

const TelegramReplyLinkSchema = new Schema({
  _id: { type: String, required: true },
  root: { type: String, required: true },
}, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false });
TelegramReplyLinkSchema.index({ createdAt: 1 });
export const TelegramReplyLink = mongoose.model('TelegramReplyLink', TelegramReplyLinkSchema);

const linkId = (botId: number, chatId: number | string, messageId: number | string): string => `${botId}:${chatId}:${messageId}`;

/** Records that a message belongs to the chain rooted at `root` (first writer wins: a chain never moves). */
export async function rememberLink(botId: number, chatId: number | string, messageId: number | string, root: string): Promise<void> {
  await TelegramReplyLink.create({ _id: linkId(botId, chatId, messageId), root }).catch((error: { code?: number }) => {
    if (error.code !== 11000) throw error;
  });
}

async function rootOf(botId: number, chatId: number, messageId: number): Promise<string | null> {
  const link = await TelegramReplyLink.findById(linkId(botId, chatId, messageId)).lean<{ root: string }>();
  return link?.root ?? null;
}

/** Links older than this are deleted by `pruneReplyLinks` (a conversation is long over by then). */
export const REPLY_LINK_RETENTION_MS = 7 * 24 * 3600_000;

export async function pruneReplyLinks(now: Date): Promise<number> {
  const { deletedCount } = await TelegramReplyLink.deleteMany({ createdAt: { $lt: new Date(now.getTime() - REPLY_LINK_RETENTION_MS) } });
  return deletedCount;
}

export interface IncomingPosition {
  botId: number;
  chatId: number;
  isPrivate: boolean;
  messageId: number;
  /** The message this one replies to, if any; `ours` with the time it was sent (ms) when the bot sent it. */
  replyTo?: { messageId: number; replyToMessageId?: number; ours?: { sentAt: number } } | undefined;
}

/**
 * How long a reply to one of our recent messages waits for that message's link: the send that made it records
 * the link once Telegram answered, and a quick (or machine-slowed) customer can reply before that insert lands.
 */
const OWN_LINK_WAIT_MS = 3000;
const OWN_LINK_RECENT_MS = 60_000;

async function rootOfOwnMessage(botId: number, chatId: number, messageId: number, sentAt: number, now = Date.now()): Promise<string | null> {
  if (now - sentAt > OWN_LINK_RECENT_MS) return null; // an old message whose link is gone (or never was): no wait
  const deadline = now + OWN_LINK_WAIT_MS;
  for (;;) {
    const root = await rootOf(botId, chatId, messageId);
    if (root !== null || Date.now() >= deadline) return root;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function threadRef(botId: number, chatId: number, thread: string | null): ThreadRef {
  return { platform: 'telegram', workspace: String(botId), channel: String(chatId), thread };
}

/**
 * The thread a customer's message belongs to: the whole chat in private; in a group the chain of the message
 * it replies to (or the parent's parent, which the update shows for a reply to our card), else a new chain
 * rooted at the message itself.
 */
export async function threadForMessage(position: IncomingPosition): Promise<ThreadRef> {
  if (position.isPrivate) return threadRef(position.botId, position.chatId, null);
  let root: string | null = null;
  if (position.replyTo) {
    const { messageId, ours } = position.replyTo;
    root = await rootOf(position.botId, position.chatId, messageId);
    if (root === null && ours) root = await rootOfOwnMessage(position.botId, position.chatId, messageId, ours.sentAt);
    if (root === null && position.replyTo.replyToMessageId !== undefined) root = String(position.replyTo.replyToMessageId);
    root ??= String(position.replyTo.messageId);
  }
  root ??= String(position.messageId);
  await rememberLink(position.botId, position.chatId, position.messageId, root);
  return threadRef(position.botId, position.chatId, root);
}

/** The thread of a button press: the card's chain (our cards reply to the chain's root). */
export async function threadForCard(botId: number, chatId: number, isPrivate: boolean, card: { messageId: number; replyToMessageId?: number | undefined }): Promise<ThreadRef> {
  if (isPrivate) return threadRef(botId, chatId, null);
  const root = (await rootOf(botId, chatId, card.messageId)) ?? (card.replyToMessageId !== undefined ? String(card.replyToMessageId) : String(card.messageId));
  return threadRef(botId, chatId, root);
}
