// Strips chat-platform noise (Slack markup, emoji, markdown, Telegram bot commands) so the rest of the
// parser sees only what the customer typed.

export interface NormalizedMessage {
  /** Cleaned text, original case and accents kept. */
  text: string;
  /** Telegram-style leading command without slash or @bot suffix ("order", "status"), else null. */
  command: string | null;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

export function normalizeMessage(raw: string): NormalizedMessage {
  let text = raw.normalize('NFC');

  // Slack: <@U123> mentions, <#C123|general> channels, <!here> broadcasts carry no order content;
  // a link keeps its visible label.
  text = text
    .replace(/<[@#!][^>\s]*>/g, ' ')
    .replace(/<(?:https?|mailto):[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(?:https?|mailto):[^>]*>/g, ' ')
    .replace(/&(?:amp|lt|gt|quot|#39|nbsp);/g, (entity) => HTML_ENTITIES[entity] ?? entity);

  // Emoji codes (:coffee:, :+1:, :skin-tone-2:). A code starts with a letter and never follows a
  // digit, so "7:45am:" keeps its time.
  text = text.replace(/(?<!\d):(?:[a-z][a-z0-9_+-]*|[+-]1):/gi, ' ');
  // Unicode emoji, joiners, variation selectors, skin tones and flags.
  text = text.replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3|[\u{1f1e6}-\u{1f1ff}]/gu, ' ');

  // Typographic variants the matchers do not want to care about.
  text = text
    .replace(/`+/g, ' ')
    .replace(/[\u2018\u2019\u02bc´]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/×/g, 'x')
    .replace(/\bxtra\b/gi, 'extra')
    .replace(/\u00a0/g, ' ');

  // Markdown emphasis: *bold*, _italic_, ~strike~, `code`, quote markers. Intra-word underscores stay.
  text = text
    .replace(/[*~]+/g, '')
    .replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}]|$)/gu, '$1')
    .replace(/^\s*>+\s?/gm, '');

  // Telegram: "/order", "/order@SomeBot" at the very start is a command, not text.
  let command: string | null = null;
  const commandMatch = /^\s*\/([a-z][a-z0-9_]*)(?:@[a-z0-9_]+)?(?=\s|$)/i.exec(text);
  if (commandMatch) {
    command = (commandMatch[1] ?? '').toLowerCase();
    text = text.slice(commandMatch[0].length);
  }

  text = text.replace(/[ \t\r\f\v]+/g, ' ').replace(/ *\n */g, '\n').trim();
  return { text, command };
}
