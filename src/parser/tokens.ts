// Splits folded text into words, numbers and separators, keeping each token's position.

export type TokenKind = 'word' | 'number' | 'sep' | 'gap';

export interface Token {
  /** Word text without apostrophes ("i'd" -> "id"), number digits, or the separator character. */
  text: string;
  kind: TokenKind;
  start: number;
  end: number;
}

// Order matters: "w/" before "/", "12oz"/"2x" before bare numbers.
const TOKEN_PATTERN = /\|+|w\/o\b|w\/|\d+(?:\.\d+)?%|\d+[a-z]+|x\d+\b|\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)*|&|[,;!?\n()[\]{}:"•·+/.\-–—]/g;

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[a-z0-9]/.test(ch);

export function tokenize(folded: string): Token[] {
  const tokens: Token[] = [];
  for (const match of folded.matchAll(TOKEN_PATTERN)) {
    const raw = match[0];
    const start = match.index;
    const end = start + raw.length;
    if (raw.startsWith('|')) tokens.push({ text: '|', kind: 'gap', start, end });
    else if (raw === 'w/o') tokens.push({ text: 'without', kind: 'word', start, end });
    else if (raw === 'w/') tokens.push({ text: 'with', kind: 'word', start, end });
    else if (raw === '&') tokens.push({ text: 'and', kind: 'word', start, end });
    else if (/^\d+(?:\.\d+)?$/.test(raw)) tokens.push({ text: raw, kind: 'number', start, end });
    else if (/^[a-z0-9]/.test(raw)) tokens.push({ text: raw.replace(/'/g, ''), kind: 'word', start, end });
    else if ('-/.'.includes(raw) && isWordChar(folded[start - 1]) && isWordChar(folded[end])) {
      // "non-fat", "and/or", "a.m": a break inside a word, not a list separator.
    } else tokens.push({ text: raw, kind: 'sep', start, end });
  }
  return tokens;
}

/** Tokens of a catalog phrase, in the same form message tokens take. */
export function phraseWords(folded: string): string[] {
  return tokenize(folded).filter((t) => t.kind === 'word' || t.kind === 'number').map((t) => t.text);
}
