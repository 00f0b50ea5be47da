// Customer name: "for Sam", "name's Priya", "it's for Dr. Lee", "Sam here". "For my boss" and
// "for the kids" name a recipient, not a person, and are only removed from the text.
import type { FoldedText } from './text.js';
import { HONORIFICS, NOT_A_NAME, NUMBER_WORDS, STOP_WORDS } from './vocabulary.js';

const WORD = "[a-z](?:[a-z'-]*[a-z])?";
const HONORIFIC = `(?:(?:${[...HONORIFICS].join('|')})\\.?\\s+)?`;
const NAME = `(${HONORIFIC}${WORD}(?:\\s+${WORD})?)`;

interface NamePattern {
  pattern: RegExp;
  /** Whether the customer said plainly that this is a name, so lower case is acceptable. */
  explicit: boolean;
}

const NAME_PATTERNS: NamePattern[] = [
  { pattern: new RegExp(`\\b(?:my\\s+)?name(?:'s|s)?(?:\\s+is|\\s+will\\s+be|\\s*[:=\\-])?\\s+${NAME}`, 'gd'), explicit: true },
  { pattern: new RegExp(`\\b(?:it'?s|its|this\\s+is|that'?s|thats|order\\s+is|all|they'?re|theyre)\\s+for\\s+${NAME}`, 'gd'), explicit: true },
  { pattern: new RegExp(`\\bunder\\s+(?:the\\s+name\\s+(?:of\\s+)?|name\\s+)${NAME}`, 'gd'), explicit: true },
  { pattern: new RegExp(`\\b(?:put|write)\\s+${NAME}\\s+on\\s+(?:the\\s+|it|them)`, 'gd'), explicit: true },
  { pattern: new RegExp(`^(?:(?:hi|hey|hello|yo|morning)\\b[\\s,!.]*)?${NAME}\\s+here\\b`, 'gd'), explicit: true },
  { pattern: new RegExp(`\\b(?:this\\s+is|i'?m|i\\s+am|it'?s|its)\\s+${NAME}`, 'gd'), explicit: false },
  { pattern: new RegExp(`\\bunder\\s+${NAME}`, 'gd'), explicit: false },
  { pattern: new RegExp(`\\bfor\\s+${NAME}`, 'gd'), explicit: false },
  // A signature at the very end: "… for 8:15? –Tom", "… Thanks, Maya"
  { pattern: new RegExp(`(?:(?:^|\\s)[-–—~]+|\\b(?:thanks|thank\\s+you|thx|ty|cheers|regards|best)[\\s,!.]+)\\s*${NAME}[\\s.!]*$`, 'gd'), explicit: false },
];

// Recipients that are not names; removed so "kids" is not read as an unknown menu item.
const RECIPIENT_NOUN = new RegExp(`\\bfor\\s+(?:my|our|the|his|her|their|your|all|both|a|an)\\s+(${WORD})(?:\\s+(${WORD}))?`, 'g');
const RECIPIENT_OTHER = new RegExp(
  `\\bfor\\s+(?:everyone|everybody|us|me|him|them|here|now|later)\\b` +
  `|\\bfor\\s+(?:\\d+|${[...NUMBER_WORDS.keys()].join('|')})\\s+(?:people|persons|ppl|of\\s+us|guys|adults|kids)\\b|\\bto\\s+go\\b`,
  'g',
);

/** Everyday words ("Great", "Will") only pass as names when the customer said it was a name. */
const isNameWord = (word: string, explicit: boolean, isMenuWord: (w: string) => boolean): boolean => {
  const bare = word.replace(/['-]/g, '');
  if (bare.length < 2 || NOT_A_NAME.has(bare) || NUMBER_WORDS.has(bare) || isMenuWord(word)) return false;
  return explicit || !STOP_WORDS.has(bare);
};

export interface NameOptions {
  /** Catalog words are never names ("room for milk"). */
  isMenuWord: (word: string) => boolean;
}

/** Finds the customer's name, consumes its phrase, and returns it in the customer's spelling. */
export function extractCustomerName(text: FoldedText, options: NameOptions): string | null {
  const value = text.value;
  for (const { pattern, explicit } of NAME_PATTERNS) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(value); m; m = pattern.exec(value)) {
      const group = m[1] ?? '';
      const groupStart = m.indices?.[1]?.[0] ?? m.index;
      const accepted = acceptName(text, group, groupStart, explicit, options);
      if (accepted) {
        text.consume(m.index, accepted.end);
        return text.originalSlice(groupStart, accepted.end).replace(/[.,!?]+$/, '');
      }
    }
  }
  return null;
}

/** Consumes recipient phrases that are not names ("for the kids", "for 4 people", "to go"). */
export function consumeRecipients(text: FoldedText, options: NameOptions): void {
  for (const m of text.value.matchAll(RECIPIENT_NOUN)) {
    const first = m[1] ?? '';
    if (options.isMenuWord(first)) continue;
    const second = m[2];
    // "for the kids, not too hot" ends at "kids"; "for my boss and a muffin" must keep "and".
    const keepSecond = second !== undefined && !STOP_WORDS.has(second) && !options.isMenuWord(second);
    const end = second === undefined || keepSecond ? m.index + m[0].length : m.index + m[0].lastIndexOf(second);
    text.consume(m.index, end);
  }
  for (const m of text.value.matchAll(RECIPIENT_OTHER)) text.consume(m.index, m.index + m[0].length);
}

function acceptName(text: FoldedText, group: string, groupStart: number, explicit: boolean, options: NameOptions): { end: number } | null {
  const honorific = new RegExp(`^${HONORIFIC}`).exec(group)?.[0] ?? '';
  const words = group.slice(honorific.length).split(/\s+/);
  const firstStart = groupStart + honorific.length;
  const first = words[0] ?? '';
  const firstCapital = text.isCapitalAt(firstStart);
  if (!isNameWord(first, explicit, options.isMenuWord)) return null;
  if (!explicit && !firstCapital && !honorific) {
    // A lower-case "for sam" is only a name when nothing follows that could make it a phrase.
    const after = text.value.slice(firstStart + first.length);
    if (!/^\s*(?:$|[^a-z0-9\s]|(?:please|pls|thanks|thank|thx|and|at|cheers|if)\b)/.test(after)) return null;
  }
  let end = firstStart + first.length;
  const second = words[1];
  if (second !== undefined) {
    const secondStart = text.value.indexOf(second, end);
    // A surname must look like one; "for Sam please" keeps just "Sam".
    if (secondStart >= 0 && text.isCapitalAt(secondStart) && isNameWord(second, false, options.isMenuWord)) end = secondStart + second.length;
  }
  return { end };
}
