/**
 * Report weeks run Monday 00:00 to the next Monday 00:00 (UTC), and are named
 * by their last day, the Sunday: "week ending 22 November 2026".
 */
const DAY = 86_400_000;

export interface ReportWeek {
  /** The Sunday, YYYY-MM-DD. */
  weekEnding: string;
  start: Date;
  /** Exclusive: the Monday after. Figures are "as of" this moment. */
  end: Date;
}

export function weekEndingOn(weekEnding: string): ReportWeek | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(weekEnding)) return null;
  const sunday = new Date(`${weekEnding}T00:00:00.000Z`);
  if (Number.isNaN(sunday.getTime()) || sunday.getUTCDay() !== 0 || sunday.toISOString().slice(0, 10) !== weekEnding) return null;
  const end = new Date(sunday.getTime() + DAY);
  return { weekEnding, start: new Date(end.getTime() - 7 * DAY), end };
}

/** The week that contains `moment`. */
export function weekContaining(moment: Date): ReportWeek {
  const midnight = Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate());
  const daysToSunday = (7 - new Date(midnight).getUTCDay()) % 7;
  return weekEndingOn(new Date(midnight + daysToSunday * DAY).toISOString().slice(0, 10))!;
}

/** The most recent week that has ended by `now`. */
export function latestCompletedWeek(now: Date): ReportWeek {
  const current = weekContaining(now);
  return weekEndingOn(new Date(current.start.getTime() - DAY).toISOString().slice(0, 10))!;
}
