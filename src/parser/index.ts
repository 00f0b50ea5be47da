// Chat request parser: turns one Slack/Telegram message into an intent and, for orders, catalog
// lines, pickup time, name, notes and the things we could not find. Everything menu-specific comes
// from the catalog given to createParser.
import { buildCatalogIndex, type Catalog, type CatalogIndex } from './catalog.js';
import { extractInstructions } from './instructions.js';
import { detectIntent, findOrderRef, ORDER_CUE, type Intent } from './intent.js';
import { parseItems, type ParsedItem } from './items.js';
import { consumeRecipients, extractCustomerName } from './name.js';
import { normalizeMessage } from './normalize.js';
import { buildClarification, buildSummary } from './summary.js';
import { FoldedText } from './text.js';
import { extractPickupTime } from './time.js';
import { phraseWords } from './tokens.js';
import { createZoneClock } from './zone.js';

export { CatalogSchema, type Catalog } from './catalog.js';
export type { Intent } from './intent.js';
export type { ParsedItem } from './items.js';

export interface ParseResult {
  intent: Intent;
  items: ParsedItem[];
  /** ISO 8601 UTC, or null for "as soon as possible". */
  pickup_time: string | null;
  customer_name: string | null;
  special_instructions: string | null;
  unrecognized: string[];
  summary: string;
  clarification: string | null;
  orderRef?: string | null;
}

export interface Parser {
  parse(text: string, now: Date): ParseResult;
}

/** Whether folded [start, end) names an item whose words were already used before `before`. */
function namesEarlierItem(index: CatalogIndex, value: string, before: number, start: number, end: number): boolean {
  const toWords = (text: string): string[] => phraseWords(text).map((w) => index.correct(w) ?? index.canonical(w));
  const named = toWords(value.slice(start, end));
  if (!named.length || !index.skusContainingWords(named).length) return false;
  const earlier = new Set(toWords(value.slice(0, before)));
  return named.every((w) => earlier.has(w));
}

export function createParser(catalog: Catalog): Parser {
  const index = buildCatalogIndex(catalog);
  const zone = createZoneClock(index.timeZone);
  const isMenuWord = (word: string): boolean => index.vocabulary.has(index.canonical(word.toLowerCase()));

  return {
    parse(raw, now) {
      const { text, command } = normalizeMessage(raw);
      const folded = new FoldedText(text);
      const fullText = folded.value;
      const orderRef = findOrderRef(fullText, index.orderPrefix);

      // Order matters: each stage consumes its phrases so later stages do not misread them
      // ("at 8" is not a quantity, "for the kids" is not an unknown item).
      const pickupTime = extractPickupTime(folded, now, zone);
      const instructions = extractInstructions(folded, {
        catalogPhraseAt: (at) => index.phraseAt(folded.value, at),
        namesEarlierItem: (before, start, end) => namesEarlierItem(index, folded.value, before, start, end),
      });
      const customerName = extractCustomerName(folded, { isMenuWord });
      consumeRecipients(folded, { isMenuWord });
      const parsed = parseItems(folded, index, ORDER_CUE.test(fullText));

      const hasOrderContent = parsed.items.length > 0 || parsed.unrecognized.length > 0 || parsed.ambiguous.length > 0;
      const intent = detectIntent({ command, text: fullText, hasOrderContent, hasOrderRef: orderRef !== null });
      const isOrder = intent === 'order';
      const summaryInput = {
        intent,
        items: isOrder ? parsed.items : [],
        pickupTime: isOrder ? pickupTime : null,
        customerName: isOrder ? customerName : null,
        instructions: isOrder && instructions.length ? instructions.join('; ') : null,
        unrecognized: isOrder ? parsed.unrecognized : [],
        ambiguous: isOrder ? parsed.ambiguous : [],
        orderRef: intent === 'status' || intent === 'cancel' ? orderRef : null,
      };
      return {
        intent,
        items: summaryInput.items,
        pickup_time: summaryInput.pickupTime ? summaryInput.pickupTime.toISOString() : null,
        customer_name: summaryInput.customerName,
        special_instructions: summaryInput.instructions,
        unrecognized: summaryInput.unrecognized,
        summary: buildSummary(summaryInput, index, zone, now),
        clarification: buildClarification(summaryInput, index),
        orderRef: summaryInput.orderRef,
      };
    },
  };
}
