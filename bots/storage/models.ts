/**
 * What the chat bots keep in MongoDB. Same rules as src/storage: every "once" decision is a unique insert,
 * no TTL indexes (expired drafts and old dedupe records are deleted by the `chat.cleanup` job), and hot
 * lookups are by `_id` (FerretDB only pushes `_id` filters down; other filters scan the collection).
 */
import mongoose, { Schema } from 'mongoose';

const { model } = mongoose;
const opts = { timestamps: true, versionKey: false, minimize: false } as const;

/** The order being discussed in one thread: `_id` = threadKey. Expires `DRAFT_TTL` after its last change. */
const ChatDraftSchema = new Schema({
  _id: { type: String, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  providerId: { type: Schema.Types.ObjectId, default: null },
  userId: { type: String, required: true },
  /** Bumped on every change; buttons carry it so a tap on an outdated card is refused. */
  version: { type: Number, required: true },
  state: { type: String, enum: ['open', 'placed', 'cancelled'], default: 'open' },
  draft: { type: Schema.Types.Mixed, required: true },
  actionId: { type: String, default: null },
  /** Which order of this thread the draft is (a thread can order again after placing): its card key. */
  round: { type: Number, default: 1 },
  /** The first message, kept while the customer picks a provider. */
  pendingText: { type: String, default: null },
  expiresAt: { type: Date, required: true },
}, opts);
ChatDraftSchema.index({ expiresAt: 1 });
export const ChatDraft = model('ChatDraft', ChatDraftSchema);

/**
 * A Slack workspace or a Telegram chat joined to a space. `_id` = `slack:<team>` or `telegram:<bot>:<chat>`.
 * Secrets (Slack bot tokens of OAuth installs) live in ChatSecret, never on this document.
 */
const ChatConnectionSchema = new Schema({
  _id: { type: String, required: true },
  platform: { type: String, enum: ['slack', 'telegram'], required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  workspace: { type: String, required: true },
  /** Telegram chat id; null for a whole Slack workspace. */
  channel: { type: String, default: null },
  label: { type: String, default: null },
  /** A Slack workspace that removed the app (app_uninstalled, or its bot token revoked) stays listed as uninstalled. */
  status: { type: String, enum: ['active', 'uninstalled'], default: 'active' },
  uninstalledAt: { type: Date, default: null },
}, opts);
ChatConnectionSchema.index({ spaceId: 1 });
export const ChatConnection = model('ChatConnection', ChatConnectionSchema);

/**
 * Write-only credentials per connection, `_id` = the connection's: `values.botToken` (given to the API, or from
 * an OAuth install) and, for OAuth installs, `values.installation` (@slack/oauth's Installation, tokens included).
 */
const ChatSecretSchema = new Schema({ _id: { type: String, required: true }, values: { type: Schema.Types.Mixed, default: {} } }, opts);
export const ChatSecret = model('ChatSecret', ChatSecretSchema);

/** One-time codes for `/start <code>` (Telegram deep link) and Slack install links. */
const ChatLinkCodeSchema = new Schema({
  _id: { type: String, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  platform: { type: String, enum: ['slack', 'telegram'], required: true },
  expiresAt: { type: Date, required: true },
}, opts);
export const ChatLinkCode = model('ChatLinkCode', ChatLinkCodeSchema);

/** Which provider a channel/chat orders from: `_id` = `<platform>:<workspace>:<channel>`. */
const ChatBindingSchema = new Schema({
  _id: { type: String, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  platform: { type: String, required: true },
  workspace: { type: String, required: true },
  channel: { type: String, required: true },
  providerId: { type: Schema.Types.ObjectId, required: true },
}, opts);
ChatBindingSchema.index({ spaceId: 1 });
export const ChatBinding = model('ChatBinding', ChatBindingSchema);

/** Inbound deliveries already handled (`<platform>:<event id>`); deleted by the cleanup job after a day. */
const ChatInboundEventSchema = new Schema({ _id: { type: String, required: true } }, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false });
ChatInboundEventSchema.index({ createdAt: 1 });
export const ChatInboundEvent = model('ChatInboundEvent', ChatInboundEventSchema);

/**
 * One outbound message, claimed once by its key (`<actionId>:<statusUpdateId>:<threadKey>` for status news,
 * `<eventId>:<n>` for conversation replies). Immutable after insert; it is sent once its ChatPending row is gone.
 */
const ChatDeliverySchema = new Schema({
  _id: { type: String, required: true },
  threadKey: { type: String, required: true },
  thread: { type: Schema.Types.Mixed, required: true },
  userId: { type: String, default: null },
  /** Order within the thread: sent strictly in this order. */
  seq: { type: Number, required: true },
  /** A platform-neutral Reply, or null when the message is in the platform's own format (`native`). */
  reply: { type: Schema.Types.Mixed, default: null },
  /** A NativeMessage (bots/delivery/outbox.ts): raw Block Kit cards, App Home. */
  native: { type: Schema.Types.Mixed, default: null },
}, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, minimize: false });
ChatDeliverySchema.index({ createdAt: 1 });
export const ChatDelivery = model('ChatDelivery', ChatDeliverySchema);

/**
 * Deliveries not yet sent (small: deleted when sent), with their retry state. `_id` = delivery id. It carries
 * the message itself, so sending reads nothing else (rows written before it did are read from ChatDelivery).
 */
const ChatPendingSchema = new Schema({
  _id: { type: String, required: true },
  threadKey: { type: String, required: true },
  seq: { type: Number, required: true },
  thread: { type: Schema.Types.Mixed, default: null },
  userId: { type: String, default: null },
  reply: { type: Schema.Types.Mixed, default: null },
  native: { type: Schema.Types.Mixed, default: null },
  attempts: { type: Number, default: 0 },
  notBefore: { type: Date, default: null },
  lastError: { type: String, default: null },
  /** An earlier attempt may have gone through (its sender died or got no answer): look before posting again. */
  uncertain: { type: Boolean, default: false },
  /** Native live renders of the same card/home share this key: a queued later one makes an earlier one redundant. */
  coalesce: { type: String, default: null },
}, { timestamps: true, versionKey: false, minimize: false });
ChatPendingSchema.index({ threadKey: 1, seq: 1 });
export const ChatPending = model('ChatPending', ChatPendingSchema);

/** Where a card was posted: `_id` = `<threadKey>|<card key>` → the platform message id to edit. */
const ChatCardSchema = new Schema({
  _id: { type: String, required: true },
  messageId: { type: String, required: true },
}, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false });
ChatCardSchema.index({ createdAt: 1 });
export const ChatCard = model('ChatCard', ChatCardSchema);

export const CHAT_MODELS = [ChatDraft, ChatConnection, ChatSecret, ChatLinkCode, ChatBinding, ChatInboundEvent, ChatDelivery, ChatPending, ChatCard];
