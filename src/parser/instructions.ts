// Free-text preparation notes that are not catalog modifiers: "extra hot", "no lid", "light ice",
// "cut in half", "leave room for milk". A phrase the catalog knows ("no foam" as a modifier) is left
// for item parsing, since catalog modifiers are never instructions.
import type { PhraseSpan } from './catalog.js';
import type { FoldedText } from './text.js';
import { FILLER_WORDS, JOIN_WORDS, NUMBER_WORDS, QUANTITY_NOUNS, STOP_WORDS } from './vocabulary.js';

export interface InstructionOptions {
  /** The longest catalog phrase starting at a folded index, or null. */
  catalogPhraseAt(index: number): PhraseSpan | null;
  /** Whether the word at a folded index is a catalog word ("make it chicken" names an item, not a wish). */
  isCatalogWordAt(index: number): boolean;
  /** Whether folded [start, end) names an item already mentioned before `before` ("a muffin, actually no muffin"). */
  namesEarlierItem(before: number, start: number, end: number): boolean;
}

/** "no X": the object is dropped, never added as a modifier. */
const NEGATION = /\b(?:no|without|hold\s+the|minus|skip\s+the|don'?t\s+(?:add|put|include))\s+(?!(?:wait|thanks?|problem|rush|worries|hurry|pressure|need|way|more|longer|matter|one|change|other|sorry|actually|i\s+mean|scratch|make|nvm)\b)(?:the\s+|any\s+)?(?=[a-z])/g;
/** "extra X", "light X": when X is a catalog modifier it still applies; only the qualifier is a note. */
const QUALIFIER = /\b(?:extra|light|lite|lightly|less|a\s+little|a\s+bit\s+of|(?:go\s+)?easy(?:\s+on(?:\s+the)?)?|heavy\s+on(?:\s+the)?|not(?:\s+too(?:\s+much)?)?)\s+(?=[a-z])/g;
/** "make it strong": a preparation wish, unless the catalog has it ("make it iced"). */
const PREPARATION = /\b(?:make|keep)\s+(?:it|them|that|those)\s+(?:extra\s+|very\s+|super\s+|really\s+)?(?=[a-z])/g;
const COUNT_WORD = '(?:two|three|four|five|six|seven|eight|nine|ten|twelve|sixteen)';

/** Whole phrases that are always notes unless the catalog claims them. */
const FIXED_NOTES: RegExp[] = [
  new RegExp(`\\b(?:cut|slice|chop)\\s+(?:(?:it|them|that|those|the\\s+[a-z]+)\\s+)?(?:in(?:to)?\\s+)?(?:(?:\\d{1,2}|${COUNT_WORD})\\s*)?(?:half|halves|two|quarters|thirds|pieces|squares|slices|triangles|strips|wedges)\\b|\\bcut\\s+diagonally\\b|\\bsliced(?:\\s+in\\s+half)?\\b|\\bhalved\\b`, 'g'),
  // "write the names on the boxes", "write happy birthday on top"; "put Sam on the cup" is a name.
  /\b(?:write|print|label|mark|put)\s+(?:(?:the|a|an|their|our|my|his|her|each|names?|happy|["'])[^,.;!?|\n]{0,40}?|[a-z'"!]+(?:\s+[a-z'"!]+){2,5}?)\s+on\s+(?:the\s+|each\s+|every\s+|all\s+(?:the\s+)?)?(?:top|it|them|[a-z]+)\b/g,
  /\bleave\s+(?:some\s+)?(?:room|space)(?:\s+for\s+[a-z]+)?|\b(?:with\s+)?room\s+for\s+[a-z]+\b|\bwith\s+room\b/g,
  /\b(?:[a-z]+\s+)?on\s+the\s+side\b/g,
  /\b(?:in\s+(?:a|one|the)\s+)?(?:drink\s+|cup\s+)?(?:carrier|tray|cup\s+holder)\b/g,
  /\b(?:in\s+)?separate\s+(?:bags?|cups?|boxes|containers)\b|\b(?:bag(?:ged)?|pack(?:ed)?|wrap(?:ped)?)\s+separately\b/g,
  /\bwell[\s-]done\b|\bkids?[\s-]?temp(?:erature)?\b|\blukewarm\b|\bdouble[\s-]cup(?:ped)?\b|\bupside[\s-]down\b/g,
  /\bhalf\s+(?:sweet|sugar|caf|decaf)\b/g,
  /\bnot\s+(?:sweet|hot|strong|burnt|warm|cold)\b/g,
  /\b(?:with\s+(?:a\s+)?)?(?:sleeve|stirrer|straws?|napkins|utensils|cutlery)\b/g,
  /\bin\s+a\s+(?:bag|box|mug|paper\s+cup|ceramic\s+cup|to[\s-]go\s+cup)\b/g,
];

interface Note {
  start: number;
  end: number;
  /** Only [start, consumeEnd) is removed from the text; the rest is a modifier the item keeps. */
  consumeEnd: number;
}

/** End of the object of a qualifier/negation: a catalog phrase, or one or two plain words. */
function objectEnd(value: string, start: number, options: InstructionOptions): { end: number; catalog: PhraseSpan | null } | null {
  const catalog = options.catalogPhraseAt(start);
  if (catalog) return { end: catalog.end, catalog };
  const first = /^[a-z]+/.exec(value.slice(start))?.[0];
  if (!first || STOP_WORDS.has(first) || JOIN_WORDS.has(first) || NUMBER_WORDS.has(first) || QUANTITY_NOUNS.has(first)) return null;
  let end = start + first.length;
  const second = /^\s+([a-z]+)/.exec(value.slice(end));
  const secondWord = second?.[1];
  if (second && secondWord && !STOP_WORDS.has(secondWord) && !JOIN_WORDS.has(secondWord) && !FILLER_WORDS.has(secondWord)) {
    const secondStart = end + second[0].length - secondWord.length;
    if (!options.catalogPhraseAt(secondStart)) end = secondStart + secondWord.length;
  }
  return { end, catalog: null };
}

function findNotes(value: string, options: InstructionOptions): Note[] {
  const notes: Note[] = [];
  const claimedByCatalog = (start: number, end: number): boolean => {
    const phrase = options.catalogPhraseAt(start);
    return phrase !== null && (phrase.length >= 2 || phrase.end >= end);
  };

  for (const m of value.matchAll(NEGATION)) {
    const objectStart = m.index + m[0].length;
    const object = objectEnd(value, objectStart, options);
    if (!object || object.catalog?.kind === 'item' || claimedByCatalog(m.index, object.end)) continue;
    // "…, actually no muffin" takes the muffin back out; that is for the item parser.
    if (options.namesEarlierItem(m.index, objectStart, object.end)) continue;
    notes.push({ start: m.index, end: object.end, consumeEnd: object.end });
  }
  for (const m of value.matchAll(QUALIFIER)) {
    const object = objectEnd(value, m.index + m[0].length, options);
    if (!object || object.catalog?.kind === 'item' || claimedByCatalog(m.index, object.end)) continue;
    const keepModifier = object.catalog?.kind === 'modifier' && !m[0].startsWith('not');
    notes.push({ start: m.index, end: object.end, consumeEnd: keepModifier ? m.index + m[0].length : object.end });
  }
  for (const m of value.matchAll(PREPARATION)) {
    const object = objectEnd(value, m.index + m[0].length, options);
    if (!object || object.catalog || claimedByCatalog(m.index, object.end) || options.isCatalogWordAt(m.index + m[0].length)) continue;
    notes.push({ start: m.index, end: object.end, consumeEnd: object.end });
  }
  for (const pattern of FIXED_NOTES) {
    for (const m of value.matchAll(pattern)) {
      let start = m.index;
      // "(sauce) on the side" may pick up a preceding word; never a stop word or a menu word.
      const lead = /^([a-z]+)\s+on\s+the\s+side/.exec(m[0]);
      if (lead?.[1] && (STOP_WORDS.has(lead[1]) || options.catalogPhraseAt(start))) start += lead[1].length + 1;
      const end = m.index + m[0].length;
      if (claimedByCatalog(start, end)) continue;
      notes.push({ start, end, consumeEnd: end });
    }
  }
  return notes;
}

/**
 * Finds special instructions, consumes them from the text (keeping catalog modifiers they qualify),
 * and returns them in the customer's own words, in order of appearance.
 */
export function extractInstructions(text: FoldedText, options: InstructionOptions): string[] {
  const notes = findNotes(text.value, options).sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Note[] = [];
  for (const note of notes) {
    const last = kept[kept.length - 1];
    if (last && note.start < last.end) continue;
    kept.push(note);
  }
  const phrases = kept.map((note) => text.originalSlice(note.start, note.end).trim().replace(/[.,!?;:]+$/, ''));
  for (const note of kept) text.consume(note.start, note.consumeEnd);
  return phrases.filter((p) => p.length > 0);
}
