// Turns tokens into parse elements: catalog items and modifiers (longest phrase first, typos
// corrected), quantities, corrections, links and plain words classified for the item assembler.
import type { CatalogIndex } from './catalog.js';
import { tokenize, type Token } from './tokens.js';
import {
  CONTAINER_WORDS, CORRECTION_WORDS, FILLER_WORDS, JOIN_WORDS, LINK_WORDS, NUMBER_WORDS, ONE_MORE_WORDS,
  ORDER_VERBS, QUANTITY_NOUNS, REMOVAL_WORDS, STOP_WORDS,
} from './vocabulary.js';

interface Span {
  start: number;
  end: number;
}

/** pronoun: "one"/"ones" standing for the item before ("an oat flat white and an almond one"). */
export type WordRole = 'vocabulary' | 'unknown' | 'filler' | 'container' | 'pronoun';

type ElementBody =
  | { kind: 'item'; sku: string }
  /** words: the catalog words as matched, to tell "almond" from "almond milk". */
  | { kind: 'modifier'; id: string; words: string[] }
  /** weak: an article ("a latte"), which a later "x2" may override. */
  | { kind: 'quantity'; value: number; weak: boolean; postfix: boolean }
  | { kind: 'word'; role: WordRole; word: string }
  | { kind: 'stop'; word: string; verb: boolean }
  | { kind: 'link' }
  | { kind: 'separator' }
  /** replaces: "make that", "change it to" swap the previous entry; trailing: "instead". */
  | { kind: 'correction'; replaces: boolean; trailing: boolean; swap?: boolean }
  /** "scratch", "remove", "take off", or "no" right before something already asked for. */
  | { kind: 'removal' };

export type Element = Span & ElementBody;

const NO_WORD = '\u0000';
const PIECE_WORDS = new Set(['pc', 'pcs', 'pieces', 'piece', 'ct', 'pce', 'pces']);
const MAX_QUANTITY = 100;

/** Canonical text for phrase matching: singular, typo-corrected; separators never match. */
interface MatchWords {
  words: string[];
  /** Per token, vocabulary words a short form may stand for ("choc", "dcaf", "pep"). */
  alternatives: string[][];
}

const isEverydayWord = (word: string): boolean =>
  STOP_WORDS.has(word) || ORDER_VERBS.has(word) || FILLER_WORDS.has(word) || NUMBER_WORDS.has(word) || CORRECTION_WORDS.has(word) ||
  REMOVAL_WORDS.has(word) || CONTAINER_WORDS.has(word) || JOIN_WORDS.has(word) || LINK_WORDS.has(word);

function matchWords(tokens: readonly Token[], index: CatalogIndex): MatchWords {
  const alternatives: string[][] = [];
  const words = tokens.map((token, i) => {
    alternatives[i] = [];
    if (token.kind === 'sep' || token.kind === 'gap') return NO_WORD;
    if (token.kind === 'number') return token.text;
    const canonical = index.canonical(token.text);
    // Short size words ("med", "reg") may still stand for a catalog word; longer everyday words never do.
    if (isEverydayWord(token.text)) {
      if (FILLER_WORDS.has(token.text) && token.text.length <= 3 && !index.vocabulary.has(canonical)) alternatives[i] = index.expand(token.text);
      return canonical;
    }
    if (index.vocabulary.has(canonical)) {
      // "choc" is a catalog word ("choc chip cookie") and also short for "chocolate" ("hot choc").
      if (canonical.length <= 4) alternatives[i] = index.expand(canonical);
      return canonical;
    }
    const corrected = index.correct(token.text);
    if (corrected) return corrected;
    alternatives[i] = index.expand(token.text);
    return canonical;
  });
  return { words, alternatives };
}

function numberAt(tokens: readonly Token[], i: number): { value: number; length: number } | null {
  const token = tokens[i];
  if (!token) return null;
  if (token.kind === 'number') return /^\d+$/.test(token.text) ? { value: Number(token.text), length: 1 } : null;
  const value = NUMBER_WORDS.get(token.text);
  if (value === undefined || value === 0) return null;
  // "twenty four" / "twenty-four"
  const next = NUMBER_WORDS.get(tokens[i + 1]?.text ?? '');
  if (value >= 20 && value % 10 === 0 && next !== undefined && next > 0 && next < 10) return { value: value + next, length: 2 };
  return { value, length: 1 };
}

interface QuantityRead {
  value: number;
  weak: boolean;
  postfix: boolean;
  /** Tokens used. */
  length: number;
}

/** Reads a quantity at `i`: "2", "two", "a", "a dozen", "half a dozen", "a couple of", "x2", "2x". */
function quantityAt(tokens: readonly Token[], i: number): QuantityRead | null {
  const text = (k: number): string => tokens[i + k]?.text ?? '';
  const withNoun = (value: number, length: number, weak: boolean): QuantityRead => {
    const noun = QUANTITY_NOUNS.get(text(length));
    if (noun === undefined) return { value, weak, postfix: false, length };
    const total = noun === 12 ? value * 12 : noun;
    return { value: total, weak: false, postfix: false, length: length + (text(length + 1) === 'of' ? 2 : 1) };
  };

  const token = tokens[i];
  if (!token || token.kind !== 'word' && token.kind !== 'number') return null;
  const postfix = /^x(\d+)$/.exec(token.text) ?? (token.text === 'x' && tokens[i + 1]?.kind === 'number' ? ['', text(1)] : null);
  if (postfix) return { value: Number(postfix[1]), weak: false, postfix: true, length: token.text === 'x' ? 2 : 1 };
  const prefix = /^(\d+)x$/.exec(token.text);
  if (prefix) return { value: Number(prefix[1]), weak: false, postfix: false, length: 1 };
  if (token.text === 'half' && text(1) === 'a' && text(2) === 'dozen') return { value: 6, weak: false, postfix: false, length: 3 };
  if (token.text === 'a' || token.text === 'an') return withNoun(1, 1, true);
  if (ONE_MORE_WORDS.has(token.text)) return { value: 1, weak: false, postfix: false, length: 1 };
  if (QUANTITY_NOUNS.has(token.text)) return withNoun(1, 0, false);
  const number = numberAt(tokens, i);
  if (!number || number.value > MAX_QUANTITY) return null;
  const result = withNoun(number.value, number.length, false);
  // "salmon nigiri (4 pcs)": a count of pieces after the item is that item's count.
  if (PIECE_WORDS.has(text(result.length)) && text(result.length + 1) !== 'of') return { ...result, postfix: true, length: result.length + 1 };
  // "2 x latte"
  if (text(result.length) === 'x' && tokens[i + result.length + 1]?.kind !== 'number') result.length++;
  return result;
}

function correctionAt(tokens: readonly Token[], i: number): { replaces: boolean; trailing: boolean; swap?: boolean; length: number } | null {
  const text = (k: number): string => tokens[i + k]?.text ?? '';
  const word = text(0);
  if (word === 'make' && ['that', 'it', 'those', 'them', 'em', 'this'].includes(text(1))) return { replaces: true, trailing: false, length: 2 };
  if (word === 'change' && ['that', 'it', 'this'].includes(text(1))) return { replaces: true, trailing: false, length: text(2) === 'to' ? 3 : 2 };
  // "swap the croissant for a muffin", "change the latte to a mocha": the next line replaces the named one.
  if (['swap', 'switch', 'replace', 'change', 'sub'].includes(word)) return { replaces: true, trailing: false, swap: true, length: 1 };
  if ((word === 'i' && text(1) === 'meant') || word === 'meant') return { replaces: true, trailing: false, length: word === 'i' ? 2 : 1 };
  if (word === 'no' && text(1) === 'wait') return { replaces: false, trailing: false, length: 2 };
  if ((word === 'hold' || word === 'hang') && text(1) === 'on') return { replaces: false, trailing: false, length: 2 };
  if (word === 'never' && text(1) === 'mind') return { replaces: false, trailing: false, length: 2 };
  if (word === 'instead') return { replaces: true, trailing: true, length: 1 };
  if (CORRECTION_WORDS.has(word)) return { replaces: false, trailing: false, length: 1 };
  return null;
}

/** Tokens used by a removal verb at `i` ("scratch", "take off", "get rid of"), or 0. */
function removalAt(tokens: readonly Token[], i: number): number {
  const text = (k: number): string => tokens[i + k]?.text ?? '';
  if (REMOVAL_WORDS.has(text(0))) return text(1) === 'off' || text(1) === 'out' ? 2 : 1;
  if (text(0) === 'take' && (text(1) === 'off' || text(1) === 'out' || text(1) === 'away')) return 2;
  if (text(0) === 'get' && text(1) === 'rid' && text(2) === 'of') return 3;
  return 0;
}

/** Picks between an item and a modifier spelt the same: a modifier only when an item follows. */
function choosePhrase(index: CatalogIndex, { words, alternatives }: MatchWords, start: number): { element: 'item' | 'modifier'; target: string; length: number; words: string[] } | null {
  const phrases = index.longestPhrasesAt(words, start, alternatives);
  const first = phrases[0];
  if (!first) return null;
  const length = first.words.length;
  const item = phrases.find((p) => p.target.kind === 'item');
  const modifier = phrases.find((p) => p.target.kind === 'modifier');
  const itemFollows = index.longestPhrasesAt(words, start + length, alternatives).some((p) => p.target.kind === 'item');
  const chosen = item && modifier ? (itemFollows ? modifier : item) : first;
  const matched = [...chosen.words];
  return chosen.target.kind === 'item'
    ? { element: 'item', target: chosen.target.sku, length, words: matched }
    : { element: 'modifier', target: chosen.target.id, length, words: matched };
}


/** What a word that is not part of a catalog phrase, count or correction does in the sentence. */
function classifyWord(token: Token, canonical: string, index: CatalogIndex): Extract<ElementBody, { kind: 'separator' | 'link' | 'stop' | 'word' }> {
  if (JOIN_WORDS.has(token.text)) return { kind: 'separator' };
  if (LINK_WORDS.has(token.text)) return { kind: 'link' };
  if (STOP_WORDS.has(token.text) || ORDER_VERBS.has(token.text) || token.kind === 'number') return { kind: 'stop', word: token.text, verb: ORDER_VERBS.has(token.text) };
  // A filler the catalog uses ("Classic Burger") names things on this menu.
  if (FILLER_WORDS.has(token.text) && !index.vocabulary.has(canonical)) return { kind: 'word', role: 'filler', word: canonical };
  return { kind: 'word', role: index.vocabulary.has(canonical) ? 'vocabulary' : 'unknown', word: canonical };
}

export function buildElements(folded: string, index: CatalogIndex): Element[] {
  const tokens = tokenize(folded);
  const match = matchWords(tokens, index);
  const { words } = match;
  const elements: Element[] = [];
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i];
    if (!token) break;
    const spanOf = (length: number): Span => ({ start: token.start, end: tokens[i + length - 1]?.end ?? token.end });

    if (token.kind === 'sep' || token.kind === 'gap') {
      elements.push({ kind: 'separator', start: token.start, end: token.end });
      i++;
      continue;
    }
    const phrase = choosePhrase(index, match, i);
    if (phrase) {
      const span = spanOf(phrase.length);
      elements.push(phrase.element === 'item'
        ? { kind: 'item', sku: phrase.target, ...span }
        : { kind: 'modifier', id: phrase.target, words: phrase.words, ...span });
      i += phrase.length;
      continue;
    }
    if ((token.text === 'one' || token.text === 'ones') && elements[elements.length - 1]?.kind === 'modifier' && !choosePhrase(index, match, i + 1)) {
      elements.push({ kind: 'word', role: 'pronoun', word: token.text, ...spanOf(1) });
      i++;
      continue;
    }
    const quantity = quantityAt(tokens, i);
    if (quantity) {
      elements.push({ kind: 'quantity', value: quantity.value, weak: quantity.weak, postfix: quantity.postfix, ...spanOf(quantity.length) });
      i += quantity.length;
      continue;
    }
    const correction = correctionAt(tokens, i);
    if (correction) {
      elements.push({ kind: 'correction', replaces: correction.replaces, trailing: correction.trailing, swap: correction.swap, ...spanOf(correction.length) });
      i += correction.length;
      continue;
    }
    const removal = removalAt(tokens, i);
    if (removal) {
      elements.push({ kind: 'removal', ...spanOf(removal) });
      i += removal;
      continue;
    }
    if (CONTAINER_WORDS.has(token.text) && tokens[i + 1]?.text === 'of') {
      elements.push({ kind: 'word', role: 'container', word: words[i] ?? token.text, ...spanOf(2) });
      i += 2;
      continue;
    }
    elements.push({ ...classifyWord(token, words[i] ?? token.text, index), ...spanOf(1) });
    i++;
  }
  return elements;
}
