// Chat request parser: turns one Slack/Telegram message into an intent and, for orders, catalog
// lines, pickup time, name, notes and the things we could not find. Everything menu-specific comes
// from the catalog given to createParser.
import { buildCatalogIndex, type Catalog, type CatalogIndex } from './catalog.js';
import { extractInstructions } from './instructions.js';
import { detectIntent, findOrderRef, ORDER_CUE, type Intent } from './intent.js';
import { parseItems, type ParsedItem } from './items.js';
import { consumeRecipients, extractCustomerName } from './name.js';
import { normalizeMessage } from './normalize.js';
import { buildClarification, buildSummary, type SummaryInput } from './summary.js';
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

/** An order being put together in a chat: what a bot keeps between messages. */
export interface OrderDraft {
  items: ParsedItem[];
  /** ISO 8601 UTC, or null for "as soon as possible". */
  pickup_time: string | null;
  customer_name: string | null;
  special_instructions: string | null;
}

/** A draft after a follow-up message, with what the bot needs to answer it. */
export interface EditedDraft extends OrderDraft {
  /**
   * `order` when the message edited or added to the draft (or said nothing the parser could use but
   * was not another request); `cancel`, `status`, `menu`, `help` when it asked for that instead, in
   * which case the draft comes back unchanged.
   */
  intent: Intent;
  /** Whether any field of the draft changed. */
  changed: boolean;
  /** Things asked for in this message that the catalog does not have (or not on that item). */
  unrecognized: string[];
  summary: string;
  clarification: string | null;
}

export interface Parser {
  parse(text: string, now: Date): ParseResult;
  /** Applies a follow-up message ("make it 3", "no croissant", "for 9:30") to a draft. */
  editDraft(message: string, draft: OrderDraft, now: Date): EditedDraft;
}

export function createParser(catalog: Catalog): Parser {
  const index = buildCatalogIndex(catalog);
  const zone = createZoneClock(index.timeZone);
  const isMenuWord = (word: string): boolean => index.vocabulary.has(index.canonical(word.toLowerCase()));

  /** Runs every stage on one message; with a draft, item phrases edit the draft's lines. */
  const analyze = (raw: string, now: Date, draft?: OrderDraft) => {
    const { text, command } = normalizeMessage(raw);
    const folded = new FoldedText(text);
    const fullText = folded.value;
    const orderRef = findOrderRef(fullText, index.orderPrefix);
    const draftSkus = new Set(draft?.items.map((item) => item.sku) ?? []);
    const draftModifiers = new Set(draft?.items.flatMap((item) => item.modifications) ?? []);

    // Order matters: each stage consumes its phrases so later stages do not misread them
    // ("at 8" is not a quantity, "for the kids" is not an unknown item).
    const pickupTime = extractPickupTime(folded, now, zone);
    const instructions = extractInstructions(folded, {
      catalogPhraseAt: (at) => index.phraseAt(folded.value, at),
      isCatalogWordAt: (at) => isMenuWord(/^[a-z]+/.exec(folded.value.slice(at))?.[0] ?? ''),
      namesEarlierItem: (before, start, end) =>
        namesEarlierItem(index, folded.value, before, start, end) || namesDraftLine(index, folded.value, start, end, draftSkus, draftModifiers),
    });
    const customerName = extractCustomerName(folded, { isMenuWord });
    consumeRecipients(folded, { isMenuWord });
    const parsed = parseItems(folded, index, ORDER_CUE.test(fullText), draft?.items);
    return { command, fullText, orderRef, pickupTime, instructions, customerName, parsed };
  };

  const summarize = (input: SummaryInput, now: Date) => ({ summary: buildSummary(input, index, zone, now), clarification: buildClarification(input, index) });

  return {
    parse(raw, now) {
      const { command, fullText, orderRef, pickupTime, instructions, customerName, parsed } = analyze(raw, now);
      const hasOrderContent = parsed.items.length > 0 || parsed.unrecognized.length > 0 || parsed.ambiguous.length > 0;
      const intent = detectIntent({ command, text: fullText, hasOrderContent, hasOrderRef: orderRef !== null });
      const isOrder = intent === 'order';
      const summaryInput: SummaryInput = {
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
        ...summarize(summaryInput, now),
        orderRef: summaryInput.orderRef,
      };
    },

    editDraft(message, draft, now) {
      const { command, fullText, orderRef, pickupTime, instructions, customerName, parsed } = analyze(message, now, draft);
      const edited: OrderDraft = {
        items: parsed.items,
        pickup_time: pickupTime ? pickupTime.toISOString() : draft.pickup_time,
        customer_name: customerName ?? draft.customer_name,
        special_instructions: [draft.special_instructions, ...instructions].filter((note): note is string => Boolean(note)).join('; ') || null,
      };
      const changed = JSON.stringify(normalizedDraft(edited)) !== JSON.stringify(normalizedDraft(draft));
      const hasOrderContent = changed || parsed.unrecognized.length > 0 || parsed.ambiguous.length > 0;
      const detected = detectIntent({ command, text: fullText, hasOrderContent, hasOrderRef: orderRef !== null });
      // A follow-up that is not another request is about the draft, even when it changed nothing.
      const intent: Intent = detected === 'unknown' ? 'order' : detected;
      const result = intent === 'order' ? edited : { ...draft, items: draft.items };
      const summaryInput: SummaryInput = {
        intent,
        items: result.items,
        pickupTime: result.pickup_time ? new Date(result.pickup_time) : null,
        customerName: result.customer_name,
        instructions: result.special_instructions,
        unrecognized: intent === 'order' ? parsed.unrecognized : [],
        ambiguous: intent === 'order' ? parsed.ambiguous : [],
        orderRef: intent === 'status' || intent === 'cancel' ? orderRef : null,
      };
      return {
        ...result,
        intent,
        changed: intent === 'order' && changed,
        unrecognized: summaryInput.unrecognized,
        ...summarize(summaryInput, now),
      };
    },
  };
}

/** Whether folded [start, end) names an item whose words were already used before `before`. */
function namesEarlierItem(index: CatalogIndex, value: string, before: number, start: number, end: number): boolean {
  const toWords = (text: string): string[] => phraseWords(text).map((w) => index.correct(w) ?? index.canonical(w));
  const named = toWords(value.slice(start, end));
  if (!named.length || !index.skusContainingWords(named).length) return false;
  const earlier = new Set(toWords(value.slice(0, before)));
  return named.every((w) => earlier.has(w));
}

/** Draft fields in a comparable form (item order and modifier order do not matter). */
function normalizedDraft(draft: OrderDraft): unknown {
  const items = draft.items.map((item) => `${item.sku}×${item.quantity}[${[...item.modifications].sort().join(',')}]`).sort();
  return [items, draft.pickup_time, draft.customer_name, draft.special_instructions];
}

/** Whether folded [start, end) names a line or an add-on of the draft being edited ("no croissant", "no oat"). */
function namesDraftLine(index: CatalogIndex, value: string, start: number, end: number, skus: ReadonlySet<string>, modifiers: ReadonlySet<string>): boolean {
  if (!skus.size) return false;
  const phrase = index.phraseAt(value, start);
  if (phrase) {
    const words = phraseWords(value.slice(start, phrase.end)).map((w) => index.canonical(w));
    const targets = index.longestPhrasesAt(words, 0).map((p) => p.target);
    return targets.some((t) => (t.kind === 'item' ? skus.has(t.sku) : modifiers.has(t.id)));
  }
  const words = phraseWords(value.slice(start, end)).map((w) => index.correct(w) ?? index.canonical(w));
  return index.skusContainingWords(words).some((sku) => skus.has(sku));
}

const parsersByCatalog = new WeakMap<Catalog, Parser>();

/**
 * Applies a follow-up chat message to an order draft: "make it 3", "oat milk on the latte", "for 9:30",
 * "name's Sam", "no croissant", "add a muffin", "actually 2 lattes". Fields the message does not
 * mention are kept; notes are added to the draft's notes. The catalog's index is built once per
 * catalog object (use createParser(catalog).editDraft when you keep a parser anyway).
 */
export function editDraft(message: string, currentDraft: OrderDraft, catalog: Catalog, now: Date): EditedDraft {
  let parser = parsersByCatalog.get(catalog);
  if (!parser) {
    parser = createParser(catalog);
    parsersByCatalog.set(catalog, parser);
  }
  return parser.editDraft(message, currentDraft, now);
}
