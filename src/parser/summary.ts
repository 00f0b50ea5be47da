// Human-facing text for a parse: a one-line summary and the question to ask back, if any.
import type { CatalogIndex } from './catalog.js';
import type { Intent } from './intent.js';
import type { AmbiguousMention, ParsedItem } from './items.js';
import type { ZoneClock } from './zone.js';

export interface SummaryInput {
  intent: Intent;
  items: ParsedItem[];
  pickupTime: Date | null;
  customerName: string | null;
  instructions: string | null;
  unrecognized: string[];
  ambiguous: AmbiguousMention[];
  orderRef: string | null;
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const listWithOr = (names: string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}`;

function pickupLabel(pickup: Date, now: Date, zone: ZoneClock): string {
  const target = zone.localParts(pickup);
  const today = zone.localParts(now);
  const days = Math.round((Date.UTC(target.year, target.month - 1, target.day) - Date.UTC(today.year, today.month - 1, today.day)) / 86_400_000);
  const day = days === 0 ? '' : days === 1 ? 'tomorrow ' : `${WEEKDAY_NAMES[target.weekday] ?? ''} `;
  return `${day}${zone.formatTime(pickup)}`;
}

export function buildSummary(input: SummaryInput, index: CatalogIndex, zone: ZoneClock, now: Date): string {
  const ref = input.orderRef ? ` ${input.orderRef}` : '';
  switch (input.intent) {
    case 'status':
      return input.orderRef ? `Status check for order${ref}` : 'Status check for the latest order';
    case 'cancel':
      return input.orderRef ? `Cancel order${ref}` : 'Cancel the latest order';
    case 'menu':
      return 'Menu request';
    case 'help':
      return 'Help request';
    case 'unknown':
      return 'Message not understood as a request';
    case 'order': {
      const lines = input.items.map((item) => {
        const modifiers = item.modifications.map((id) => index.modifierName(id));
        return `${item.quantity}× ${index.itemName(item.sku)}${modifiers.length ? ` (${modifiers.join(', ')})` : ''}`;
      });
      let summary = lines.length ? lines.join(', ') : 'No menu items yet';
      summary += ` — pickup ${input.pickupTime ? pickupLabel(input.pickupTime, now, zone) : 'ASAP'}`;
      if (input.customerName) summary += ` for ${input.customerName}`;
      if (input.instructions) summary += ` (note: ${input.instructions})`;
      return summary;
    }
  }
}

export function buildClarification(input: SummaryInput, index: CatalogIndex): string | null {
  if (input.intent === 'unknown') return "Sorry, I didn't catch that. Would you like to order something or see the menu?";
  if (input.intent !== 'order') return null;
  const questions: string[] = [];
  for (const mention of input.ambiguous) {
    questions.push(`Which ${mention.phrase} would you like: ${listWithOr(mention.skus.map((sku) => index.itemName(sku)))}?`);
  }
  if (input.unrecognized.length) {
    questions.push(`Sorry, we don't have ${listWithOr(input.unrecognized)}. Anything else from the menu?`);
  }
  if (!questions.length && !input.items.length) questions.push('What would you like to order?');
  return questions.length ? questions.join(' ') : null;
}
