/**
 * Sends conversation replies to Telegram through telegraf's API client, once per call: the chat outbox
 * retries, so failures are classified (429 → rate limited for `retry_after`, 5xx and network → unavailable,
 * "message is not modified" → delivered) and never retried here.
 */
import type { Telegram } from 'telegraf';
import { TelegramError } from 'telegraf';
import { TransportError, type ChatTransport, type Reply, type SentRef, type ThreadRef } from '../conversation/types.js';
import { renderTelegram } from './render.js';
import { rememberLink } from './threads.js';

export function classifyTelegramFailure(error: unknown): TransportError {
  if (error instanceof TelegramError) {
    if (error.code === 429) return new TransportError({ kind: 'rate_limited', retryAfterMs: (error.parameters?.retry_after ?? 1) * 1000 });
    if (error.code >= 500) return new TransportError({ kind: 'unavailable', message: `Telegram answered ${error.code}` });
    if (error.code === 400 && error.description.includes('message is not modified')) return new TransportError({ kind: 'not_modified' });
    return new TransportError({ kind: 'permanent', message: error.description });
  }
  // telegraf's fetch failures (FetchError: refused, reset, timeout) carry no Telegram code.
  return new TransportError({ kind: 'unavailable', message: error instanceof Error ? error.message : String(error) });
}

export function createTelegramTransport(telegram: Telegram, botId: number): ChatTransport {
  return {
    platform: 'telegram',
    async post(thread: ThreadRef, reply: Reply): Promise<SentRef> {
      const content = renderTelegram(reply);
      const chatId = Number(thread.channel);
      let sent;
      try {
        sent = await telegram.sendMessage(chatId, content.text, {
          parse_mode: content.parse_mode,
          link_preview_options: { is_disabled: true },
          ...(content.reply_markup ? { reply_markup: content.reply_markup } : {}),
          // In a group the conversation is a reply chain: hang every message on its root.
          ...(thread.thread !== null ? { reply_parameters: { message_id: Number(thread.thread), allow_sending_without_reply: true } } : {}),
        });
      } catch (error) {
        throw classifyTelegramFailure(error);
      }
      // The message is out: a failed bookkeeping write must not make the outbox send it again (a reply to it
      // then falls back to its reply_to_message, which is the root).
      if (thread.thread !== null) await rememberLink(botId, chatId, sent.message_id, thread.thread).catch(() => undefined);
      return { messageId: String(sent.message_id) };
    },
    async edit(thread: ThreadRef, ref: SentRef, reply: Reply): Promise<void> {
      const content = renderTelegram(reply);
      try {
        await telegram.editMessageText(Number(thread.channel), Number(ref.messageId), undefined, content.text, {
          parse_mode: content.parse_mode,
          link_preview_options: { is_disabled: true },
          ...(content.reply_markup ? { reply_markup: content.reply_markup } : {}),
        });
      } catch (error) {
        throw classifyTelegramFailure(error);
      }
    },
  };
}
