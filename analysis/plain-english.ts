import type { ComparisonResult } from './report-types.ts';

/**
 * One sentence, in plain English, on what a comparison shows, which never
 * claims more than the interval supports: a difference is stated only when the
 * interval the verdict is read from (the decision rule's, adjusted for weekly
 * looks) excludes zero; otherwise it says there is not enough evidence yet,
 * with that range.
 *
 * @example
 * describeComparison({ metric: 'Meeting agreed', kind: 'binary', controlName: 'Letter, standard',
 *   comparison: { name: 'Text, warm', difference: 0.09, verdictInterval: [0.04, 0.14], verdict: 'better', … } })
 * // 'Text, warm: 9 more people in every 100 reached “Meeting agreed” than with Letter, standard (between 4 and 14 more).'
 */
export function describeComparison(input: {
  metric: string;
  kind: 'binary' | 'numeric';
  controlName: string;
  comparison: Pick<ComparisonResult, 'name' | 'difference' | 'verdictInterval' | 'verdict'>;
}): string {
  const { metric, kind, controlName, comparison } = input;
  const interval = comparison.verdictInterval;
  if (comparison.verdict === 'not_enough_evidence' && comparison.difference !== null && !interval)
    return `${comparison.name}: not enough evidence yet of a difference in ${quote(metric)} from ${controlName}; this early in the plan no difference could be called.`;
  if (comparison.verdict === 'too_early' || comparison.difference === null || !interval)
    return `${comparison.name}: too early to tell; there are not yet enough people in each group to compare ${quote(metric)}.`;

  if (kind === 'binary') {
    const per100 = (x: number) => number(Math.abs(x) * 100);
    const direction = comparison.difference >= 0 ? 'more' : 'fewer';
    if (comparison.verdict === 'better' || comparison.verdict === 'worse') {
      const [lo, hi] = comparison.difference >= 0 ? interval : [-interval[1], -interval[0]];
      return `${comparison.name}: ${per100(comparison.difference)} ${direction} people in every 100 reached ${quote(metric)} than with ${controlName} (between ${per100(lo)} and ${per100(hi)} ${direction}).`;
    }
    return `${comparison.name}: not enough evidence yet of a difference in ${quote(metric)} from ${controlName} (from ${rangeEnd(interval[0], per100)} to ${rangeEnd(interval[1], per100)} in every 100).`;
  }

  const points = (x: number) => number(Math.abs(x));
  const direction = comparison.difference >= 0 ? 'higher' : 'lower';
  if (comparison.verdict === 'better' || comparison.verdict === 'worse') {
    const [lo, hi] = comparison.difference >= 0 ? interval : [-interval[1], -interval[0]];
    return `${comparison.name}: average ${quote(metric)} ${points(comparison.difference)} points ${direction} than with ${controlName} (between ${points(lo)} and ${points(hi)} ${direction}).`;
  }
  return `${comparison.name}: not enough evidence yet of a difference in average ${quote(metric)} from ${controlName} (from ${signed(interval[0])} to ${signed(interval[1])} points).`;
}

const quote = (text: string) => `“${text}”`;

/** One decimal place below 10, whole numbers above; no trailing ".0". */
function number(x: number): string {
  const rounded = x < 10 ? Math.round(x * 10) / 10 : Math.round(x);
  return String(rounded);
}

function rangeEnd(x: number, format: (x: number) => string): string {
  return x < 0 ? `${format(x)} fewer` : `${format(x)} more`;
}

const signed = (x: number) => (x < 0 ? `−${number(-x)}` : `+${number(x)}`);
