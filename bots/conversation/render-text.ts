/** A reply as plain text: the terminal chat, and a fallback for any platform that shows text only. */
import type { Reply, ReplyBlock } from './types.js';

function blockText(b: ReplyBlock): string {
  switch (b.type) {
    case 'header': return b.text.toUpperCase();
    case 'text': return b.text;
    case 'line': return `  ${b.label}${b.detail ? ` (${b.detail})` : ''}${b.amount ? `  ${b.amount}` : ''}`;
    case 'fields': return b.fields.map((f) => `  ${f.label}: ${f.value}`).join('\n');
    case 'context': return `  · ${b.text}`;
    case 'link': return `  ${b.label}: ${b.url}`;
  }
}

/** Blocks when there are any (they carry the same content, better laid out), else the text; buttons numbered. */
export function renderPlainText(reply: Reply): string {
  const body = reply.blocks.length ? reply.blocks.map(blockText).join('\n') : reply.text;
  const buttons = reply.buttons.map((b, i) => `[${i + 1}] ${b.label}`).join('  ');
  return buttons ? `${body}\n${buttons}` : body;
}
