// A lowercased, accent-free view of a message that remembers where each character came from, so
// spans found by matching the folded view can be reported in the customer's own spelling ("José").

const SPECIAL_FOLDS: Readonly<Record<string, string>> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ı: 'i' };

/** Lowercase and strip accents from a string (no position tracking). */
export function fold(text: string): string {
  return Array.from(text, foldCodePoint).join('');
}

function foldCodePoint(ch: string): string {
  const lower = ch.toLowerCase();
  const special = SPECIAL_FOLDS[lower];
  if (special) return special;
  return lower.normalize('NFD').replace(/\p{M}/gu, '');
}

/** Character used to overwrite a span that has been consumed (time, name, instruction). */
export const GAP = '|';

export class FoldedText {
  readonly original: string;
  private chars: string[] = [];
  private readonly originStart: number[] = [];
  private readonly originEnd: number[] = [];
  private cached: string | null = null;

  constructor(original: string) {
    this.original = original;
    for (let i = 0; i < original.length;) {
      const cp = original.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      for (const c of foldCodePoint(ch)) {
        this.chars.push(c);
        this.originStart.push(i);
        this.originEnd.push(i + ch.length);
      }
      i += ch.length;
    }
  }

  get value(): string {
    this.cached ??= this.chars.join('');
    return this.cached;
  }

  /** Marks a span as consumed so later stages neither re-read it nor join the words around it. */
  consume(start: number, end: number): void {
    for (let i = Math.max(0, start); i < Math.min(end, this.chars.length); i++) this.chars[i] = GAP;
    this.cached = null;
  }

  /** The customer's own text for the folded span [start, end). */
  originalSlice(start: number, end: number): string {
    if (end <= start) return '';
    const from = this.originStart[start];
    const to = this.originEnd[end - 1];
    return from === undefined || to === undefined ? '' : this.original.slice(from, to);
  }

  /** Whether the folded character at `index` came from an upper-case letter. */
  isCapitalAt(index: number): boolean {
    const from = this.originStart[index];
    if (from === undefined) return false;
    const ch = this.original[from] ?? '';
    return ch !== ch.toLowerCase() && ch === ch.toUpperCase();
  }
}
