// Noun phrases over parse elements: "2 large oat lattes", "a shot of hazelnut", "3 pumps of vanilla".
import type { Element } from './elements.js';

export type PhrasePart = Extract<Element, { kind: 'item' | 'modifier' | 'quantity' | 'word' }>;
export type QuantityElement = Extract<Element, { kind: 'quantity' }>;
export type WordElement = Extract<Element, { kind: 'word' }>;

export const isPhrasePart = (e: Element | undefined): e is PhrasePart =>
  e !== undefined && (e.kind === 'item' || e.kind === 'modifier' || e.kind === 'quantity' || e.kind === 'word');

/** A noun phrase and what it is made of. */
export interface Phrase {
  parts: PhrasePart[];
  item: Extract<Element, { kind: 'item' }> | undefined;
  /** The explicit count if there is one, else the article's weak 1. */
  quantity: QuantityElement | undefined;
  modifiers: string[];
  /** Words that name something: catalog words outside any phrase, and unknown words. */
  namingWords: WordElement[];
  unknown: WordElement | undefined;
  /** "3 pumps of vanilla": the count belongs to the container, not to an item. */
  hasContainer: boolean;
  /** "2 of them": the count takes part of the order line before it. */
  partitive: boolean;
  /** From the first word after the count to the end, for reporting in the customer's words. */
  span: { start: number; end: number } | null;
}

/**
 * Collects the noun phrase starting at `start`. A phrase ends after its item, at anything that is not
 * part of a phrase, or where a new count begins ("oat milk 2 lattes" is two phrases).
 */
export function collectPhrase(elements: readonly Element[], start: number): { phrase: Phrase; next: number } {
  const parts: PhrasePart[] = [];
  let partitive = false;
  let j = start;
  for (; j < elements.length; j++) {
    const e = elements[j];
    // "2 of the lattes", "2 of them with oat milk"
    if (e?.kind === 'stop' && PARTITIVE_WORDS.has(e.word) && parts.length > 0 && parts.every((p) => p.kind === 'quantity')) {
      if (e.word !== 'of' && e.word !== 'the') partitive = true;
      continue;
    }
    if (!isPhrasePart(e)) break;
    const hasContent = parts.some((p) => p.kind !== 'quantity' && !(p.kind === 'word' && p.role === 'container'));
    if (e.kind === 'quantity' && hasContent) break;
    parts.push(e);
    // "wings x2 one w ranch": a postfix count closes the item before it.
    if (e.kind === 'item' || (e.kind === 'quantity' && e.postfix)) {
      j++;
      break;
    }
  }
  return { phrase: { ...describePhrase(parts), partitive }, next: j };
}

const PARTITIVE_WORDS = new Set(['of', 'the', 'them', 'those', 'these', 'em']);

function describePhrase(parts: PhrasePart[]): Omit<Phrase, 'partitive'> {
  const quantities = parts.filter((p): p is QuantityElement => p.kind === 'quantity');
  const words = parts.filter((p): p is WordElement => p.kind === 'word');
  const namingWords = words.filter((w) => w.role === 'vocabulary' || w.role === 'unknown');
  const first = parts.find((p) => p.kind !== 'quantity');
  const last = parts[parts.length - 1];
  return {
    parts,
    item: parts.find((p): p is Extract<Element, { kind: 'item' }> => p.kind === 'item'),
    quantity: quantities.find((q) => !q.weak) ?? quantities[0],
    modifiers: parts.flatMap((p) => (p.kind === 'modifier' ? [p.id] : [])),
    namingWords,
    unknown: namingWords.find((w) => w.role === 'unknown'),
    hasContainer: words.some((w) => w.role === 'container'),
    span: first && last ? { start: first.start, end: last.end } : null,
  };
}
