// Typo correction for single words against the catalog's vocabulary. Fuse.js finds candidates; an
// edit-distance guard then decides, because Fuse scores alone let short everyday words ("drop",
// "shall") snap onto menu words ("drip", "small").
import Fuse from 'fuse.js';

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i];
    if (!row) continue;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Edits tolerated for a word of this length: none under 5 letters, where real words collide. */
export function allowedEdits(length: number): number {
  if (length < 5) return 0;
  return length < 7 ? 1 : 2;
}

export type WordCorrector = (word: string) => string | null;

/**
 * Returns a corrector mapping a misspelt word to the single closest vocabulary word, or null when
 * nothing is close enough or two words are equally close (a guess would be a coin flip).
 */
export function createWordCorrector(vocabulary: Iterable<string>): WordCorrector {
  const targets = [...new Set(vocabulary)].filter((w) => w.length >= 4 && /^[a-z]+$/.test(w)).sort();
  const fuse = new Fuse(targets, { includeScore: true, threshold: 0.45, ignoreLocation: true, isCaseSensitive: true });
  const memo = new Map<string, string | null>();

  return (word) => {
    const known = memo.get(word);
    if (known !== undefined) return known;
    let best: string | null = null;
    const budget = allowedEdits(word.length);
    if (budget > 0) {
      let bestDistance = Number.POSITIVE_INFINITY;
      let tie = false;
      for (const { item } of fuse.search(word)) {
        // Typos almost never hit the first letter; requiring it keeps "toffee" from becoming "coffee".
        if (item[0] !== word[0]) continue;
        const distance = editDistance(word, item);
        if (distance > budget) continue;
        if (distance < bestDistance) {
          best = item;
          bestDistance = distance;
          tie = false;
        } else if (distance === bestDistance && item !== best) tie = true;
      }
      if (tie) best = null;
    }
    if (memo.size > 10_000) memo.clear(); // bounded: a long-running bot sees endless new words
    memo.set(word, best);
    return best;
  };
}

/** Consonant outline of a word: vowels dropped, "ck" read as "k", doubled letters collapsed ("chicken" -> "chkn"). */
export function consonantSkeleton(word: string): string {
  return word.replace(/ck/g, 'k').replace(/[aeiouy]/g, '').replace(/(.)\1+/g, '$1');
}

/** Whether every letter of `short` appears in `long`, in order. */
function isSubsequence(short: string, long: string): boolean {
  let at = 0;
  for (const ch of long) if (ch === short[at]) at++;
  return at === short.length;
}

export type AbbreviationMatcher = (word: string) => string[];

/**
 * Short forms typed in a hurry: a prefix of a vocabulary word ("cap", "choc", "larg", "pep") or the same
 * word with letters left out and the same consonant outline ("dcaf", "chkn"). Returns every vocabulary
 * word the short form could stand for; the caller uses it only when the catalog phrase it completes is
 * unambiguous. Words under 3 letters are never expanded ("sm", "lg" need catalog aliases).
 */
export function createAbbreviationMatcher(vocabulary: Iterable<string>): AbbreviationMatcher {
  const targets = [...new Set(vocabulary)].filter((w) => w.length >= 4 && /^[a-z]+$/.test(w));
  const byFirstLetter = new Map<string, string[]>();
  for (const target of targets) {
    const list = byFirstLetter.get(target[0] ?? '') ?? [];
    list.push(target);
    byFirstLetter.set(target[0] ?? '', list);
  }
  const memo = new Map<string, string[]>();
  return (word) => {
    const known = memo.get(word);
    if (known) return known;
    let found: string[] = [];
    if (word.length >= 3 && /^[a-z]+$/.test(word)) {
      const skeleton = consonantSkeleton(word);
      found = (byFirstLetter.get(word[0] ?? '') ?? []).filter((target) =>
        target.length > word.length &&
        (target.startsWith(word) || (skeleton.length >= 2 && isSubsequence(word, target) && consonantSkeleton(target) === skeleton)));
    }
    if (memo.size > 10_000) memo.clear();
    memo.set(word, found);
    return found;
  };
}
