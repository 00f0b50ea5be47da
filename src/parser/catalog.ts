// The catalog shape (validated with zod) and the lookup index the parser builds once per catalog.
import { z } from 'zod';
import { createAbbreviationMatcher, createWordCorrector } from './fuzzy.js';
import { fold } from './text.js';
import { phraseWords, tokenize } from './tokens.js';

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const CatalogItemSchema = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  aliases: z.array(z.string()).default([]),
  price_cents: z.number().nonnegative().optional(),
  category: z.string().optional(),
});

export const CatalogModifierSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  aliases: z.array(z.string()).default([]),
  price_cents: z.number().optional(),
  /**
   * Optional: the item categories and/or skus this modifier can go on ("oat milk" on drinks only).
   * Absent means every item. The parser then never puts it on another item: "a soy croissant" is an
   * unknown item, "a croissant with oat milk" keeps the croissant and reports "oat milk".
   */
  applies_to: z.array(z.string().min(1)).optional(),
});

export const CatalogSchema = z
  .object({
    provider: z.object({
      name: z.string().default(''),
      timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/New_York'),
      currency: z.string().optional(),
      orderPrefix: z.string().optional(),
    }),
    items: z.array(CatalogItemSchema).min(1),
    modifiers: z.array(CatalogModifierSchema).default([]),
  })
  .superRefine((catalog, ctx) => {
    const skus = catalog.items.map((item) => item.sku);
    const duplicate = skus.find((sku, i) => skus.indexOf(sku) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', message: `duplicate sku ${duplicate}`, path: ['items'] });
  });

export type Catalog = z.infer<typeof CatalogSchema>;
export type CatalogItem = z.infer<typeof CatalogItemSchema>;
export type CatalogModifier = z.infer<typeof CatalogModifierSchema>;

export type PhraseTarget = { kind: 'item'; sku: string } | { kind: 'modifier'; id: string };

export interface Phrase {
  /** Canonical words ("lattes" is stored as "latte"). */
  words: readonly string[];
  target: PhraseTarget;
}

/** Where a catalog phrase sits in folded message text. */
export interface PhraseSpan {
  kind: PhraseTarget['kind'];
  /** Folded index just after the phrase. */
  end: number;
  /** Number of words in the phrase. */
  length: number;
}

export interface CatalogIndex {
  readonly catalog: Catalog;
  readonly timeZone: string;
  readonly orderPrefix: string | null;
  /** Every canonical word used by an item or modifier phrase. */
  readonly vocabulary: ReadonlySet<string>;
  /** Singular form when the catalog knows it ("croissants" -> "croissant"), else the word itself. */
  canonical(word: string): string;
  /** The vocabulary word a misspelt word most likely meant, or null. */
  correct(word: string): string | null;
  /** Vocabulary words a short form may stand for ("choc" -> chocolate, chocolat); see fuzzy.ts. */
  expand(word: string): string[];
  /**
   * The longest phrases (ties kept) that match `words` starting at `start`. A word also matches any of
   * its `alternatives` (expanded short forms); a match that needed one is dropped when it leaves two
   * different items (or two different modifiers) tied, since a guess would be a coin flip.
   */
  longestPhrasesAt(words: readonly string[], start: number, alternatives?: readonly (readonly string[])[]): Phrase[];
  /** The longest catalog phrase starting exactly at index `at` of folded text (no typo correction). */
  phraseAt(folded: string, at: number): PhraseSpan | null;
  /** Skus whose names/aliases contain every word given, one of them the head noun ("a muffin"). */
  skusContainingWords(words: readonly string[]): string[];
  itemName(sku: string): string;
  /** Last word of the item's name, canonical ("burrito" for "Bean & Cheese Burrito"). */
  itemHead(sku: string): string;
  modifierName(id: string): string;
  /**
   * Modifiers that replace one another ("oat milk" / "almond milk" share "milk"), so a correction
   * ("make that almond") swaps rather than adds. Null when the modifier belongs to no such group.
   */
  modifierGroup(id: string): string | null;
  /** Whether the catalog allows this modifier on this item (see `applies_to`). */
  modifierFits(id: string, sku: string): boolean;
  /**
   * Whether modifier words typed right before an item name a different variety of it rather than an
   * add-on: "almond croissant" next to "Butter Croissant" and "Chocolate Croissant" is a kind of
   * croissant, not a croissant with almond milk. True when the catalog says the modifier does not fit
   * the item, or when the words are a clipped form of the modifier's name ("almond" for "almond milk")
   * and the catalog sells several varieties of that item's head noun in its category.
   */
  namesVariety(id: string, typedWords: readonly string[], sku: string): boolean;
}

/** Modifier names that are sizes: one replaces another ("large … actually make it a medium"). */
const SIZE_NAMES = new Set(['small', 'medium', 'large', 'regular', 'tall', 'grande', 'venti', 'extra large', 'kids', 'mini', 'xl']);

/** Words of a sku or modifier id worth matching: "flat-white" yes, "x1" no. */
const codeAsPhrase = (code: string): string | null => (/^[a-z]{2,}(?:[-_ ][a-z]{2,})*$/i.test(code) ? code.replace(/[-_]/g, ' ') : null);

export function buildCatalogIndex(input: Catalog): CatalogIndex {
  const catalog = CatalogSchema.parse(input);
  const rawPhrases: { words: string[]; target: PhraseTarget }[] = [];
  const addPhrase = (text: string | null, target: PhraseTarget): void => {
    if (!text) return;
    const words = phraseWords(fold(text));
    if (words.length) rawPhrases.push({ words, target });
  };
  for (const item of catalog.items) {
    const target = { kind: 'item', sku: item.sku } as const;
    for (const text of [item.name, ...item.aliases, codeAsPhrase(item.sku)]) addPhrase(text, target);
  }
  for (const modifier of catalog.modifiers) {
    const target = { kind: 'modifier', id: modifier.id } as const;
    for (const text of [modifier.name, ...modifier.aliases, codeAsPhrase(modifier.id)]) addPhrase(text, target);
  }

  const rawVocabulary = new Set(rawPhrases.flatMap((p) => p.words));
  const canonical = (word: string): string => {
    // "ojs" -> "oj" needs a short stem, "bus" must not become "bu": only stems the catalog uses.
    if (word.length === 3 && word.endsWith('s') && rawVocabulary.has(word.slice(0, -1))) return word.slice(0, -1);
    if (word.length > 3) {
      if (word.endsWith('ies') && rawVocabulary.has(`${word.slice(0, -3)}y`)) return `${word.slice(0, -3)}y`;
      if (word.endsWith('es') && rawVocabulary.has(word.slice(0, -2))) return word.slice(0, -2);
      if (word.endsWith('s') && !word.endsWith('ss') && rawVocabulary.has(word.slice(0, -1))) return word.slice(0, -1);
    }
    return word;
  };

  const phrasesByFirstWord = new Map<string, Phrase[]>();
  const seen = new Set<string>();
  for (const raw of rawPhrases) {
    const words = raw.words.map(canonical);
    const key = `${words.join(' ')}→${raw.target.kind === 'item' ? raw.target.sku : raw.target.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const first = words[0] ?? '';
    const list = phrasesByFirstWord.get(first) ?? [];
    list.push({ words, target: raw.target });
    phrasesByFirstWord.set(first, list);
  }
  for (const list of phrasesByFirstWord.values()) list.sort((a, b) => b.words.length - a.words.length);

  const vocabulary = new Set([...phrasesByFirstWord.values()].flat().flatMap((p) => p.words));
  const corrector = createWordCorrector(vocabulary);
  const abbreviations = createAbbreviationMatcher(vocabulary);

  const skuWords = new Map<string, { words: Set<string>; heads: Set<string> }>();
  for (const phrase of [...phrasesByFirstWord.values()].flat()) {
    if (phrase.target.kind !== 'item') continue;
    const entry = skuWords.get(phrase.target.sku) ?? { words: new Set<string>(), heads: new Set<string>() };
    phrase.words.forEach((w) => entry.words.add(w));
    entry.heads.add(phrase.words[phrase.words.length - 1] ?? '');
    skuWords.set(phrase.target.sku, entry);
  }

  const longestPhrasesAt = (words: readonly string[], start: number, alternatives?: readonly (readonly string[])[]): Phrase[] => {
    const firstWords = [words[start] ?? '', ...(alternatives?.[start] ?? [])];
    const candidates = firstWords.flatMap((w) => phrasesByFirstWord.get(w) ?? []).sort((a, b) => b.words.length - a.words.length);
    const matches = (w: string, at: number): 'exact' | 'alternative' | null =>
      words[at] === w ? 'exact' : alternatives?.[at]?.includes(w) ? 'alternative' : null;
    let bestLength = 0;
    let usedAlternative = false;
    const best: Phrase[] = [];
    for (const phrase of candidates) {
      if (phrase.words.length < bestLength) break;
      const how = phrase.words.map((w, k) => matches(w, start + k));
      if (how.includes(null) || best.includes(phrase)) continue;
      bestLength = phrase.words.length;
      usedAlternative ||= how.includes('alternative');
      best.push(phrase);
    }
    if (usedAlternative) {
      const distinct = (kind: PhraseTarget['kind']): number =>
        new Set(best.flatMap((p) => (p.target.kind !== kind ? [] : [p.target.kind === 'item' ? p.target.sku : p.target.id]))).size;
      if (distinct('item') > 1 || distinct('modifier') > 1) return [];
    }
    return best;
  };

  const itemNames = new Map(catalog.items.map((item) => [item.sku, item.name]));
  const modifierNames = new Map(catalog.modifiers.map((modifier) => [modifier.id, modifier.name]));
  const modifiersById = new Map(catalog.modifiers.map((modifier) => [modifier.id, modifier]));
  const itemsBySku = new Map(catalog.items.map((item) => [item.sku, item]));
  const modifierFits = (id: string, sku: string): boolean => {
    const allowed = modifiersById.get(id)?.applies_to;
    if (!allowed) return true;
    const category = itemsBySku.get(sku)?.category;
    return allowed.includes(sku) || (category !== undefined && allowed.includes(category));
  };
  // Head nouns sold in several varieties within one category ("croissant": butter, chocolate).
  const nameWords = (text: string): string[] => phraseWords(fold(text)).map(canonical);
  const varietiesByHead = new Map<string, Set<string>>();
  for (const item of catalog.items) {
    const words = nameWords(item.name);
    const head = words[words.length - 1];
    if (!head || words.length < 2) continue;
    const key = `${item.category ?? ''}\u0000${head}`;
    const firsts = varietiesByHead.get(key) ?? new Set<string>();
    firsts.add(words[0] ?? '');
    varietiesByHead.set(key, firsts);
  }
  const hasVarieties = (sku: string): boolean => {
    const item = itemsBySku.get(sku);
    if (!item) return false;
    const words = nameWords(item.name);
    return (varietiesByHead.get(`${item.category ?? ''}\u0000${words[words.length - 1] ?? ''}`)?.size ?? 0) >= 2;
  };
  const lastNameWord = (id: string): string => nameWords(modifiersById.get(id)?.name ?? '').pop() ?? '';
  const groupSizes = new Map<string, number>();
  for (const modifier of catalog.modifiers) groupSizes.set(lastNameWord(modifier.id), (groupSizes.get(lastNameWord(modifier.id)) ?? 0) + 1);
  const isClippedName = (id: string, typed: readonly string[]): boolean => {
    const name = nameWords(modifiersById.get(id)?.name ?? '');
    return typed.length > 0 && typed.length < name.length && typed.every((w, k) => name[k] === w);
  };

  return {
    catalog,
    timeZone: catalog.provider.timezone,
    orderPrefix: catalog.provider.orderPrefix ?? null,
    vocabulary,
    canonical,
    correct: (word) => corrector(canonical(word)),
    expand: (word) => {
      const direct = abbreviations(canonical(word)).filter((w) => w !== word);
      // "caps" is the plural of a short form: expand its singular.
      return direct.length || !/[a-z]{3}s$/.test(word) ? direct : abbreviations(word.slice(0, -1));
    },
    longestPhrasesAt,
    phraseAt(folded, at) {
      // Catalog phrases are a few words long; a bounded window keeps this cheap on long messages.
      const tokens = tokenize(folded.slice(at, at + 80));
      const firstBreak = tokens.findIndex((t) => t.kind !== 'word' && t.kind !== 'number');
      const words = tokens.slice(0, firstBreak === -1 ? tokens.length : firstBreak);
      if (words[0]?.start !== 0) return null;
      const [phrase] = longestPhrasesAt(words.map((t) => canonical(t.text)), 0);
      const last = phrase ? words[phrase.words.length - 1] : undefined;
      return phrase && last ? { kind: phrase.target.kind, end: at + last.end, length: phrase.words.length } : null;
    },
    skusContainingWords(words) {
      if (!words.length) return [];
      return [...skuWords.entries()]
        .filter(([, entry]) => words.some((w) => entry.heads.has(w)) && words.every((w) => entry.words.has(w)))
        .map(([sku]) => sku);
    },
    itemName: (sku) => itemNames.get(sku) ?? sku,
    itemHead: (sku) => nameWords(itemNames.get(sku) ?? '').pop() ?? '',
    modifierName: (id) => modifierNames.get(id) ?? id,
    modifierFits,
    modifierGroup: (id) => {
      const last = lastNameWord(id);
      if (SIZE_NAMES.has(nameWords(modifiersById.get(id)?.name ?? '').join(' '))) return 'size';
      return last && (groupSizes.get(last) ?? 0) >= 2 ? last : null;
    },
    namesVariety: (id, typedWords, sku) => !modifierFits(id, sku) || (isClippedName(id, typedWords) && hasVarieties(sku)),
  };
}
