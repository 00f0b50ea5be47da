/** A platform-neutral Reply as Slack Block Kit (sections, fields, context, one actions block). */
import type { Reply, ReplyBlock } from '../conversation/types.js';

type Block = Record<string, unknown>;

/** Slack mrkdwn needs &, <, > escaped; everything we show is plain words. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Button action ids name what the button does ("rouh_place"); the value carries the details. */
const ACTION_IDS: Record<string, string> = {
  place: 'rouh_place', drop: 'rouh_cancel_draft', 'cxl?': 'rouh_cancel_order', 'cxl!': 'rouh_cancel_confirm', keep: 'rouh_keep', prov: 'rouh_provider',
};
export const actionIdFor = (value: string) => ACTION_IDS[value.split(':')[0] ?? ''] ?? 'rouh_other';
export const ACTION_ID_PATTERN = /^rouh_/;

function block(b: ReplyBlock): Block {
  switch (b.type) {
    case 'header': return { type: 'header', text: { type: 'plain_text', text: clip(b.text, 150), emoji: true } };
    case 'text': return { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(b.text), 3000) } };
    case 'line': return {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*${escapeMrkdwn(b.label)}*${b.amount ? `   ${escapeMrkdwn(b.amount)}` : ''}${b.detail ? `\n_${escapeMrkdwn(b.detail)}_` : ''}`, 3000) },
    };
    case 'fields': return { type: 'section', fields: b.fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, 2000) })) };
    case 'context': return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(escapeMrkdwn(b.text), 3000) }] };
    case 'link': return { type: 'section', text: { type: 'mrkdwn', text: `<${escapeMrkdwn(b.url)}|${escapeMrkdwn(b.label.replace(/\|/g, '/'))}>` } };
  }
}

export function toBlockKit(reply: Reply): { text: string; blocks: Block[] } {
  const blocks = reply.blocks.map(block);
  if (reply.buttons.length) {
    blocks.push({
      type: 'actions',
      elements: reply.buttons.slice(0, 25).map((b) => ({
        type: 'button', action_id: actionIdFor(b.value), value: b.value, text: { type: 'plain_text', text: clip(b.label, 75), emoji: true },
        ...(b.style ? { style: b.style } : {}),
      })),
    });
  }
  return { text: clip(reply.text, 4000), blocks: blocks.slice(0, 50) };
}
