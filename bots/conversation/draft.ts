/**
 * The order being discussed in a thread, and how a message changes it. `src/parser` is the one place that
 * understands text: a first message is `parse`d, follow-ups go through `editDraft`.
 */
import type { ParseResult, Parser } from '../../src/parser/index.js';
import type { DraftLine } from './ports.js';

export interface OrderDraft {
  lines: DraftLine[];
  /** ISO time or null (as soon as possible). */
  pickupTime: string | null;
  customerName: string | null;
  customerPhone: string | null;
  instructions: string | null;
  /** Things asked for that are not on the menu ("unicorn frappe"). */
  unrecognized: string[];
  /** The parser's question when the message was not enough to order. */
  question: string | null;
}

export const emptyDraft = (): OrderDraft => ({ lines: [], pickupTime: null, customerName: null, customerPhone: null, instructions: null, unrecognized: [], question: null });

/** A phone number for the SMS notifier ("text me at +1 415 555 0123"), normalised to E.164 (NANP when 10 digits). */
export function extractPhone(text: string): string | null {
  const m = /(?:^|[^\d+])(\+?\d[\d\s().-]{8,16}\d)(?!\d)/.exec(text);
  if (!m) return null;
  const digits = m[1]!.replace(/[^\d]/g, '');
  if (m[1]!.trim().startsWith('+')) return digits.length >= 8 && digits.length <= 15 ? `+${digits}` : null;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return null;
}

export function draftFromParse(p: ParseResult, text: string): OrderDraft {
  return {
    lines: p.items.map((i) => ({ sku: i.sku, quantity: i.quantity, modifications: [...i.modifications] })),
    pickupTime: p.pickup_time, customerName: p.customer_name, customerPhone: extractPhone(text),
    instructions: p.special_instructions, unrecognized: [...p.unrecognized], question: p.clarification,
  };
}

/**
 * A follow-up in the thread → the new draft, through the parser's follow-up entry point (`editDraft`:
 * "make it 3", "oat milk on the latte", "for 9:30", "name's Sam", "no croissant"). Only the phone number,
 * which the parser does not read, is picked up here.
 */
export function reviseDraft(parser: Parser, text: string, current: OrderDraft, now: Date): OrderDraft {
  const edited = parser.editDraft(text, {
    items: current.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, modifications: [...l.modifications] })),
    pickup_time: current.pickupTime, customer_name: current.customerName, special_instructions: current.instructions,
  }, now);
  const lines = edited.items.map((i) => ({ sku: i.sku, quantity: i.quantity, modifications: [...i.modifications] }));
  return {
    lines, pickupTime: edited.pickup_time, customerName: edited.customer_name, instructions: edited.special_instructions,
    customerPhone: extractPhone(text) ?? current.customerPhone,
    unrecognized: [...edited.unrecognized],
    question: lines.length === 0 ? edited.clarification ?? 'What would you like to order?' : null,
  };
}
