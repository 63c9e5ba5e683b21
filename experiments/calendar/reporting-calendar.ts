/**
 * The one reporting calendar every figure on every screen uses (decision 0015).
 *
 * A reporting week runs from Monday 00:00 to the next Monday 00:00, UTC, and is
 * named by its last day, the Sunday: "week ending 22 November 2026". UTC all year
 * (no British Summer Time shift), because the reports' read model counts whole
 * UTC days and a week must be exactly seven of them. A week's data cut-off is the
 * Monday 00:00 that ends it: a frozen week counts the records that happened
 * before that moment, and nothing after.
 *
 * All arithmetic is on whole UTC day numbers (days since 1970-01-01), so no
 * rounding can move a moment into the next day.
 */
export const DAY_MS = 86_400_000;

export interface ReportWeek {
  /** The Sunday, YYYY-MM-DD. */
  weekEnding: string;
  /** Monday 00:00 UTC. */
  start: Date;
  /** Exclusive: the Monday after, 00:00 UTC. The data cut-off. */
  end: Date;
  /** UTC day numbers of the Monday and the Sunday (inclusive). */
  firstDay: number;
  lastDay: number;
}

/** The UTC day number (days since 1970-01-01) that contains `moment`. */
export function utcDayOf(moment: Date): number {
  return Math.floor(moment.getTime() / DAY_MS);
}

/** YYYY-MM-DD of a UTC day number. */
export function isoDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The week whose Sunday is the UTC day number `sunday`. */
function weekFromSunday(sunday: number): ReportWeek {
  return {
    weekEnding: isoDateOfDay(sunday),
    start: new Date((sunday - 6) * DAY_MS),
    end: new Date((sunday + 1) * DAY_MS),
    firstDay: sunday - 6,
    lastDay: sunday,
  };
}

/** The week named by a Sunday (YYYY-MM-DD); null for anything else. */
export function weekEndingOn(weekEnding: string): ReportWeek | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(weekEnding)) return null;
  const sunday = new Date(`${weekEnding}T00:00:00.000Z`);
  if (Number.isNaN(sunday.getTime()) || sunday.getUTCDay() !== 0 || sunday.toISOString().slice(0, 10) !== weekEnding) return null;
  return weekFromSunday(utcDayOf(sunday));
}

/** The week that contains the UTC day number `day`. */
export function weekContainingDay(day: number): ReportWeek {
  // 1970-01-01 was a Thursday: day 3 is the first Sunday.
  const daysToSunday = (((3 - day) % 7) + 7) % 7;
  return weekFromSunday(day + daysToSunday);
}

/** The week that contains `moment`. */
export function weekContaining(moment: Date): ReportWeek {
  return weekContainingDay(utcDayOf(moment));
}

/** The most recent week that has ended by `now`. */
export function latestCompletedWeek(now: Date): ReportWeek {
  return weekFromSunday(weekContaining(now).firstDay - 1);
}

/** Every week from the one containing `from` to the one containing `to`, oldest first. */
export function weeksBetween(from: Date, to: Date): ReportWeek[] {
  const weeks: ReportWeek[] = [];
  for (let week = weekContaining(from); week.firstDay <= utcDayOf(to); week = weekFromSunday(week.lastDay + 7)) weeks.push(week);
  return weeks;
}
