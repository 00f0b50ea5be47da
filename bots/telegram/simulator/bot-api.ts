/**
 * The Bot API methods the bot uses, as functions of params → result, throwing `TelegramApiFailure` with
 * Telegram's own descriptions ("Bad Request: message is not modified: …"). getUpdates and the webhook
 * methods live in the simulator, which owns the update queue and the long polls.
 */
import { isDeepStrictEqual } from 'node:util';
import { jsonParam } from '../../simulator-kit.js';
import { badRequest, TelegramApiFailure, type SimTgMessage, type TelegramWorld, type TgEntity, type TgReplyMarkup } from './world.js';

export type TgParams = Record<string, unknown>;
export type TgMethod = (params: TgParams) => unknown;

/** Telegram answers a callback query for about this long (then "query is too old"). */
export const CALLBACK_QUERY_TTL_MS = 15_000;

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

/** Objects arrive as JSON (telegraf) or JSON-encoded form fields. */
const object = <T>(params: TgParams, key: string): T | undefined => jsonParam<T>(params, key, () => badRequest(`can't parse ${key} JSON object`));

function integer(params: TgParams, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(parsed)) throw badRequest(`field "${key}" must be an integer`);
  return parsed;
}

function text(params: TgParams, key = 'text'): string {
  const value = params[key];
  const body = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  if (body.trim() === '') throw badRequest('message text is empty');
  if (body.length > 4096) throw badRequest('message is too long');
  return body;
}

/** Inline keyboards only (what the bot uses); callback_data must be 1-64 bytes. */
function replyMarkup(params: TgParams): TgReplyMarkup | undefined {
  const markup = object<TgReplyMarkup>(params, 'reply_markup');
  if (markup === undefined) return undefined;
  if (!Array.isArray(markup.inline_keyboard)) throw badRequest("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays");
  for (const row of markup.inline_keyboard) {
    if (!Array.isArray(row)) throw badRequest('can\'t parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays');
    for (const button of row) {
      if (typeof button.text !== 'string' || button.text === '') throw badRequest('text buttons are unallowed in the inline keyboard');
      if (button.callback_data !== undefined) {
        const size = Buffer.byteLength(button.callback_data, 'utf8');
        if (size < 1 || size > 64) throw badRequest('BUTTON_DATA_INVALID');
      } else if (button.url === undefined) {
        throw badRequest("can't parse inline keyboard button: Field \"url\" must be of type String");
      }
    }
  }
  return markup;
}

/** Entities Telegram computes for plain text (no parse_mode): commands, @mentions, links. */
export function plainEntities(body: string): TgEntity[] {
  const entities: TgEntity[] = [];
  for (const match of body.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)/g)) {
    entities.push({ type: 'bot_command', offset: (match.index ?? 0) + (match[1]?.length ?? 0), length: match[2]?.length ?? 0 });
  }
  for (const match of body.matchAll(/(^|[^\w/])(@[A-Za-z0-9_]{5,32})/g)) {
    entities.push({ type: 'mention', offset: (match.index ?? 0) + (match[1]?.length ?? 0), length: match[2]?.length ?? 0 });
  }
  return entities.sort((a, b) => a.offset - b.offset);
}

/** Rough HTML check for parse_mode=HTML: Telegram refuses unknown or unbalanced tags. */
function checkHtml(body: string): void {
  const allowed = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
  const stack: string[] = [];
  for (const match of body.matchAll(/<(\/?)([a-zA-Z-]+)[^>]*>/g)) {
    const [, closing, tag = ''] = match;
    const name = tag.toLowerCase();
    if (!allowed.has(name)) throw badRequest(`can't parse entities: Unsupported start tag "${name}" at byte offset ${match.index ?? 0}`);
    if (closing) {
      if (stack.pop() !== name) throw badRequest(`can't parse entities: Unexpected end tag at byte offset ${match.index ?? 0}`);
    } else {
      stack.push(name);
    }
  }
  if (stack.length > 0) throw badRequest(`can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1) ?? ''}"`);
  if (/&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)/.test(body)) throw badRequest('can\'t parse entities: Character entity expected');
}

function checkParseMode(params: TgParams, body: string): string | undefined {
  const mode = typeof params['parse_mode'] === 'string' ? params['parse_mode'] : undefined;
  if (mode === 'HTML') checkHtml(body);
  else if (mode !== undefined && mode !== 'MarkdownV2' && mode !== 'Markdown') throw badRequest(`unsupported parse_mode "${mode}"`);
  return mode;
}

export function createBotApi(world: TelegramWorld): Record<string, TgMethod> {
  function botMessage(params: TgParams): SimTgMessage {
    if (params['inline_message_id'] !== undefined) throw badRequest('inline messages are not simulated');
    const chat = world.resolveChat(params['chat_id']);
    const messageId = integer(params, 'message_id');
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const message = world.find(chat.id, messageId);
    if (!message) throw badRequest('message to edit not found');
    if (message.fromId !== world.bot.id) throw badRequest("message can't be edited");
    return message;
  }

  return {
    getMe: () => ({ ...world.bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false }),

    sendMessage: (params) => {
      const chat = world.resolveChat(params['chat_id']);
      const body = text(params);
      const parseMode = checkParseMode(params, body);
      const markup = replyMarkup(params);
      world.checkCanWrite(chat);
      const replyParameters = object<{ message_id?: number; allow_sending_without_reply?: boolean }>(params, 'reply_parameters');
      const replyTo = replyParameters?.message_id ?? integer(params, 'reply_to_message_id');
      const allowWithout = replyParameters?.allow_sending_without_reply ?? params['allow_sending_without_reply'] === true;
      let replyToMessageId: number | undefined;
      if (replyTo !== undefined) {
        if (world.find(chat.id, replyTo)) replyToMessageId = replyTo;
        else if (!allowWithout) throw badRequest('message to be replied not found');
      }
      const message = world.add({
        chatId: chat.id,
        fromId: world.bot.id,
        fromBot: true,
        text: body,
        ...(parseMode ? { parseMode } : { entities: plainEntities(body) }),
        ...(replyToMessageId !== undefined ? { replyToMessageId } : {}),
        ...(markup ? { replyMarkup: markup } : {}),
      });
      return world.toApi(message);
    },

    editMessageText: (params) => {
      const message = botMessage(params);
      const body = text(params);
      const parseMode = checkParseMode(params, body);
      const markup = replyMarkup(params);
      // Telegram compares the new content with the current one, keyboard included (an edit without
      // reply_markup removes the keyboard).
      if (body === message.text && isDeepStrictEqual(markup, message.replyMarkup)) throw badRequest(NOT_MODIFIED);
      message.text = body;
      if (parseMode) {
        message.parseMode = parseMode;
        delete message.entities;
      } else {
        delete message.parseMode;
        message.entities = plainEntities(body);
      }
      if (markup) message.replyMarkup = markup;
      else delete message.replyMarkup;
      world.edited(message);
      return world.toApi(message);
    },

    editMessageReplyMarkup: (params) => {
      const message = botMessage(params);
      const markup = replyMarkup(params);
      if (isDeepStrictEqual(markup, message.replyMarkup)) throw badRequest(NOT_MODIFIED);
      if (markup) message.replyMarkup = markup;
      else delete message.replyMarkup;
      world.edited(message);
      return world.toApi(message);
    },

    answerCallbackQuery: (params) => {
      const id = typeof params['callback_query_id'] === 'string' ? params['callback_query_id'] : '';
      const query = world.callbackQueries.get(id);
      if (!query || query.answered || Date.now() - query.createdAt > CALLBACK_QUERY_TTL_MS) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      const answerText = typeof params['text'] === 'string' ? params['text'] : undefined;
      if (answerText !== undefined && answerText.length > 200) throw badRequest('MESSAGE_TOO_LONG');
      query.answered = true;
      query.answer = { ...(answerText !== undefined ? { text: answerText } : {}), ...(params['show_alert'] === true ? { show_alert: true } : {}) };
      world.emit('callback_answered', query);
      return true;
    },

    sendChatAction: (params) => {
      world.resolveChat(params['chat_id']);
      return true;
    },
  };
}

export function tooManyRequests(retryAfterSeconds: number): TelegramApiFailure {
  return new TelegramApiFailure(429, `Too Many Requests: retry after ${retryAfterSeconds}`, { retry_after: retryAfterSeconds });
}
