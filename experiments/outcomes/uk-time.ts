/**
 * Days as people in Great Britain count them: "today", "the day it was agreed"
 * and "tomorrow" start at midnight UK time (GMT in winter, BST in summer), not
 * at midnight UTC, or a meeting at 00:30 in July would fall on the wrong day.
 */

const ukParts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

function partsOf(date: Date) {
  const parts = Object.fromEntries(ukParts.formatToParts(date).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24, minute: Number(parts.minute) };
}

/** The UK calendar date of an instant, as YYYY-MM-DD. */
export function ukDateKey(date: Date): string {
  const { year, month, day } = partsOf(date);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The instant a UK wall-clock time happens (day, month, year, hours, minutes),
 * or null for a date that does not exist (31 February).
 * @example ukWallClock(2026, 7, 1, 10, 30)?.toISOString() // '2026-07-01T09:30:00.000Z'
 */
export function ukWallClock(year: number, month: number, day: number, hours = 0, minutes = 0): Date | null {
  const guess = new Date(Date.UTC(year, month - 1, day, hours, minutes));
  if (guess.getUTCFullYear() !== year || guess.getUTCMonth() !== month - 1 || guess.getUTCDate() !== day) return null;
  // The UK is UTC or UTC+1: read the offset at the guessed instant and step back by it.
  const seen = partsOf(guess);
  const offsetMinutes = (Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute) - guess.getTime()) / 60_000;
  return new Date(guess.getTime() - offsetMinutes * 60_000);
}

/**
 * Midnight UK time at the start of the day an instant falls on, `plusDays` days on.
 * @example ukDayStart(new Date('2026-07-01T23:30:00Z')).toISOString() // '2026-07-01T23:00:00.000Z' (midnight BST on 2 July)
 */
export function ukDayStart(date: Date, plusDays = 0): Date {
  const { year, month, day } = partsOf(date);
  const shifted = new Date(Date.UTC(year, month - 1, day + plusDays));
  return ukWallClock(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate())!;
}

const dateWords = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });

/** "3 December 2026 at 2pm" (UK time), as the pages write it, for messages from the services. */
export function ukDateTimeWords(date: Date): string {
  const { hour, minute } = partsOf(date);
  const clock = minute === 0 && hour === 12 ? 'midday' : minute === 0 && hour === 0 ? 'midnight' : `${hour % 12 || 12}${minute === 0 ? '' : `:${String(minute).padStart(2, '0')}`}${hour < 12 ? 'am' : 'pm'}`;
  return `${dateWords.format(date)} at ${clock}`;
}

/** "3 December 2026" (UK time). */
export function ukDateWords(date: Date): string {
  return dateWords.format(date);
}
