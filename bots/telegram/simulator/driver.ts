/**
 * Plays people's side towards the bot: they write in a private chat or a group, start the bot with a
 * deep-link code, send commands, mention it, reply to its messages and press inline buttons. Each action
 * is recorded in the simulator and becomes an update (queued for getUpdates, or POSTed to the webhook with
 * the secret token), exactly as Telegram builds them.
 */
import { randomBytes } from 'node:crypto';
import type { SimTgMessage, TelegramSimulator, TgUpdate, WebhookDelivery } from './simulator.js';

export interface TelegramSendOptions {
  /** Send this X-Telegram-Bot-Api-Secret-Token instead of the one set with setWebhook (a forgery). */
  secretToken?: string;
}

export interface TelegramDriverResult {
  updateId: number;
  update: TgUpdate;
  /** Present in webhook mode. */
  delivery?: WebhookDelivery;
}

export interface TelegramDriver {
  /** A person writes; `chatId` defaults to their private chat with the bot. */
  sendText(input: { from: number; text: string; chatId?: number; replyToMessageId?: number }, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { message: SimTgMessage }>;
  /** Opening t.me/<bot>?start=<code>: Telegram sends "/start <code>". */
  start(from: number, code?: string, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { message: SimTgMessage }>;
  /** "/command args"; in groups addressed as "/command@bot_username" unless `addressed: false`. */
  command(input: { from: number; command: string; args?: string; chatId?: number; addressed?: boolean }, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { message: SimTgMessage }>;
  /** "@bot_username text" in a group. */
  mention(input: { from: number; chatId: number; text: string }, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { message: SimTgMessage }>;
  /** Presses an inline button (found by callback_data or label) on a message the bot sent. */
  pressButton(input: { from: number; chatId: number; messageId: number; data?: string; text?: string }, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { callbackQueryId: string }>;
  /** Any update; update_id is assigned unless given. */
  sendUpdate(update: Omit<TgUpdate, 'update_id'> & { update_id?: number }, opts?: TelegramSendOptions): Promise<TelegramDriverResult>;
  /** Sends an update again with the same update_id (Telegram redelivers after a failed webhook answer). */
  resend(updateId: number, opts?: TelegramSendOptions): Promise<TelegramDriverResult>;
}

export function createTelegramDriver(sim: TelegramSimulator): TelegramDriver {
  const sent = new Map<number, TgUpdate>();

  async function sendUpdate(input: Omit<TgUpdate, 'update_id'> & { update_id?: number }, opts: TelegramSendOptions = {}): Promise<TelegramDriverResult> {
    const { updateId, delivery } = await sim.pushUpdate(input, opts);
    const update = { ...input, update_id: updateId } as TgUpdate;
    sent.set(updateId, update);
    return { updateId, update, ...(delivery ? { delivery } : {}) };
  }

  async function sendText(input: { from: number; text: string; chatId?: number; replyToMessageId?: number }, opts?: TelegramSendOptions): Promise<TelegramDriverResult & { message: SimTgMessage }> {
    if (!sim.user(input.from)) throw new Error(`no simulated user ${input.from}`);
    const message = sim.recordUserMessage({ from: input.from, chatId: input.chatId ?? input.from, text: input.text, ...(input.replyToMessageId !== undefined ? { replyToMessageId: input.replyToMessageId } : {}) });
    const result = await sendUpdate({ message: sim.apiMessage(message.chatId, message.messageId) }, opts);
    return { ...result, message };
  }

  return {
    sendText,
    start: (from, code, opts) => sendText({ from, text: code ? `/start ${code}` : '/start' }, opts),
    command(input, opts) {
      const chat = sim.chat(input.chatId ?? input.from);
      const addressed = input.addressed ?? chat?.type !== 'private';
      const head = `/${input.command}${addressed ? `@${sim.bot.username ?? ''}` : ''}`;
      return sendText({ from: input.from, ...(input.chatId !== undefined ? { chatId: input.chatId } : {}), text: input.args ? `${head} ${input.args}` : head }, opts);
    },
    mention: (input, opts) => sendText({ from: input.from, chatId: input.chatId, text: `@${sim.bot.username ?? ''} ${input.text}` }, opts),
    async pressButton(input, opts) {
      const from = sim.user(input.from);
      const message = sim.message(input.chatId, input.messageId);
      if (!from || !message) throw new Error(`no message ${input.messageId} in chat ${input.chatId}`);
      const button = (message.replyMarkup?.inline_keyboard ?? []).flat().find((b) =>
        b.callback_data !== undefined && (input.data === undefined || b.callback_data === input.data) && (input.text === undefined || b.text === input.text));
      if (!button?.callback_data) throw new Error(`message ${input.messageId} has no button ${input.data ?? input.text ?? ''}`);
      const callbackQueryId = BigInt(`0x${randomBytes(7).toString('hex')}`).toString();
      const query = {
        id: callbackQueryId,
        from,
        message: sim.apiMessage(message.chatId, message.messageId),
        chat_instance: String(BigInt(input.chatId) * 7919n),
        data: button.callback_data,
      };
      sim.registerCallbackQuery(query);
      const result = await sendUpdate({ callback_query: query }, opts);
      return { ...result, callbackQueryId };
    },
    sendUpdate,
    async resend(updateId, opts) {
      const update = sent.get(updateId);
      if (!update) throw new Error(`update ${updateId} was not sent by this driver`);
      return sendUpdate(update, opts);
    },
  };
}
