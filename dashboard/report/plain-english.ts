import type { Interval } from '../../analysis/types.ts';

/**
 * Plain-English sentences for ministers, built from a difference between two
 * rates and its interval. They only claim an effect when the interval
 * excludes zero, and otherwise say "no clear difference yet" or "too early to
 * tell": the wording can never be stronger than the evidence.
 */

/** What people did, for "N more people in every 100 …". */
const PHRASES: Record<string, string> = {
  outreach_attempted: 'were contacted',
  responded: 'replied',
  meeting_agreed: 'agreed to a meeting',
  meeting_attended: 'came to a first meeting',
  meeting_not_attended: 'missed their first meeting',
  wants_to_continue: 'wanted to carry on after the first meeting',
  plan_agreed: 'agreed a plan',
  topics_covered: 'had their topics recorded',
  engaged_4w: 'were still engaged after 4 weeks',
  engaged_8w: 'were still engaged after 8 weeks',
  engaged_13w: 'were still engaged after 13 weeks',
  started_work: 'started work',
  in_work_13w: 'were in work 13 weeks later',
  in_work_26w: 'were in work 26 weeks later',
  disengaged: 'stopped engaging',
  opted_out: 'asked not to be contacted again',
  complaint: 'complained',
};

export function metricPhrase(metricKey: string, label: string): string {
  return PHRASES[metricKey] ?? `reached “${label.toLowerCase()}”`;
}

export type Reading = 'more' | 'fewer' | 'no_clear_difference' | 'too_early';

/** Percentage points as a whole number of people in every 100 (one decimal below 1). */
export function perHundred(points: number): string {
  const magnitude = Math.abs(points);
  if (magnitude === 0) return '0';
  if (magnitude < 0.95) return magnitude.toFixed(1);
  return String(Math.round(magnitude));
}

/** Reads an interval of a rate difference (fractions): an effect only when it excludes zero. */
export function readInterval(interval: Interval | null): Reading {
  if (!interval || !interval.every(Number.isFinite)) return 'too_early';
  if (interval[0] > 0) return 'more';
  if (interval[1] < 0) return 'fewer';
  return 'no_clear_difference';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function intervalWords(interval: Interval): string {
  const [low, high] = interval.map((v) => v * 100);
  if (low >= 0) return `between ${perHundred(low)} and ${perHundred(high)} more`;
  if (high <= 0) return `between ${perHundred(high)} and ${perHundred(low)} fewer`;
  return `anywhere between ${perHundred(low)} fewer and ${perHundred(high)} more`;
}

/**
 * "Warm texts: 9 more people in every 100 agreed to a meeting than with the
 * standard letter (between 4 and 14 more)." — or a cautious sentence when the
 * interval includes zero, or a "too early" one when figures are withheld.
 */
export function comparisonSentence(options: {
  armName: string;
  controlName: string;
  phrase: string;
  difference: number | null;
  interval: Interval | null;
  withheld: boolean;
}): { reading: Reading; sentence: string } {
  const { armName, controlName, phrase, difference, interval, withheld } = options;
  const control = lowerFirst(controlName);
  if (withheld || difference === null || !interval)
    return { reading: 'too_early', sentence: `${armName}: too early to tell. The numbers are still too small to report.` };
  const reading = readInterval(interval);
  const points = difference * 100;
  if (reading === 'more' || reading === 'fewer')
    return {
      reading,
      sentence: `${armName}: ${perHundred(points)} ${reading} people in every 100 ${phrase} than with ${control} (${intervalWords(interval)}).`,
    };
  const direction = points > 0 ? 'more' : points < 0 ? 'fewer' : 'no more';
  const observed = points === 0 ? 'the same share of people' : `${perHundred(points)} ${direction} in every 100 so far`;
  return {
    reading,
    sentence: `${armName}: no clear difference yet from ${control}. ${observed.charAt(0).toUpperCase() + observed.slice(1)}, but the true difference could be ${intervalWords(interval)}.`,
  };
}
