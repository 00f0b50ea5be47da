// Groups elements into noun phrases ("2 large oat lattes") and assembles order lines: quantities,
// modifiers attached to the right item, corrections, splits ("one with oat milk"), unknown requests
// and ambiguous words ("a muffin" when there are two muffins).
import type { CatalogIndex } from './catalog.js';
import { buildElements, type Element } from './elements.js';
import { collectPhrase, isPhrasePart, type Phrase, type QuantityElement } from './phrases.js';
import type { FoldedText } from './text.js';

export interface ParsedItem {
  sku: string;
  quantity: number;
  modifications: string[];
}

export interface AmbiguousMention {
  phrase: string;
  skus: string[];
}

export interface ItemParse {
  items: ParsedItem[];
  unrecognized: string[];
  ambiguous: AmbiguousMention[];
}

interface Entry {
  sku: string;
  quantity: number;
  /** An article's "a" is not explicit, so "a latte x2" can still become 2. */
  explicitQuantity: boolean;
  modifiers: Set<string>;
  /** Set on entries split off another ("2 lattes, one with oat milk") so further splits share the base. */
  splitFrom?: Entry;
}

/** Words that may follow a bare unknown request at the start of a message ("unicorn frappe please"). */
const REQUEST_ENDINGS = new Set(['please', 'pls', 'plz', 'thanks', 'thx', 'ty', 'for', 'at', 'in', 'to']);

class OrderAssembler {
  private readonly entries: Entry[] = [];
  private readonly unrecognized: string[] = [];
  private readonly ambiguous: AmbiguousMention[] = [];
  /** The entry that trailing modifiers ("…, toasted") belong to. */
  private target: Entry | null = null;
  /** Modifiers seen before any item ("iced, 2 lattes"). */
  private pendingModifiers: string[] = [];
  private pendingCorrection: Extract<Element, { kind: 'correction' }> | null = null;
  private lastPhraseAddedEntry = false;
  /** "both with oat milk", "all iced": the next modifiers go to several entries. */
  private distributeTo: 'both' | 'all' | null = null;

  constructor(
    private readonly elements: readonly Element[],
    private readonly text: FoldedText,
    private readonly index: CatalogIndex,
    private readonly orderLike: boolean,
  ) {}

  run(): ItemParse {
    for (let i = 0; i < this.elements.length;) {
      const e = this.elements[i];
      if (isPhrasePart(e)) {
        const { phrase, next } = collectPhrase(this.elements, i);
        this.lastPhraseAddedEntry = false;
        this.handlePhrase(phrase, this.elements[i - 1], this.elements[next]);
        this.pendingCorrection = null;
        this.distributeTo = null;
        i = next;
        continue;
      }
      if (e?.kind === 'stop' && (e.word === 'both' || e.word === 'all')) this.distributeTo = e.word;
      if (e?.kind === 'correction') {
        if (e.trailing) this.applyInstead();
        else this.pendingCorrection = e;
      }
      i++;
    }
    return { items: this.mergedItems(), unrecognized: this.unrecognized, ambiguous: this.ambiguous };
  }

  private handlePhrase(phrase: Phrase, before: Element | undefined, after: Element | undefined): void {
    const { item, unknown, quantity } = phrase;
    if (item) {
      // "a matcha latte": an unknown word naming the drink makes it a different, unknown drink.
      if (unknown) this.addUnrecognized(unknown.start, item.end);
      else this.addEntry(item.sku, quantity, phrase.modifiers);
    } else if (unknown) {
      if (phrase.span && this.isRequested(quantity !== undefined, before, after)) this.addUnrecognized(phrase.span.start, phrase.span.end);
    } else if (phrase.namingWords.length > 0) {
      this.handleLooseWords(phrase, before);
    } else if (phrase.modifiers.length > 0) {
      this.handleModifiers(phrase);
    } else if (quantity && !phrase.hasContainer) {
      this.handleBareQuantity(quantity, before, after);
    }
  }

  /** "…, toasted", "one with oat milk", "actually make it a large". */
  private handleModifiers({ quantity, hasContainer, modifiers }: Phrase): void {
    const count = quantity && !quantity.weak && !hasContainer ? quantity.value : null;
    if (count !== null && this.target && !this.pendingCorrection) {
      // "3 bagels, 2 toasted"
      this.split(this.target, count, modifiers);
      return;
    }
    if (count !== null && this.pendingCorrection) this.setQuantity(this.target, count);
    this.attachModifiers(modifiers);
  }

  /** Catalog words that form no phrase by themselves: "a muffin", "4 slices of pepperoni". */
  private handleLooseWords(phrase: Phrase, before: Element | undefined): void {
    // A container the catalog knows counts as a word: "4 slices of pepperoni" is a pepperoni slice.
    const words = phrase.parts.flatMap((p) =>
      p.kind === 'word' && p.role !== 'filler' && (p.role !== 'container' || this.index.vocabulary.has(p.word)) ? [p.word] : []);
    // After "with"/"add" and without a count, known words describe an add-on, never a second item.
    const addOn = before?.kind === 'link' && !phrase.quantity;
    const skus = addOn ? [] : this.index.skusContainingWords(words);
    const [onlySku] = skus;
    if (skus.length === 1 && onlySku !== undefined) this.addEntry(onlySku, phrase.quantity, phrase.modifiers);
    else if (!phrase.span) return;
    else if (skus.length > 1) this.ambiguous.push({ phrase: this.text.originalSlice(phrase.span.start, phrase.span.end), skus });
    // "a chocolate muffin", "with cream cheese": known words, but not a combination we sell.
    else if ((phrase.quantity || addOn) && this.isRequested(true, before, undefined)) this.addUnrecognized(phrase.span.start, phrase.span.end);
  }

  private handleBareQuantity(quantity: QuantityElement, before: Element | undefined, after: Element | undefined): void {
    const last = this.entries[this.entries.length - 1];
    if (!last) return;
    if (this.pendingCorrection) {
      // "2 lattes, actually make that 3"
      this.setQuantity(last, quantity.value);
    } else if (!quantity.weak && after?.kind === 'link' && this.target) {
      // "2 lattes, one with oat milk": the modifiers that follow go to the split-off entry.
      this.split(this.target, quantity.value, []);
    } else if ((quantity.postfix || before?.kind === 'item') && !last.explicitQuantity) {
      // "latte x2"
      this.setQuantity(last, quantity.value);
    }
  }

  private isRequested(hasQuantity: boolean, before: Element | undefined, after: Element | undefined): boolean {
    if (hasQuantity) return true;
    if (!this.orderLike) return false;
    // At the start of a message, or of a sentence before anything was asked for ("Hi! unicorn frappe
    // please"), the words must stand alone as the request.
    const nothingAskedYet = this.entries.length === 0 && this.unrecognized.length === 0 && this.ambiguous.length === 0;
    if (!before || (before.kind === 'separator' && nothingAskedYet)) {
      return after === undefined || after.kind === 'separator' || after.kind === 'link' || (after.kind === 'stop' && REQUEST_ENDINGS.has(after.word));
    }
    switch (before.kind) {
      case 'link':
      case 'item':
      case 'modifier':
      case 'separator':
      case 'correction':
        return true;
      case 'stop':
        return before.verb;
      default:
        return false;
    }
  }

  private addEntry(sku: string, quantity: QuantityElement | undefined, modifiers: string[]): void {
    const explicit = quantity !== undefined && !quantity.weak;
    const value = quantity?.value ?? 1;
    const allModifiers = [...this.pendingModifiers, ...modifiers];
    this.pendingModifiers = [];
    const correction = this.pendingCorrection;
    if (correction) {
      const same = [...this.entries].reverse().find((e) => e.sku === sku);
      const replaced = same ?? (correction.replaces ? this.entries[this.entries.length - 1] : undefined);
      if (replaced) {
        replaced.sku = sku;
        // "make that 3" sets the count; "make that cappuccinos" keeps it.
        if (quantity !== undefined && (explicit || !same)) this.setQuantity(replaced, value, explicit);
        allModifiers.forEach((m) => replaced.modifiers.add(m));
        this.target = replaced;
        return;
      }
    }
    const entry: Entry = { sku, quantity: value, explicitQuantity: explicit, modifiers: new Set(allModifiers) };
    this.entries.push(entry);
    this.target = entry;
    this.lastPhraseAddedEntry = true;
  }

  /** "…, actually a cappuccino instead": the new entry replaces the one before it. */
  private applyInstead(): void {
    if (!this.lastPhraseAddedEntry || this.entries.length < 2) return;
    this.entries.splice(this.entries.length - 2, 1);
  }

  private split(from: Entry, quantity: number, modifiers: string[]): void {
    const base = from.splitFrom ?? from;
    const entry: Entry = { sku: base.sku, quantity, explicitQuantity: true, modifiers: new Set([...base.modifiers, ...modifiers]), splitFrom: base };
    base.quantity -= quantity;
    const baseAt = this.entries.indexOf(base);
    if (base.quantity <= 0 && baseAt >= 0) this.entries.splice(baseAt, 1);
    this.entries.push(entry);
    this.target = entry;
  }

  private setQuantity(entry: Entry | null | undefined, quantity: number, explicit = true): void {
    if (!entry) return;
    entry.quantity = quantity;
    entry.explicitQuantity = explicit;
  }

  private attachModifiers(modifiers: string[]): void {
    const targets = this.distributeTo === 'all' ? this.entries : this.distributeTo === 'both' ? this.entries.slice(-2) : this.target ? [this.target] : [];
    if (targets.length) targets.forEach((entry) => modifiers.forEach((m) => entry.modifiers.add(m)));
    else this.pendingModifiers.push(...modifiers);
  }

  private addUnrecognized(start: number, end: number): void {
    const phrase = this.text.originalSlice(start, end).trim().replace(/[.,!?;:]+$/, '');
    if (phrase && !this.unrecognized.includes(phrase)) this.unrecognized.push(phrase);
  }

  /** One line per distinct (sku, modifiers), quantities summed, in order of first mention. */
  private mergedItems(): ParsedItem[] {
    const merged = new Map<string, ParsedItem>();
    for (const entry of this.entries) {
      if (entry.quantity <= 0) continue;
      const modifications = [...entry.modifiers].sort();
      const key = `${entry.sku}\u0000${modifications.join(',')}`;
      const existing = merged.get(key);
      if (existing) existing.quantity += entry.quantity;
      else merged.set(key, { sku: entry.sku, quantity: entry.quantity, modifications });
    }
    return [...merged.values()];
  }
}

/**
 * Parses order lines from text whose time, name and instruction phrases were already consumed.
 * `orderLike` says whether the message reads as a request, so unknown nouns count as asked-for items.
 */
export function parseItems(text: FoldedText, index: CatalogIndex, orderLike: boolean): ItemParse {
  const elements = buildElements(text.value, index);
  const requestLike = orderLike || elements.some((e) => e.kind === 'item' || (e.kind === 'quantity' && !e.weak));
  return new OrderAssembler(elements, text, index, requestLike).run();
}
