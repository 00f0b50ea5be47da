// Groups elements into noun phrases ("2 large oat lattes") and assembles order lines: quantities,
// modifiers attached to the right item, corrections, splits ("one with oat milk"), unknown requests
// and ambiguous words ("a muffin" when there are two muffins).
import type { CatalogIndex } from './catalog.js';
import { buildElements, type Element } from './elements.js';
import { collectPhrase, isPhrasePart, type Phrase, type QuantityElement } from './phrases.js';
import type { FoldedText } from './text.js';
import { FILLER_WORDS, PLAIN_WORDS } from './vocabulary.js';

/** Sizes and styles ("large", "regular") describe how an item comes, never a different item. */
const isSizeWords = (words: readonly string[]): boolean => words.length > 0 && words.every((w) => FILLER_WORDS.has(w));

export interface ParsedItem {
  sku: string;
  quantity: number;
  modifications: string[];
}

export interface AmbiguousMention {
  phrase: string;
  skus: string[];
}

interface Mention extends AmbiguousMention {
  /** Entries count at the time of the mention, to see which entries came after it. */
  entriesBefore: number;
  /** Last catalog word of the mention ("taco" in "tacos"). */
  head: string | undefined;
  /** Add-ons said with the question ("3 large pizzas"), for the lines that answer it. */
  modifiers: string[];
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
  /** A split entry's own add-ons, as opposed to those inherited from its base. */
  ownModifiers?: Set<string>;
  /** Folded index just after the phrase that added it (to see a "naans for the table:" heading). */
  end?: number;
}

/** Words that may follow a bare unknown request at the start of a message ("unicorn frappe please"). */
const REQUEST_ENDINGS = new Set(['please', 'pls', 'plz', 'thanks', 'thx', 'ty', 'for', 'at', 'in', 'to']);

/** Words a removal may skip before what it removes ("scratch the cookie", "remove all the muffins"). */
const REMOVAL_LEAD = new Set(['the', 'my', 'our', 'that', 'this', 'it', 'those', 'these', 'them', 'all', 'any']);
/** Words that point at something already named: "the latte", "on the latte", "that muffin". */
const POINTING_WORDS = new Set(['the', 'that', 'this', 'my', 'our', 'those', 'these', 'on', 'to', 'for', 'in']);
/** "scratch that": the removal points back at the last thing asked for. */
const BACK_REFERENCES = new Set(['that', 'this', 'it', 'those', 'these', 'them']);

class OrderAssembler {
  private readonly entries: Entry[] = [];
  private readonly unrecognized: string[] = [];
  private readonly ambiguous: Mention[] = [];
  /** The entry that trailing modifiers ("…, toasted") belong to. */
  private target: Entry | null = null;
  /** Modifiers seen before any item ("iced, 2 lattes"). */
  private pendingModifiers: string[] = [];
  private pendingCorrection: Extract<Element, { kind: 'correction' }> | null = null;
  private lastPhraseAddedEntry = false;
  /** "both with oat milk", "all iced": the next modifiers go to several entries. */
  private distributeTo: 'both' | 'all' | null = null;
  /** "scratch the …", "actually no …": the next phrase names something to take out. */
  private pendingRemoval = false;
  /** Folded span of the phrase being handled. */
  private phraseStart = 0;
  private phraseEnd = 0;
  /** "swap the croissant …": the line the next item replaces. */
  private swapFrom: Entry | null = null;
  /** Each modifier in the customer's words ("boba"), for reporting one an item cannot have. */
  private readonly typedModifiers = new Map<string, string>();
  /** The last thing asked for, for "scratch that". */
  private lastAdded: { kind: 'entry'; entry: Entry } | { kind: 'unrecognized'; phrase: string } | { kind: 'ambiguous'; mention: Mention } | null = null;

  /** Editing a draft: "the latte" and "on the latte" point at a line already there. */
  private readonly editing: boolean;

  constructor(
    private readonly elements: readonly Element[],
    private readonly text: FoldedText,
    private readonly index: CatalogIndex,
    private readonly orderLike: boolean,
    draftItems?: readonly ParsedItem[],
  ) {
    this.editing = draftItems !== undefined;
    for (const item of draftItems ?? []) {
      this.entries.push({ sku: item.sku, quantity: item.quantity, explicitQuantity: true, modifiers: new Set(item.modifications) });
    }
    this.target = this.entries[this.entries.length - 1] ?? null;
  }

  run(): ItemParse {
    for (let i = 0; i < this.elements.length;) {
      const e = this.elements[i];
      if (isPhrasePart(e)) {
        const { phrase, next } = collectPhrase(this.elements, i);
        for (const part of phrase.parts) if (part.kind === 'modifier') this.typedModifiers.set(part.id, this.text.originalSlice(part.start, part.end));
        this.lastPhraseAddedEntry = false;
        this.phraseStart = e.start;
        this.phraseEnd = phrase.span?.end ?? e.end;
        const onSome = this.countAfterModifiers(phrase, next);
        if (this.pendingRemoval) this.remove(phrase);
        else if (onSome && this.target) this.split(this.target, onSome.count, phrase.modifiers);
        else this.handlePhrase(phrase, this.elements[i - 1], this.elements[next]);
        this.pendingCorrection = null;
        this.distributeTo = null;
        this.pendingRemoval = false;
        i = onSome ? onSome.next : next;
        continue;
      }
      if (e?.kind === 'stop' && (e.word === 'both' || e.word === 'all')) this.distributeTo = e.word;
      if (e?.kind === 'correction') {
        if (e.trailing) this.applyInstead();
        else this.pendingCorrection = e;
      }
      if (e?.kind === 'removal' || (e?.kind === 'stop' && e.word === 'no' && isPhrasePart(this.elements[i + 1]))) this.startRemoval(i);
      if (e?.kind === 'separator') this.pendingRemoval = false;
      i++;
    }
    this.dropAnsweredMentions();
    return { items: this.mergedItems(), unrecognized: this.unrecognized, ambiguous: this.ambiguous.map(({ phrase, skus }) => ({ phrase, skus })) };
  }

  /**
   * "avo toast x2 w egg on one": add-ons followed by "on/for one (of them)" go on that many of the line.
   * Returns the count and the element index after it.
   */
  private countAfterModifiers(phrase: Phrase, next: number): { count: number; next: number } | null {
    if (!phrase.modifiers.length || phrase.item || phrase.namingWords.length || (phrase.quantity && !phrase.quantity.weak)) return null;
    const prep = this.elements[next];
    const count = this.elements[next + 1];
    if (prep?.kind !== 'stop' || !['on', 'for', 'to', 'in'].includes(prep.word) || count?.kind !== 'quantity' || count.weak) return null;
    let after = next + 2;
    while (this.elements[after]?.kind === 'stop' && ['of', 'them', 'those', 'these'].includes((this.elements[after] as { word: string }).word)) after++;
    const end = this.elements[after];
    if (end !== undefined && end.kind !== 'separator') return null;
    return { count: count.value, next: after };
  }

  /** "scratch the cookie" waits for its phrase; "scratch that" takes out the last thing asked for. */
  private startRemoval(at: number): void {
    let j = at + 1;
    let pointsBack = false;
    for (let e = this.elements[j]; e?.kind === 'stop' && REMOVAL_LEAD.has(e.word); e = this.elements[++j]) pointsBack ||= BACK_REFERENCES.has(e.word);
    if (isPhrasePart(this.elements[j])) this.pendingRemoval = true;
    else if (pointsBack) this.removeLastAdded();
  }

  private removeLastAdded(): void {
    const last = this.lastAdded;
    this.lastAdded = null;
    if (last?.kind === 'entry') this.dropEntry(last.entry);
    else if (last?.kind === 'unrecognized') this.unrecognized.splice(this.unrecognized.indexOf(last.phrase), 1);
    else if (last?.kind === 'ambiguous') this.ambiguous.splice(this.ambiguous.indexOf(last.mention), 1);
  }

  /** Takes what the phrase names back out: whole lines, some of a count, a pending question, or add-ons. */
  private remove(phrase: Phrase): void {
    const words = this.skuWords(phrase);
    const skus = phrase.item ? [phrase.item.sku] : this.resolveSkus(words);
    if (skus.length) {
      let count = phrase.quantity && !phrase.quantity.weak ? phrase.quantity.value : Number.POSITIVE_INFINITY;
      for (const entry of [...this.entries].reverse()) {
        if (count <= 0 || !skus.includes(entry.sku)) continue;
        const taken = Math.min(count, entry.quantity);
        entry.quantity -= taken;
        count -= taken;
        if (entry.quantity <= 0) this.dropEntry(entry);
      }
      for (const mention of [...this.ambiguous]) {
        if (mention.skus.some((sku) => skus.includes(sku))) this.ambiguous.splice(this.ambiguous.indexOf(mention), 1);
      }
      return;
    }
    if (phrase.span) {
      const named = this.text.originalSlice(phrase.span.start, phrase.span.end).toLowerCase().trim();
      const at = this.unrecognized.findIndex((u) => u.toLowerCase().includes(named) || named.includes(u.toLowerCase()));
      if (at >= 0) {
        this.unrecognized.splice(at, 1);
        return;
      }
    }
    // "no oat milk": off the line being talked about if it has it, else off every line that has it.
    for (const id of phrase.modifiers) {
      const lines = this.target?.modifiers.has(id) ? [this.target] : this.entries.filter((entry) => entry.modifiers.has(id));
      lines.forEach((entry) => entry.modifiers.delete(id));
    }
  }

  private dropEntry(entry: Entry): void {
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
    if (this.target === entry) this.target = this.entries[this.entries.length - 1] ?? null;
  }

  /** Catalog words of a phrase that can name an item (fillers and unknown containers left out). */
  private skuWords(phrase: Phrase): string[] {
    return phrase.parts.flatMap((p) =>
      p.kind === 'word' && p.role !== 'filler' && (p.role !== 'container' || this.index.vocabulary.has(p.word)) ? [p.word] : []);
  }

  /**
   * Skus named by loose catalog words. "tacos for the crew: 2 asada, 1 fish": a word that names no item
   * alone is read with the head noun of an open question ("tacos") before it.
   */
  private resolveSkus(words: string[], countedFollowUp = false): string[] {
    const direct = this.index.skusContainingWords(words);
    if (direct.length || !words.length) return direct;
    // "bean burrito, actually make it chicken": the corrected line lends its head noun.
    const corrected = this.pendingCorrection ? this.entries[this.entries.length - 1] : undefined;
    if (corrected) {
      const withHead = this.index.skusContainingWords([...words, this.index.itemHead(corrected.sku)]);
      if (withHead.length) return withHead;
    }
    for (const mention of [...this.ambiguous].reverse()) {
      const head = mention.head;
      if (!head || words.includes(head)) continue;
      const withHead = this.index.skusContainingWords([...words, head]);
      if (withHead.length) return withHead;
    }
    // "4 naan, 2 of them garlic", "naans for the table: 3 butter, 2 garlic": the line before lends its head.
    if (this.target && countedFollowUp) {
      const head = this.index.itemHead((this.target.splitFrom ?? this.target).sku);
      if (!words.includes(head)) return this.index.skusContainingWords([...words, head]);
    }
    return [];
  }

  /** Whether "and"/"+"/"plus" joins this phrase to the line before it. */
  private joinsNewLine(phrase: Phrase): boolean {
    const start = phrase.parts[0]?.start ?? 0;
    const between = this.text.value.slice(this.target?.end ?? 0, start);
    return /(?:^|[^a-z])(?:and|n|plus|also|&)(?:[^a-z]|$)|\+/.test(between);
  }

  /** "naans for the table: 3 butter, 2 garlic": a line without a count before a colon was a heading. */
  private isHeading(entry: Entry, before: number): boolean {
    return !entry.explicitQuantity && !entry.splitFrom && entry.end !== undefined && this.text.value.slice(entry.end, before).includes(':');
  }

  /**
   * "burgers for the team: 2 classic, 1 bacon": under an open question, add-on words that name a variety
   * with its head noun ("bacon burger") are that item, not an add-on.
   */
  private addHeaderVariety(phrase: Phrase): boolean {
    const mention = this.ambiguous[this.ambiguous.length - 1];
    if (!mention?.head || !phrase.quantity || phrase.quantity.weak) return false;
    const words = phrase.parts.flatMap((p) => (p.kind === 'modifier' ? p.words : p.kind === 'word' && p.role !== 'filler' ? [p.word] : []));
    const skus = this.index.skusContainingWords([...words, mention.head]).filter((sku) => mention.skus.includes(sku));
    const [sku] = skus;
    if (skus.length !== 1 || sku === undefined) return false;
    this.addEntry(sku, phrase.quantity, []);
    return true;
  }

  /** "tacos: 2 asada, 1 fish": a question answered by the lines that follow it is no longer open. */
  private dropAnsweredMentions(): void {
    for (const mention of [...this.ambiguous]) {
      const answered = this.entries.slice(mention.entriesBefore).some((entry) => mention.skus.includes(entry.sku));
      if (answered) this.ambiguous.splice(this.ambiguous.indexOf(mention), 1);
    }
  }

  private handlePhrase(phrase: Phrase, before: Element | undefined, after: Element | undefined): void {
    const { item, unknown, quantity } = phrase;
    if (this.editing && this.editExisting(phrase, before)) return;
    if (item && phrase.partitive && quantity && !quantity.weak && this.target && this.target.sku !== item.sku) {
      // "2 classic burgers — make one of them a cheeseburger"
      this.split(this.target, quantity.value, []);
      const part = this.target as Entry;
      part.sku = item.sku;
      part.modifiers = new Set(this.fitting(item.sku, phrase.modifiers));
      return;
    }
    if (item) {
      // "a matcha latte": an unknown word naming the drink makes it a different, unknown drink;
      // so does an add-on typed as a variety name ("almond croissant").
      const variety = phrase.parts.find((p) => p.kind === 'modifier' && p.start < item.start && this.index.namesVariety(p.id, p.words, item.sku) && !isSizeWords(p.words));
      if (unknown) this.addUnrecognized(unknown.start, item.end);
      else if (variety) this.addUnrecognized(variety.start, item.end);
      else this.addEntry(item.sku, quantity, phrase.modifiers);
    } else if (unknown) {
      if (phrase.span && this.isRequested(quantity !== undefined, before, after)) this.addUnrecognized(phrase.span.start, phrase.span.end);
    } else if (phrase.namingWords.length > 0) {
      this.handleLooseWords(phrase, before);
    } else if (phrase.modifiers.length > 0 && phrase.parts.some((p) => p.kind === 'word' && p.role === 'pronoun') && this.target && this.joinsNewLine(phrase)) {
      // "an oat flat white and an almond one": another of the item before, with these add-ons
      // (while "a mocha, like a large one" describes the same mocha).
      this.addEntry((this.target.splitFrom ?? this.target).sku, quantity, phrase.modifiers);
    } else if (phrase.modifiers.length > 0) {
      if (!this.addHeaderVariety(phrase)) this.handleModifiers(phrase, before);
    } else if (quantity && !phrase.hasContainer) {
      const plain = phrase.parts.some((p) => p.kind === 'word' && PLAIN_WORDS.has(p.word));
      const without = after?.kind === 'stop' && (after.word === 'without' || after.word === 'not') && !isPhrasePart(this.elements[this.elements.indexOf(after) + 1]);
      // "3 skim, 2 oat, 1 normal": a count of plain ones is split off like the others; "1 w/o", "1 not" drop the add-ons.
      if ((plain || without) && !quantity.weak && this.target) this.split(this.target, quantity.value, [], without);
      else this.handleBareQuantity(quantity, before, after);
    }
  }

  /**
   * Draft edits that point at a line already there: "the latte with oat milk", "oat milk on the latte",
   * "3 lattes" (a restated count), "one more". Returns false when the phrase is new content.
   */
  private editExisting(phrase: Phrase, before: Element | undefined): boolean {
    const { item, quantity, modifiers } = phrase;
    const explicit = quantity !== undefined && !quantity.weak;
    const adding = before?.kind === 'link' || phrase.parts.some((p) => p.kind === 'word' && p.word === 'more');
    if (!item && !phrase.namingWords.length && !modifiers.length && quantity && adding && this.target) {
      // "one more", "2 more"
      this.setQuantity(this.target, this.target.quantity + quantity.value);
      return true;
    }
    if (!item && !phrase.namingWords.length && modifiers.length) {
      // "oat milk on the latte": the line named after the modifiers gets them.
      const named = this.lineNamedAfter(phrase);
      if (named) this.target = named;
      return false;
    }
    const skus = item ? [item.sku] : phrase.namingWords.length ? this.resolveSkus(this.skuWords(phrase)) : [];
    const line = [...this.entries].reverse().find((entry) => skus.includes(entry.sku));
    if (!line || phrase.unknown || adding || this.pendingCorrection) return false;
    const pointing = before?.kind === 'stop' && POINTING_WORDS.has(before.word);
    if (!pointing && !explicit) return false;
    // "the latte, iced" / "3 lattes": the same line, with a new count if one is given.
    if (explicit && quantity) this.setQuantity(line, quantity.value);
    this.fitting(line.sku, modifiers).forEach((m) => line.modifiers.add(m));
    this.target = line;
    return true;
  }

  /** The existing line a phrase's "on the latte" / "for the muffin" points at. */
  private lineNamedAfter(phrase: Phrase): Entry | null {
    const last = phrase.parts[phrase.parts.length - 1];
    let at = last ? this.elements.indexOf(last) + 1 : -1;
    while (this.elements[at]?.kind === 'stop' && POINTING_WORDS.has((this.elements[at] as { word: string }).word)) at++;
    const named = this.elements[at];
    if (at <= 0 || named?.kind !== 'item') return null;
    return [...this.entries].reverse().find((entry) => entry.sku === named.sku) ?? null;
  }

  /** "…, toasted", "one with oat milk", "actually make it a large". */
  private handleModifiers({ quantity, hasContainer, modifiers }: Phrase, before: Element | undefined): void {
    // "latte w 2 extra shots": after "with", a count belongs to the add-on.
    const count = quantity && !quantity.weak && !hasContainer && before?.kind !== 'link' ? quantity.value : null;
    if (count !== null && this.target && !this.pendingCorrection) {
      // "3 bagels, 2 toasted"
      this.split(this.target, count, modifiers);
      return;
    }
    if (count !== null && this.pendingCorrection) this.setQuantity(this.target, count);
    // "2 lattes w oat, nah make that almond": the new milk replaces the old one.
    if (this.pendingCorrection && this.target) {
      const groups = new Set(modifiers.map((m) => this.index.modifierGroup(m)));
      groups.delete(null);
      for (const m of [...this.target.modifiers]) if (groups.has(this.index.modifierGroup(m))) this.target.modifiers.delete(m);
    }
    this.attachModifiers(modifiers);
  }

  /** Catalog words that form no phrase by themselves: "a muffin", "4 slices of pepperoni". */
  private handleLooseWords(phrase: Phrase, before: Element | undefined): void {
    // A container the catalog knows counts as a word: "4 slices of pepperoni" is a pepperoni slice.
    const words = this.skuWords(phrase);
    // After "with"/"add" and without a count, known words describe an add-on, never a second item.
    const addOn = before?.kind === 'link' && !phrase.quantity;
    const counted = phrase.quantity !== undefined && !phrase.quantity.weak;
    const skus = addOn ? [] : this.resolveSkus(words, counted);
    const [onlySku] = skus;
    const target = this.target;
    if (skus.length === 1 && onlySku !== undefined && counted && target && phrase.partitive && target.sku !== onlySku && phrase.quantity) {
      // "4 naan, 2 of them garlic"
      this.split(target, phrase.quantity.value, []);
      const part = this.target as Entry;
      part.sku = onlySku;
      part.modifiers = new Set(this.fitting(onlySku, phrase.modifiers));
    } else if (skus.length === 1 && onlySku !== undefined) {
      this.addEntry(onlySku, phrase.quantity, phrase.modifiers);
    }
    else if (!phrase.span) return;
    else if (skus.length > 1) {
      const mention: Mention = {
        phrase: this.text.originalSlice(phrase.span.start, phrase.span.end), skus, entriesBefore: this.entries.length, head: words[words.length - 1], modifiers: phrase.modifiers,
      };
      this.ambiguous.push(mention);
      this.lastAdded = { kind: 'ambiguous', mention };
    }
    // "a chocolate muffin", "with cream cheese": known words, but not a combination we sell.
    else if ((phrase.quantity || addOn) && this.isRequested(true, before, undefined)) this.addUnrecognized(phrase.span.start, phrase.span.end);
  }

  private handleBareQuantity(quantity: QuantityElement, before: Element | undefined, after: Element | undefined): void {
    const last = this.entries[this.entries.length - 1];
    if (!last) return;
    if (this.pendingCorrection) {
      // "2 lattes, actually make that 3"; on a draft, "make it 3" changes the line last talked about.
      this.setQuantity(this.editing ? (this.target ?? last) : last, quantity.value);
    } else if (!quantity.weak && !quantity.postfix && this.target && (after?.kind === 'link' || this.introducesModifier(after))) {
      // "2 lattes, one with oat milk": the modifiers that follow go to the split-off entry.
      this.split(this.target, quantity.value, []);
    } else if ((quantity.postfix || before?.kind === 'item') && !last.explicitQuantity) {
      // "latte x2"
      this.setQuantity(last, quantity.value);
    }
  }

  /** "2 on brown rice", "1 in a large": a preposition that leads straight into a modifier. */
  private introducesModifier(after: Element | undefined): boolean {
    if (after?.kind !== 'stop' || !['on', 'in', 'as'].includes(after.word)) return false;
    let next = this.elements[this.elements.indexOf(after) + 1];
    if (next?.kind === 'stop' && ['a', 'an', 'the'].includes(next.word)) next = this.elements[this.elements.indexOf(next) + 1];
    return next?.kind === 'modifier';
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
    // "3 large pizzas - 2 pepperoni 1 veggie": lines answering a question take its add-ons.
    const question = [...this.ambiguous].reverse().find((m) => m.skus.includes(sku));
    const allModifiers = this.fitting(sku, [...this.pendingModifiers, ...(question?.modifiers ?? []), ...modifiers]);
    this.pendingModifiers = [];
    const swapped = this.swapFrom;
    if (swapped) {
      // "swap the croissant for a muffin": the named line becomes the new item.
      this.swapFrom = null;
      swapped.sku = sku;
      swapped.modifiers = new Set(allModifiers);
      if (explicit) this.setQuantity(swapped, value);
      this.target = swapped;
      return;
    }
    const correction = this.pendingCorrection;
    if (correction) {
      const same = [...this.entries].reverse().find((e) => e.sku === sku);
      const replaced = same ?? (correction.replaces ? this.entries[this.entries.length - 1] : undefined);
      if (replaced && correction.swap && same && this.swapFrom === null && !explicit) {
        this.swapFrom = same;
        this.target = same;
        return;
      }
      if (replaced) {
        replaced.sku = sku;
        // "make that 3" sets the count; "make that cappuccinos" keeps it.
        if (quantity !== undefined && (explicit || !same)) this.setQuantity(replaced, value, explicit);
        allModifiers.forEach((m) => replaced.modifiers.add(m));
        this.target = replaced;
        return;
      }
    }
    // "naans for the table: 3 butter, 2 garlic naan": the count-less line before the colon was a heading.
    const heading = this.target;
    if (explicit && heading && this.isHeading(heading, this.phraseStart) && this.index.itemHead(heading.sku) === this.index.itemHead(sku)) this.dropEntry(heading);
    const entry: Entry = { sku, quantity: value, explicitQuantity: explicit, modifiers: new Set(allModifiers), end: this.phraseEnd };
    this.entries.push(entry);
    this.target = entry;
    this.lastPhraseAddedEntry = true;
    this.lastAdded = { kind: 'entry', entry };
  }

  /** "…, actually a cappuccino instead": the new entry replaces the one before it. */
  private applyInstead(): void {
    // "2 milk teas w boba, 1 w pudding instead": the split-off one has pudding in place of boba.
    const last = this.lastAdded;
    if (last?.kind === 'entry' && last.entry.splitFrom && last.entry.ownModifiers?.size) {
      last.entry.modifiers = new Set(last.entry.ownModifiers);
      return;
    }
    if (!this.lastPhraseAddedEntry || this.entries.length < 2) return;
    this.entries.splice(this.entries.length - 2, 1);
  }

  /** Splits `quantity` off an entry's base line; `withoutAddOns` leaves out the add-ons `from` has ("1 w/o"). */
  private split(from: Entry, quantity: number, modifiers: string[], withoutAddOns = false): void {
    const base = from.splitFrom ?? from;
    const inherited = [...base.modifiers].filter((m) => !withoutAddOns || !from.modifiers.has(m));
    const own = this.fitting(base.sku, modifiers);
    const entry: Entry = { sku: base.sku, quantity, explicitQuantity: true, modifiers: new Set(inherited), splitFrom: base, ownModifiers: new Set(own) };
    for (const m of own) {
      this.dropInheritedRivals(entry, m);
      entry.modifiers.add(m);
    }
    base.quantity -= quantity;
    const baseAt = this.entries.indexOf(base);
    if (base.quantity <= 0 && baseAt >= 0) this.entries.splice(baseAt, 1);
    this.entries.push(entry);
    this.target = entry;
    this.lastAdded = { kind: 'entry', entry };
  }

  /** Removes inherited modifiers of the same group as `id` (two milks, two sizes) from a split-off line. */
  private dropInheritedRivals(entry: Entry, id: string): void {
    const group = this.index.modifierGroup(id);
    if (group === null) return;
    for (const m of [...entry.modifiers]) if (!entry.ownModifiers?.has(m) && this.index.modifierGroup(m) === group) entry.modifiers.delete(m);
  }

  private setQuantity(entry: Entry | null | undefined, quantity: number, explicit = true): void {
    if (!entry) return;
    entry.quantity = quantity;
    entry.explicitQuantity = explicit;
  }

  private attachModifiers(modifiers: string[]): void {
    const targets = this.distributeTo === 'all' ? this.entries : this.distributeTo === 'both' ? this.entries.slice(-2) : this.target ? [this.target] : [];
    if (targets.length) {
      targets.forEach((entry) => this.fitting(entry.sku, modifiers).forEach((m) => {
        // "2 lattes with oat, 1 with almond": a split-off line's own milk replaces the inherited one.
        if (entry.ownModifiers) this.dropInheritedRivals(entry, m);
        entry.modifiers.add(m);
        entry.ownModifiers?.add(m);
      }));
    }
    else this.pendingModifiers.push(...modifiers);
  }

  /**
   * The modifiers the catalog allows on this item. Another add-on is reported as not available; a size
   * the item does not come in ("large" fries when only pizzas have sizes) is simply dropped.
   */
  private fitting(sku: string, modifiers: string[]): string[] {
    return modifiers.filter((id) => {
      if (this.index.modifierFits(id, sku)) return true;
      const name = this.index.modifierName(id);
      const typed = this.typedModifiers.get(id) ?? name;
      if (!isSizeWords(name.toLowerCase().split(/\s+/)) && !this.unrecognized.includes(typed)) this.unrecognized.push(typed);
      return false;
    });
  }

  private addUnrecognized(start: number, end: number): void {
    const phrase = this.text.originalSlice(start, end).trim().replace(/[.,!?;:]+$/, '');
    if (phrase && !this.unrecognized.includes(phrase)) {
      this.unrecognized.push(phrase);
      this.lastAdded = { kind: 'unrecognized', phrase };
    }
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
 * With `draftItems`, the message edits those lines ("make it 3", "no croissant") and the result is
 * the whole edited list.
 */
export function parseItems(text: FoldedText, index: CatalogIndex, orderLike: boolean, draftItems?: readonly ParsedItem[]): ItemParse {
  const elements = buildElements(text.value, index);
  // A catalog add-on marks a request too: "caramel macchiato" on its own asks for something.
  const requestLike = orderLike || elements.some((e) => e.kind === 'item' || e.kind === 'modifier' || (e.kind === 'quantity' && !e.weak));
  return new OrderAssembler(elements, text, index, requestLike, draftItems).run();
}
