/**
 * The state behind the Telegram simulator: the bot, people, chats and the messages in them (message ids
 * per chat, replies, inline keyboards, edits), pending callback queries and the update queue. Pure
 * in-memory data: the Bot API methods and the driver both act on it.
 */
import { EventEmitter } from 'node:events';

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export type TgChatType = 'private' | 'group' | 'supergroup';

export interface TgChat {
  id: number;
  type: TgChatType;
  title?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
}

export interface TgInlineButton { text: string; callback_data?: string; url?: string }
export interface TgReplyMarkup { inline_keyboard: TgInlineButton[][] }

export interface TgEntity { type: string; offset: number; length: number }

/** A message as the Bot API returns it (the fields we model). */
export interface TgMessage {
  message_id: number;
  from: TgUser;
  chat: TgChat;
  date: number;
  text: string;
  entities?: TgEntity[];
  reply_to_message?: TgMessage;
  reply_markup?: TgReplyMarkup;
  edit_date?: number;
}

/** What the simulator keeps per message: the API shape plus its edit history. */
export interface SimTgMessage {
  chatId: number;
  messageId: number;
  /** Author user id (the bot's id for bot messages). */
  fromId: number;
  fromBot: boolean;
  text: string;
  replyToMessageId?: number;
  replyMarkup?: TgReplyMarkup;
  parseMode?: string;
  entities?: TgEntity[];
  date: number;
  editDate?: number;
  /** How many edits changed it (text or keyboard). */
  edits: number;
  textHistory: string[];
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message: TgMessage;
  chat_instance: string;
  data: string;
}

export interface SimCallbackQuery {
  query: TgCallbackQuery;
  createdAt: number;
  answered: boolean;
  answer?: { text?: string; show_alert?: boolean };
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
  [kind: string]: unknown;
}

/** A Bot API error: HTTP status = error_code, as Telegram answers. */
export class TelegramApiFailure extends Error {
  constructor(readonly errorCode: number, readonly description: string, readonly parameters?: Record<string, unknown>) {
    super(description);
  }
}

export const badRequest = (description: string): TelegramApiFailure => new TelegramApiFailure(400, `Bad Request: ${description}`);
export const forbidden = (description: string): TelegramApiFailure => new TelegramApiFailure(403, `Forbidden: ${description}`);

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class TelegramWorld extends EventEmitter {
  readonly bot: TgUser;
  private readonly users = new Map<number, TgUser>();
  private readonly chats = new Map<number, TgChat>();
  private readonly messagesByChat = new Map<number, SimTgMessage[]>();
  private readonly lastMessageId = new Map<number, number>();
  /** Private chats whose user has written to the bot (a bot cannot start a conversation). */
  private readonly started = new Set<number>();
  private readonly blocked = new Set<number>();
  readonly callbackQueries = new Map<string, SimCallbackQuery>();
  private nextUserId = 700_000_001;
  private nextGroupId = 4_000_000_001;

  constructor(bot: { id: number; first_name: string; username: string }) {
    super();
    this.setMaxListeners(0);
    this.bot = { ...bot, is_bot: true };
    this.users.set(bot.id, this.bot);
  }

  addUser(input: Partial<Omit<TgUser, 'is_bot'>> = {}): TgUser {
    const id = input.id ?? this.nextUserId++;
    const user: TgUser = { id, is_bot: false, first_name: input.first_name ?? `User${id}`, language_code: input.language_code ?? 'en', ...(input.last_name ? { last_name: input.last_name } : {}), ...(input.username ? { username: input.username } : {}) };
    this.users.set(id, user);
    const chat: TgChat = { id, type: 'private', first_name: user.first_name, ...(user.last_name ? { last_name: user.last_name } : {}), ...(user.username ? { username: user.username } : {}) };
    this.chats.set(id, chat);
    this.messagesByChat.set(id, []);
    return user;
  }

  addGroup(input: { title: string; type?: Exclude<TgChatType, 'private'> }): TgChat {
    const type = input.type ?? 'group';
    const id = type === 'supergroup' ? -(1_000_000_000_000 + this.nextGroupId++) : -this.nextGroupId++;
    const chat: TgChat = { id, type, title: input.title };
    this.chats.set(id, chat);
    this.messagesByChat.set(id, []);
    return chat;
  }

  user(id: number): TgUser | undefined {
    return this.users.get(id);
  }

  chat(id: number): TgChat | undefined {
    return this.chats.get(id);
  }

  /** chat_id may be a number, a numeric string or "@username" (a public chat's username). */
  resolveChat(chatId: unknown): TgChat {
    const asNumber = typeof chatId === 'number' ? chatId : typeof chatId === 'string' && /^-?\d+$/.test(chatId) ? Number(chatId) : undefined;
    const chat = asNumber !== undefined ? this.chats.get(asNumber) : [...this.chats.values()].find((c) => typeof chatId === 'string' && c.username !== undefined && `@${c.username}` === chatId);
    if (!chat) throw badRequest('chat not found');
    return chat;
  }

  markStarted(userId: number): void {
    this.started.add(userId);
    this.blocked.delete(userId);
  }

  setBlocked(userId: number, blocked: boolean): void {
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
  }

  /** Telegram's refusals for a bot writing into a private chat. */
  checkCanWrite(chat: TgChat): void {
    if (chat.type !== 'private') return;
    if (this.blocked.has(chat.id)) throw forbidden('bot was blocked by the user');
    if (!this.started.has(chat.id)) throw forbidden("bot can't initiate conversation with a user");
  }

  add(input: Omit<SimTgMessage, 'messageId' | 'edits' | 'textHistory' | 'date'>): SimTgMessage {
    const list = this.messagesByChat.get(input.chatId);
    if (!list) throw badRequest('chat not found');
    const messageId = (this.lastMessageId.get(input.chatId) ?? 0) + 1;
    this.lastMessageId.set(input.chatId, messageId);
    const message: SimTgMessage = { ...input, messageId, date: nowSeconds(), edits: 0, textHistory: [input.text] };
    list.push(message);
    this.emit('message', message);
    return message;
  }

  find(chatId: number, messageId: number): SimTgMessage | undefined {
    return this.messagesByChat.get(chatId)?.find((m) => m.messageId === messageId);
  }

  edited(message: SimTgMessage): void {
    message.edits += 1;
    message.editDate = nowSeconds();
    message.textHistory.push(message.text);
    this.emit('message', message);
  }

  messages(chatId?: number): SimTgMessage[] {
    if (chatId !== undefined) return [...(this.messagesByChat.get(chatId) ?? [])];
    return [...this.messagesByChat.values()].flat().sort((a, b) => a.date - b.date);
  }

  /** The Bot API Message object; replies carry the replied-to message one level deep, as Telegram does. */
  toApi(message: SimTgMessage, depth = 0): TgMessage {
    const from = this.users.get(message.fromId);
    const chat = this.chats.get(message.chatId);
    if (!from || !chat) throw new Error('message without author or chat');
    const replied = message.replyToMessageId !== undefined && depth === 0 ? this.find(message.chatId, message.replyToMessageId) : undefined;
    return {
      message_id: message.messageId,
      from,
      chat,
      date: message.date,
      text: message.text,
      ...(message.entities && message.entities.length > 0 ? { entities: message.entities } : {}),
      ...(replied ? { reply_to_message: this.toApi(replied, depth + 1) } : {}),
      ...(message.replyMarkup ? { reply_markup: message.replyMarkup } : {}),
      ...(message.editDate !== undefined ? { edit_date: message.editDate } : {}),
    };
  }
}
