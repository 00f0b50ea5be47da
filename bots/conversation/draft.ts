/**
 * The order being discussed in a thread, and how a message changes it. `src/parser` is the one place that
 * understands text; `reviseDraft` is the single switch point for follow-ups ("make it 3", "no croissant"),
 * so the parser's follow-up entry point can replace the small fallback here in one line.
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

const sameMods = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * A follow-up in the thread → the new draft. Fallback until the parser's follow-up entry point lands:
 * "make it N" sets the quantity of a single line; "no X" / "without X" / "remove X" drops X (or a modifier);
 * items named are added (an item already there with no quantity given keeps its line and takes the new
 * modifiers); a time, a name, notes or a phone replace the old ones.
 */
export function reviseDraft(parser: Parser, itemName: (sku: string) => string, text: string, current: OrderDraft, now: Date): OrderDraft {
  const next: OrderDraft = { ...current, lines: current.lines.map((l) => ({ ...l, modifications: [...l.modifications] })), unrecognized: [], question: null };
  const lower = text.toLowerCase();

  const makeIt = /\bmake\s+(?:it|that|them)\s+(\d{1,2}|one|two|three|four|five|six)\b/.exec(lower);
  const words: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6 };
  if (makeIt && next.lines.length >= 1) {
    const n = words[makeIt[1]!] ?? Number(makeIt[1]);
    next.lines[next.lines.length - 1]!.quantity = n;
  }

  const removal = /\b(?:no|without|remove|drop|minus|skip)\s+(?:the\s+)?(.+)$/.exec(lower);
  if (removal) {
    const removed = parser.parse(`${removal[1]!}`, now);
    const skus = new Set(removed.items.map((i) => i.sku));
    const mods = new Set(removed.items.flatMap((i) => i.modifications));
    if (skus.size) next.lines = next.lines.filter((l) => !skus.has(l.sku));
    else {
      // "no oat milk": a modifier alone is parsed as unrecognized or attached to nothing; match by name.
      const phrase = removal[1]!.trim();
      for (const l of next.lines) l.modifications = l.modifications.filter((m) => !phrase.includes(m.replace(/-/g, ' ')) && !mods.has(m));
    }
  }

  const p = parser.parse(text, now);
  if (!removal) {
    for (const item of p.items) {
      const explicitQuantity = new RegExp(`\\b(\\d+|one|two|three|four|five|six|a|an)\\b`).test(lower);
      const existing = next.lines.find((l) => l.sku === item.sku);
      if (existing && (!explicitQuantity || /\bon\s+the\b|\bwith\b/.test(lower))) {
        for (const m of item.modifications) if (!existing.modifications.includes(m)) existing.modifications.push(m);
      } else {
        const same = next.lines.find((l) => l.sku === item.sku && sameMods(l.modifications, item.modifications));
        if (same) same.quantity = item.quantity;
        else next.lines.push({ sku: item.sku, quantity: item.quantity, modifications: [...item.modifications] });
      }
    }
    // "oat milk on the latte": a modifier with no item word attaches to the only (or named) line.
    const target = next.lines.length === 1 ? next.lines[0] : undefined;
    if (p.items.length === 0 && target && /\bon\s+(?:the|my|it)\b|\bwith\b/.test(lower)) {
      const mods = parser.parse(`${itemName(target.sku)} with ${lower}`, now).items.flatMap((i) => i.modifications);
      for (const m of mods) if (!target.modifications.includes(m)) target.modifications.push(m);
    }
    next.unrecognized = makeIt ? [] : [...p.unrecognized];
  }
  // "for 9:30" or "name's Sam" alone is not an order to the parser: read them next to an item of the draft.
  const first = next.lines[0] ?? current.lines[0];
  const anchored = first && !p.pickup_time && !p.customer_name && !p.special_instructions ? parser.parse(`${itemName(first.sku)} ${text}`, now) : p;
  if (anchored.pickup_time) next.pickupTime = anchored.pickup_time;
  if (anchored.customer_name) next.customerName = anchored.customer_name;
  if (anchored.special_instructions) next.instructions = anchored.special_instructions;
  const phone = extractPhone(text);
  if (phone) next.customerPhone = phone;
  if (next.lines.length === 0) next.question = p.clarification ?? 'What would you like to order?';
  return next;
}
