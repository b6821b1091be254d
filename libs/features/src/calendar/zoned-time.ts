const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC (milliseconds, east positive) at an instant, from the runtime's tz data. */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  const whole = instantMs - (((instantMs % 1000) + 1000) % 1000);
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(whole))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second) - whole;
}

/**
 * The UTC instant of a wall-clock time (`minutes` after midnight of day number `day`) in a zone.
 * Two passes: the offset at the first guess may be the other side of a DST change. Session
 * times (09:30, 13:00, 16:00) never fall in the skipped or repeated hour, so there is one answer.
 */
export function wallTimeToUtc(day: number, minutes: number, timeZone: string): Date {
  const asUtc = day * 86_400_000 + minutes * 60_000;
  let utc = asUtc - zoneOffsetMs(timeZone, asUtc);
  const again = zoneOffsetMs(timeZone, utc);
  if (asUtc - again !== utc) utc = asUtc - again;
  return new Date(utc);
}
