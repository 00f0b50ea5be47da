// Pickup time: relative ("in 15 minutes"), clock ("at 9:30", "at noon", "quarter past ten", bare "at 8")
// and day words ("tomorrow", "friday"), resolved on the provider's wall clock relative to `now`.
import type { FoldedText } from './text.js';
import { NUMBER_WORDS } from './vocabulary.js';
import type { ZoneClock } from './zone.js';

interface ClockTime {
  hour: number;
  minute: number;
  meridiem: 'am' | 'pm' | null;
  /** "14:30", "08:00", "noon": no am/pm guessing needed. */
  unambiguous: boolean;
}

type DayPeriod = 'am' | 'pm' | null;

interface DaySpec {
  /** Days after today, or a weekday to find. */
  offset: number | null;
  weekday: number | null;
  forceNextWeek: boolean;
  period: DayPeriod;
}

interface Found<T> {
  start: number;
  end: number;
  value: T;
}

const NUMBER_WORD = '(?:(?:twenty|thirty|forty|fifty)[- ]?(?:one|two|three|four|five|six|seven|eight|nine)|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty)';
const HOUR_WORD = '(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)';
const MERIDIEM = '(a\\.?m\\.?|p\\.?m\\.?)';
// Words that lead into a time; kept in the consumed span so they do not linger as noise.
const LEAD = '(?:(?:pick(?:ing)?[\\s-]?up|pickup|collect(?:ion|ing)?|ready|there|here|arrive|arriving|come|coming|swing by|stop by|be)\\s+)';
const AT = '(?:at|@|by|around|about|for|before|~)\\s+(?:around\\s+|about\\s+|like\\s+|approx(?:imately)?\\s+)?';
const TRIGGER = `(?<![a-z])(?:${LEAD}?${AT}|${LEAD})`;
const BARE_TRIGGER = `(?<![a-z])(?:${LEAD}?(?:at|@|by|around|about|before|~)\\s+(?:around\\s+|about\\s+|like\\s+)?|(?:pick(?:ing)?[\\s-]?up|pickup)\\s+(?:at\\s+)?)`;

const ASAP = /\b(?:asap|a\.s\.a\.p\.?|as soon as (?:possible|you can)|right away|straight away|right now|immediately)\b/g;
const RELATIVE = new RegExp(
  `\\b(?:${LEAD})?(?:in|within)\\s+(?:about\\s+|around\\s+|roughly\\s+|approx(?:imately)?\\s+|like\\s+|maybe\\s+)?` +
  `(\\d+(?:\\.\\d+)?|half an?|an?\\s+half|a couple(?: of)?|a few|an?|${NUMBER_WORD})\\s*-?\\s*(minutes?|mins?|m|hours?|hrs?|hr|h)\\b` +
  `(?:\\s+and\\s+(?:(a half)|(\\d+|${NUMBER_WORD})\\s*(minutes?|mins?|m)\\b))?(?:\\s+from\\s+now)?`,
  'g',
);
// "ready in 10", "pick up in 20": a pickup verb makes a unitless number minutes.
const RELATIVE_MINUTES = /\b(?:pick(?:ing)?[\s-]?up|pickup|ready|be\s+there|be\s+by|there|arrive|arriving|come\s+by|swing\s+by|grab\s+it)\s+(?:in|within)\s+(\d{1,3})\b(?!\s*(?:[:.]\d|[a-z]))/g;
const FROM_NOW = new RegExp(`\\b(\\d+(?:\\.\\d+)?|an?|${NUMBER_WORD})\\s*(minutes?|mins?|hours?|hrs?)\\s+from\\s+now\\b`, 'g');
const DAY = /\b(?:(?:for|on|by)\s+)?(?:(today|tonight|tonite)|(tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)|(?:(next|this|coming)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b)(?:\s+(morning|afternoon|evening|night))?|\b(?:this|in the)\s+(morning|afternoon|evening)\b/g;
const CLOCK_COLON = new RegExp(`(?<![$£€\\d.])(?:${TRIGGER})?\\b(\\d{1,2})[:.](\\d{2})(?!\\d)(?:\\s*${MERIDIEM}(?![a-z]))?`, 'g');
const CLOCK_MERIDIEM = new RegExp(`(?<![$£€\\d.])(?:${TRIGGER})?\\b(\\d{1,2}|${HOUR_WORD})\\s*(?:${MERIDIEM}|(o'?clock))(?![a-z])`, 'g');
const CLOCK_NOON = new RegExp(`(?:${TRIGGER})?\\b(?:12\\s*)?(noon|midday|midnight|lunchtime|lunch time)\\b`, 'g');
const CLOCK_PAST = new RegExp(
  `(?:${TRIGGER})?\\b(quarter|half|\\d{1,2}|${NUMBER_WORD})\\s+(?:minutes?\\s+)?(past|after|to|til|till|before)\\s+(\\d{1,2}|${HOUR_WORD})\\b(?:\\s*${MERIDIEM}(?![a-z]))?`,
  'g',
);
const CLOCK_BARE = new RegExp(
  `${BARE_TRIGGER}(\\d{1,2}|${HOUR_WORD})(?:\\s+(fifteen|thirty|forty[- ]five|(?:oh|o)\\s+(?:five|${HOUR_WORD})|twenty|forty|fifty|ten|\\d{2}))?(?:\\s*-?ish)?\\b`,
  'g',
);
// "for 7 tomorrow morning": "for" + a bare hour is a time only when a day word follows.
const CLOCK_FOR_DAY = new RegExp(
  `(?<![a-z])for\\s+(\\d{1,2}|${HOUR_WORD})(?=\\s+(?:tomorrow|tmrw|today|tonight|this\\s+(?:morning|afternoon|evening)|in\\s+the\\s+(?:morning|afternoon|evening)|(?:on\\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\\b)`,
  'g',
);
// A bare "at 8" must end the phrase; "pick up 2 lattes" is a quantity, not a time.
const AFTER_BARE_HOUR = /^\s*(?:$|[^a-z0-9\s]|(?:am|pm|please|pls|thanks|thank|thx|ty|and|for|then|tomorrow|today|tonight|sharp|ish|if|or|so|on|in|this|pickup|pick|latest|the|at|oclock|my|name|it|cheers|tomorow|tmrw|morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|saturday|sunday|with|thanks)\b)/;

const WEEKDAY_PREFIXES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function numberValue(raw: string): number | null {
  const word = raw.trim();
  if (/^\d+(?:\.\d+)?$/.test(word)) return Number(word);
  if (word === 'a' || word === 'an') return 1;
  if (/^half an?$|^an? half$/.test(word)) return 0.5;
  if (word.startsWith('a couple')) return 2;
  if (word === 'a few') return 5;
  const parts = word.split(/[- ]/);
  let total = 0;
  for (const part of parts) {
    const value = NUMBER_WORDS.get(part);
    if (value === undefined) return null;
    total += value;
  }
  return total;
}

function meridiemOf(raw: string | undefined): 'am' | 'pm' | null {
  if (!raw) return null;
  return raw.startsWith('p') ? 'pm' : 'am';
}

function findAll<T>(pattern: RegExp, text: string, read: (m: RegExpExecArray) => T | null): Found<T>[] {
  const found: Found<T>[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const value = read(m);
    if (value !== null) found.push({ start: m.index, end: m.index + m[0].length, value });
    if (m[0].length === 0) pattern.lastIndex++;
  }
  return found;
}

function findRelative(text: string): Found<number>[] {
  const unitMs = (unit: string): number => (unit.startsWith('h') ? 3_600_000 : 60_000);
  const relative = findAll(RELATIVE, text, (m) => {
    const amount = numberValue(m[1] ?? '');
    if (amount === null) return null;
    let ms = amount * unitMs(m[2] ?? 'm');
    if (m[3]) ms += 0.5 * unitMs(m[2] ?? 'm');
    const extra = m[4] ? numberValue(m[4]) : null;
    if (extra !== null) ms += extra * unitMs(m[5] ?? 'm');
    return ms;
  });
  const fromNow = findAll(FROM_NOW, text, (m) => {
    const amount = numberValue(m[1] ?? '');
    return amount === null ? null : amount * unitMs(m[2] ?? 'm');
  });
  const bareMinutes = findAll(RELATIVE_MINUTES, text, (m) => Number(m[1]) * 60_000);
  return [...relative, ...fromNow, ...bareMinutes];
}

function findDays(text: string): Found<DaySpec>[] {
  return findAll(DAY, text, (m): DaySpec | null => {
    const periodWord = m[5] ?? m[6];
    const period: DayPeriod = periodWord === undefined ? null : periodWord === 'morning' ? 'am' : 'pm';
    if (m[1]) return { offset: 0, weekday: null, forceNextWeek: false, period: m[1] === 'today' ? period : 'pm' };
    if (m[2]) return { offset: 1, weekday: null, forceNextWeek: false, period };
    if (m[4]) {
      // Three-letter forms ("sat", "sun", "wed") are ordinary words unless something marks them as a day.
      const hasMarker = /^(?:for|on|by|next|this|coming)\b/.test(m[0]);
      if (m[4].length <= 4 && !['tues', 'thur', 'thurs'].includes(m[4]) && !hasMarker) return null;
      const weekday = WEEKDAY_PREFIXES.indexOf(m[4].slice(0, 3));
      return { offset: null, weekday, forceNextWeek: m[3] === 'next', period };
    }
    if (m[6]) return { offset: 0, weekday: null, forceNextWeek: false, period };
    return null;
  });
}

function hourValue(raw: string): number | null {
  return /^\d+$/.test(raw) ? Number(raw) : (NUMBER_WORDS.get(raw) ?? null);
}

function minuteWords(raw: string | undefined): number | null {
  if (!raw) return 0;
  if (/^\d{2}$/.test(raw)) return Number(raw);
  const oh = /^(?:oh|o)\s+(\w+)$/.exec(raw);
  if (oh) return NUMBER_WORDS.get(oh[1] ?? '') ?? null;
  return numberValue(raw);
}

function validClock(clock: ClockTime): ClockTime | null {
  const maxHour = clock.meridiem ? 12 : 23;
  if (clock.hour > maxHour || clock.minute > 59 || clock.minute < 0) return null;
  if (clock.meridiem && clock.hour === 0) return null;
  return clock;
}

function findClocks(text: string): Found<ClockTime>[] {
  const colon = findAll(CLOCK_COLON, text, (m) => {
    const raw = m[1] ?? '';
    const hour = Number(raw);
    const meridiem = meridiemOf(m[3]);
    return validClock({ hour, minute: Number(m[2]), meridiem, unambiguous: !meridiem && (hour > 12 || hour === 0 || raw.startsWith('0')) });
  });
  const withMeridiem = findAll(CLOCK_MERIDIEM, text, (m) => {
    const hour = hourValue(m[1] ?? '');
    if (hour === null) return null;
    return validClock({ hour, minute: 0, meridiem: meridiemOf(m[2]), unambiguous: false });
  });
  const noon = findAll(CLOCK_NOON, text, (m) =>
    m[1] === 'midnight' ? { hour: 0, minute: 0, meridiem: null, unambiguous: true } : { hour: 12, minute: 0, meridiem: null, unambiguous: true },
  );
  const past = findAll(CLOCK_PAST, text, (m) => {
    const hour = hourValue(m[3] ?? '');
    const amount = m[1] === 'quarter' ? 15 : m[1] === 'half' ? 30 : numberValue(m[1] ?? '');
    if (hour === null || amount === null || amount >= 60) return null;
    const before = /^(?:to|til|till|before)$/.test(m[2] ?? '');
    const minutes = before ? hour * 60 - amount : hour * 60 + amount;
    const normalized = (minutes + 24 * 60) % (24 * 60);
    // These are 12-hour phrases: "quarter to one" is 12:45, never 00:45.
    return validClock({ hour: Math.floor(normalized / 60) || 12, minute: normalized % 60, meridiem: meridiemOf(m[4]), unambiguous: false });
  });
  const bare = findAll(CLOCK_BARE, text, (m) => {
    const end = m.index + m[0].length;
    if (!AFTER_BARE_HOUR.test(text.slice(end))) return null;
    const hour = hourValue(m[1] ?? '');
    const minute = minuteWords(m[2]);
    if (hour === null || minute === null) return null;
    return validClock({ hour, minute, meridiem: null, unambiguous: hour > 12 || hour === 0 });
  });
  const forDay = findAll(CLOCK_FOR_DAY, text, (m) => {
    const hour = hourValue(m[1] ?? '');
    return hour === null ? null : validClock({ hour, minute: 0, meridiem: null, unambiguous: hour > 12 || hour === 0 });
  });
  return [...colon, ...withMeridiem, ...noon, ...past, ...bare, ...forDay];
}

/** Drops matches overlapping an earlier, longer one, so "at 9:30" is not also read as "at 9". */
function nonOverlapping<T>(found: Found<T>[]): Found<T>[] {
  const sorted = [...found].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Found<T>[] = [];
  for (const f of sorted) {
    const last = kept[kept.length - 1];
    if (last && f.start < last.end) continue;
    kept.push(f);
  }
  return kept;
}

function to24Hour(clock: ClockTime, period: DayPeriod): number | null {
  const meridiem = clock.meridiem ?? (clock.unambiguous ? null : period);
  if (meridiem === 'am') return clock.hour % 12;
  if (meridiem === 'pm') return (clock.hour % 12) + 12;
  return clock.unambiguous ? clock.hour : null;
}

function daytimeHour(hour: number): number {
  const h = hour % 12;
  return h >= 1 && h <= 6 ? h + 12 : h === 0 ? 12 : h;
}

function resolveClock(clock: ClockTime, day: DaySpec | null, now: Date, zone: ZoneClock): Date {
  const today = zone.localParts(now);
  const at = (dayOffset: number, hour: number): Date => zone.toInstant(today.year, today.month, today.day + dayOffset, hour, clock.minute);
  const hour24 = to24Hour(clock, day?.period ?? null);

  if (day) {
    let offset = day.offset ?? (((day.weekday ?? 0) - today.weekday + 7) % 7);
    if (day.weekday !== null && offset === 0 && day.forceNextWeek) offset = 7;
    // No "now" to be after on a later day, so read an ambiguous hour as opening hours would:
    // "tomorrow at 8" is 8 AM, "tomorrow at 3" is 3 PM, "tomorrow at 12" is noon.
    const hour = hour24 ?? (offset === 0 ? null : daytimeHour(clock.hour));
    if (hour !== null) {
      const result = at(offset, hour);
      return day.weekday !== null && offset === 0 && result <= now ? at(7, hour) : result;
    }
  }
  if (hour24 !== null) return at(0, hour24);
  // A bare hour is its next occurrence after now: at 09:00, "at 8" is 20:00 and "at 10" is 10:00.
  for (let offset = 0; offset <= 1; offset++) {
    for (const hour of [clock.hour % 12, (clock.hour % 12) + 12]) {
      const candidate = at(offset, hour);
      if (candidate > now) return candidate;
    }
  }
  return at(1, clock.hour % 12);
}

/**
 * Finds the pickup time in `text`, consumes every time phrase so item parsing never sees "at 8" as a
 * quantity, and returns the resolved instant or null (no time given = as soon as possible).
 */
export function extractPickupTime(text: FoldedText, now: Date, zone: ZoneClock): Date | null {
  const value = text.value;
  const asap = findAll(ASAP, value, () => true);
  const relative = nonOverlapping(findRelative(value));
  const clocks = nonOverlapping(findClocks(value));
  const days = findDays(value);
  for (const span of [...asap, ...relative, ...clocks, ...days]) text.consume(span.start, span.end);

  const firstRelative = relative[0];
  const firstClock = clocks[0];
  if (firstRelative && (!firstClock || firstRelative.start < firstClock.start)) return new Date(now.getTime() + firstRelative.value);
  if (!firstClock) return null;
  return resolveClock(firstClock.value, days[0]?.value ?? null, now, zone);
}
