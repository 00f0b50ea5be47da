/**
 * A conversation `Reply` as a Telegram message: HTML text (`parse_mode: 'HTML'`, the one Telegram format
 * that needs no escaping of ordinary punctuation) and an inline keyboard whose `callback_data` is the
 * button's value.
 */
import type { Reply, ReplyBlock, ReplyButton } from '../conversation/types.js';

/** Telegram's limit is 4096 characters of text; leave room for the ellipsis line. */
const MAX_TEXT = 4000;
const BUTTONS_PER_ROW = 2;

export interface TelegramMessageContent {
  text: string;
  parse_mode: 'HTML';
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function blockHtml(block: ReplyBlock): string {
  switch (block.type) {
    case 'header': return `<b>${escapeHtml(block.text)}</b>`;
    case 'text': return escapeHtml(block.text);
    case 'line': {
      const detail = block.detail ? ` <i>(${escapeHtml(block.detail)})</i>` : '';
      const amount = block.amount ? ` — ${escapeHtml(block.amount)}` : '';
      return `• ${escapeHtml(block.label)}${detail}${amount}`;
    }
    case 'fields': return block.fields.map((f) => `<b>${escapeHtml(f.label)}:</b> ${escapeHtml(f.value)}`).join('\n');
    case 'context': return `<i>${escapeHtml(block.text)}</i>`;
    case 'link': return `<a href="${escapeHtml(block.url).replaceAll('"', '&quot;')}">${escapeHtml(block.label)}</a>`;
  }
}

function keyboard(buttons: ReplyButton[]): TelegramMessageContent['reply_markup'] {
  if (buttons.length === 0) return undefined;
  const rows: { text: string; callback_data: string }[][] = [];
  for (let i = 0; i < buttons.length; i += BUTTONS_PER_ROW) {
    rows.push(buttons.slice(i, i + BUTTONS_PER_ROW).map((b) => ({ text: b.label, callback_data: b.value })));
  }
  return { inline_keyboard: rows };
}

/** Blocks when there are any (the same content, laid out), else the plain text; cut whole blocks past the limit. */
export function renderTelegram(reply: Reply): TelegramMessageContent {
  const parts = reply.blocks.length > 0 ? reply.blocks.map(blockHtml) : [escapeHtml(reply.text)];
  let text = '';
  for (const part of parts) {
    const next = text === '' ? part : `${text}\n${part}`;
    if (next.length > MAX_TEXT) {
      text = text === '' ? `${escapeHtml(reply.text.slice(0, MAX_TEXT / 2))}…` : `${text}\n…`;
      break;
    }
    text = next;
  }
  const markup = keyboard(reply.buttons);
  return { text, parse_mode: 'HTML', ...(markup ? { reply_markup: markup } : {}) };
}
