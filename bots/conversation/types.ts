/**
 * The platform-neutral contract between the conversation module and the platform adapters (Slack, Telegram).
 * Adapters turn platform payloads into `Inbound*` values and render `Reply` values; nothing here knows a
 * Slack or Telegram type. See README.md beside this file.
 */

export type Platform = 'slack' | 'telegram';

/** Where a conversation happens. Built by the adapter; the conversation treats it as an address. */
export interface ThreadRef {
  platform: Platform;
  /** Slack team id (enterprise id for org installs); Telegram bot id. */
  workspace: string;
  /** Slack channel id (D… for DMs); Telegram chat id. */
  channel: string;
  /**
   * Slack: the thread root `ts` (a top-level message starts its own thread). Telegram: the message id the
   * conversation hangs on (the customer's first message or the card), or null when the whole chat is one thread.
   */
  thread: string | null;
}

export const threadKey = (t: ThreadRef): string => `${t.platform}:${t.workspace}:${t.channel}:${t.thread ?? '-'}`;

/** The customer. `id` is the platform's: `slack:<team>:<user>` or `telegram:<user>`. */
export interface ChatUser {
  id: string;
  /** A name to greet and to prefill the order name with (never required). */
  displayName?: string | null;
}

export const slackUserId = (team: string, user: string) => `slack:${team}:${user}`;
export const telegramUserId = (user: string | number) => `telegram:${user}`;

/** A customer message: DM, @mention, slash command text or plain text in a private chat. */
export interface InboundMessage {
  thread: ThreadRef;
  user: ChatUser;
  /** Text without the bot mention; a slash command's text prefixed with its command ("/order 2 lattes"). */
  text: string;
  /** The platform's id of this delivery (Slack event_id / command trigger, Telegram update_id): dedupe key. */
  eventId: string;
  /** The platform's id of the message itself (Slack ts, Telegram message_id), when it has one. */
  messageId?: string | null;
}

/** A button press on a message we sent. `value` is the opaque string from the `ReplyButton` (≤ 64 bytes). */
export interface InboundButton {
  thread: ThreadRef;
  user: ChatUser;
  value: string;
  /** Dedupe key of this delivery (Slack action_ts+trigger, Telegram update_id). Not the idempotency key of the order. */
  eventId: string;
}

/** A Telegram-style `/start <code>` or a Slack install: joins a chat to a space. */
export interface InboundLink {
  thread: ThreadRef;
  user: ChatUser;
  code: string;
  eventId: string;
}

// ---------------------------------------------------------------- replies

/** Content blocks both platforms can render (Slack Block Kit, Telegram HTML, terminal text). Plain words only. */
export type ReplyBlock =
  | { type: 'header'; text: string }
  | { type: 'text'; text: string }
  /** An order line: "2× Latte", "oat milk, extra shot", "$11.00". */
  | { type: 'line'; label: string; detail: string | null; amount: string | null }
  /** Label/value pairs: Total, Pickup, Name, Notes, Order #, Receipt. */
  | { type: 'fields'; fields: Array<{ label: string; value: string }> }
  /** Small print under the content ("no unicorn frappe on the menu", "expires in 30 minutes"). */
  | { type: 'context'; text: string }
  /** A web link ("Track your order" → the customer's live order page). */
  | { type: 'link'; label: string; url: string };

export interface ReplyButton {
  label: string;
  /** Opaque payload handed back in `InboundButton.value`; ≤ 64 bytes (Telegram `callback_data`). */
  value: string;
  style?: 'primary' | 'danger';
}

/**
 * One message to show. `text` is the whole message in plain words (notifications, terminals, fallback);
 * `blocks` is the structured form. `card` names a message that is edited in place on later updates (the
 * order card); a reply without `card` is a new message in the thread.
 */
export interface Reply {
  text: string;
  blocks: ReplyBlock[];
  buttons: ReplyButton[];
  /** Edit-in-place key: the first reply with a card key posts it, later ones edit that message. */
  card?: string;
  /** Only the asking user sees it (Slack ephemeral; Telegram has none and posts it normally). */
  ephemeral?: boolean;
}

/** What the conversation wants said, in order, in the thread it was asked in. */
export interface Outgoing {
  thread: ThreadRef;
  replies: Reply[];
}

// ---------------------------------------------------------------- transport (implemented per platform)

/** Where a sent message lives, to edit it later: Slack `ts`, Telegram `message_id`. */
export interface SentRef { messageId: string }

/** How a transport reports a failed call; the outbox decides retries from the kind. */
export type TransportFailure =
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'unavailable'; message: string }
  /** Telegram "message is not modified": the edit is already there, so it counts as delivered. */
  | { kind: 'not_modified' }
  | { kind: 'permanent'; message: string };

export class TransportError extends Error {
  constructor(readonly failure: TransportFailure) {
    super(failure.kind === 'rate_limited' ? `rate limited for ${failure.retryAfterMs} ms` : 'message' in failure ? failure.message : failure.kind);
    this.name = 'TransportError';
  }
}

/**
 * One platform's way to send. Implementations render `Reply` to the platform's format and throw
 * `TransportError` (classified) on failure; they never retry themselves (the outbox does, durably).
 */
export interface ChatTransport {
  readonly platform: Platform;
  /** Posts a new message in the thread (threaded under `thread.thread` when set). */
  post(thread: ThreadRef, reply: Reply, opts: { userId: string | null }): Promise<SentRef>;
  /** Replaces an earlier message's content and buttons. */
  edit(thread: ThreadRef, ref: SentRef, reply: Reply): Promise<void>;
}

// ---------------------------------------------------------------- runtime (what adapters call)

/**
 * What a platform adapter calls after it has answered the platform. Each returns once the replies are queued
 * durably, or the update is recorded for the runtime to retry; it throws only when the update could not be
 * recorded (the adapter then lets the platform deliver it again).
 */
export interface ChatInbound {
  handleMessage(message: InboundMessage): Promise<void>;
  handleButton(button: InboundButton): Promise<void>;
  handleLink(link: InboundLink): Promise<void>;
  /** The adapter's sender; the outbox uses it for every message to that platform. */
  useTransport(transport: ChatTransport): void;
}
