// Wall-clock arithmetic in the provider's time zone using only Intl (no tz database dependency).

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

export interface ZoneClock {
  readonly timeZone: string;
  /** The provider's wall clock at `instant`. */
  localParts(instant: Date): LocalDateTime;
  /** The instant at which the provider's wall clock shows this date and time; day overflow is fine. */
  toInstant(year: number, month: number, day: number, hour: number, minute: number): Date;
  /** "9:15 AM" in the provider's zone. */
  formatTime(instant: Date): string;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function createZoneClock(timeZone: string): ZoneClock {
  const partsFormat = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const timeFormat = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit' });

  const localParts = (instant: Date): LocalDateTime & { second: number } => {
    const parts: Record<string, string> = {};
    for (const part of partsFormat.formatToParts(instant)) parts[part.type] = part.value;
    return {
      year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
      hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second),
      weekday: WEEKDAYS.indexOf(parts.weekday ?? 'Sun'),
    };
  };

  /** How far the zone's wall clock is ahead of UTC at `epochMs`. */
  const offsetAt = (epochMs: number): number => {
    const p = localParts(new Date(epochMs));
    const wallAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return wallAsUtc - Math.floor(epochMs / 1000) * 1000;
  };

  return {
    timeZone,
    localParts,
    toInstant(year, month, day, hour, minute) {
      const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute);
      const firstGuess = wallAsUtc - offsetAt(wallAsUtc);
      // Near a DST switch the offset at the guess can differ from the offset at the answer.
      const secondOffset = offsetAt(firstGuess);
      return new Date(wallAsUtc - secondOffset);
    },
    formatTime: (instant) => timeFormat.format(instant).replace(/\u202f/g, ' '),
  };
}
