import { FRIDAY, MONDAY, SATURDAY, SUNDAY, THURSDAY, WEDNESDAY, dayNumber, easterSunday, nthWeekday, weekday, ymd } from './calendar-day';

/** A day the exchange is closed (or closes early), with the reason a user is shown. */
export interface NamedDay {
  readonly day: number;
  readonly name: string;
}

/**
 * Closures the rules cannot know: national days of mourning and emergencies (2000-2035; add new
 * ones here when the exchange announces them). Source: NYSE and Nasdaq notices at the time.
 */
export const US_EQUITY_ONE_OFF_CLOSURES: ReadonlyArray<{ readonly day: string; readonly name: string }> = [
  { day: '2001-09-11', name: 'September 11 attacks' },
  { day: '2001-09-12', name: 'September 11 attacks' },
  { day: '2001-09-13', name: 'September 11 attacks' },
  { day: '2001-09-14', name: 'September 11 attacks' },
  { day: '2004-06-11', name: 'National day of mourning (President Reagan)' },
  { day: '2007-01-02', name: 'National day of mourning (President Ford)' },
  { day: '2012-10-29', name: 'Hurricane Sandy' },
  { day: '2012-10-30', name: 'Hurricane Sandy' },
  { day: '2018-12-05', name: 'National day of mourning (President G. H. W. Bush)' },
  { day: '2025-01-09', name: 'National day of mourning (President Carter)' },
];

/** Early closes the rules cannot know: the Friday after Christmas 2003 (an NYSE decision that year). */
export const US_EQUITY_ONE_OFF_EARLY_CLOSES: ReadonlyArray<{ readonly day: string; readonly name: string }> = [
  { day: '2003-12-26', name: 'Day after Christmas 2003' },
];

// A fixed-date holiday on a weekend moves to the nearest weekday: Saturday → Friday, Sunday → Monday.
function nearestWeekday(day: number): number {
  const wd = weekday(day);
  return wd === SATURDAY ? day - 1 : wd === SUNDAY ? day + 1 : day;
}

/**
 * Full-day holidays of the NYSE and Nasdaq in `year`, by the rules in force since 2000.
 * New Year's Day on a Sunday is observed on Monday, on a Saturday not at all (the exchange
 * keeps Dec 31 open for year-end); Juneteenth counts from 2022, its first year on the exchanges.
 */
export function usEquityHolidays(year: number): NamedDay[] {
  const days: NamedDay[] = [];
  const newYear = ymd(year, 1, 1);
  if (weekday(newYear) === SUNDAY) days.push({ day: newYear + 1, name: "New Year's Day (observed)" });
  else if (weekday(newYear) !== SATURDAY) days.push({ day: newYear, name: "New Year's Day" });
  days.push({ day: nthWeekday(year, 1, MONDAY, 3), name: 'Martin Luther King Jr. Day' });
  days.push({ day: nthWeekday(year, 2, MONDAY, 3), name: "Presidents' Day" });
  days.push({ day: easterSunday(year) - 2, name: 'Good Friday' });
  days.push({ day: nthWeekday(year, 5, MONDAY, -1), name: 'Memorial Day' });
  if (year >= 2022) days.push({ day: nearestWeekday(ymd(year, 6, 19)), name: 'Juneteenth' });
  days.push({ day: nearestWeekday(ymd(year, 7, 4)), name: 'Independence Day' });
  days.push({ day: nthWeekday(year, 9, MONDAY, 1), name: 'Labor Day' });
  days.push({ day: nthWeekday(year, 11, THURSDAY, 4), name: 'Thanksgiving Day' });
  days.push({ day: nearestWeekday(ymd(year, 12, 25)), name: 'Christmas Day' });
  for (const c of US_EQUITY_ONE_OFF_CLOSURES) {
    const day = dayNumber(c.day);
    if (day >= ymd(year, 1, 1) && day <= ymd(year, 12, 31)) days.push({ day, name: c.name });
  }
  return days;
}

/**
 * Days of `year` that close at 13:00: the day before Independence Day (July 3 on a Monday,
 * Tuesday or Thursday; on a Wednesday from 2013; before 2013 the Friday July 5 after a Thursday
 * holiday instead), the day after Thanksgiving, and Christmas Eve on a Monday to Thursday
 * (on a Friday it is the observed Christmas holiday).
 */
export function usEquityEarlyCloses(year: number): NamedDay[] {
  const days: NamedDay[] = [];
  const july3 = ymd(year, 7, 3);
  const july3Weekday = weekday(july3);
  if (july3Weekday === MONDAY || july3Weekday === MONDAY + 1 || july3Weekday === THURSDAY || (july3Weekday === WEDNESDAY && year >= 2013)) {
    days.push({ day: july3, name: 'Day before Independence Day' });
  }
  if (year < 2013 && weekday(july3 + 2) === FRIDAY) days.push({ day: july3 + 2, name: 'Day after Independence Day' });
  days.push({ day: nthWeekday(year, 11, THURSDAY, 4) + 1, name: 'Day after Thanksgiving' });
  const christmasEve = ymd(year, 12, 24);
  if (weekday(christmasEve) >= MONDAY && weekday(christmasEve) <= THURSDAY) days.push({ day: christmasEve, name: 'Christmas Eve' });
  for (const c of US_EQUITY_ONE_OFF_EARLY_CLOSES) {
    const day = dayNumber(c.day);
    if (day >= ymd(year, 1, 1) && day <= ymd(year, 12, 31)) days.push({ day, name: c.name });
  }
  return days;
}
