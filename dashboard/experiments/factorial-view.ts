import { factorialSummary } from '../../analysis/factorial-summary.ts';
import type { ExperimentReport } from '../../analysis/report-types.ts';
import { capitalise, formatInterval, formatNumber, formatPercent, formatPercentagePoints, formatPValue, humanise } from '../format.ts';

/**
 * The factorial section of the results page, interaction first: the rate in
 * every cell, then whether the factors' effects depend on one another, then
 * each factor's main effect, marked when it would mislead on its own. Rows
 * come ready for govukTable (`text`, `format`), so the template only lays out.
 */

type Cell = { text: string; format?: 'numeric' };

export interface FactorialView {
  primaryLabel: string;
  cells: { caption: string; head: Cell[]; rows: Cell[][] };
  interaction: {
    clear: boolean;
    reading: string;
    rows: { key: { text: string }; value: { text: string } }[];
  } | null;
  mainEffects: { factor: string; caption: string; misleading: boolean; head: Cell[]; rows: Cell[][] }[];
}

const TEST_NAMES = {
  'hc2-t': 'Difference of differences in a linear probability model, HC2 robust standard error, t-test',
  'likelihood-ratio': 'Likelihood-ratio test of all the interaction terms together (logistic regression)',
} as const;

/**
 * The report's reading names levels by their codes ("warm voluntary"); the page
 * names them as its tables do ("warm, voluntary-framed"), so the sentence is
 * rebuilt from the same cells with the page's words. Same counts, same test.
 */
function readingInWords(factorial: NonNullable<ExperimentReport['factorial']>, fallback: string): string {
  try {
    const reference = Object.fromEntries(factorial.factors.map((effect) => [effect.factor, effect.reference.level]));
    const summary = factorialSummary(factorial.cells, { reference, factors: factorial.factors.map((effect) => effect.factor), label: humanise });
    return summary.interaction?.reading ?? fallback;
  } catch {
    return fallback;
  }
}

/** The factorial section, or null when the experiment is not a factorial design with every cell filled. */
export function factorialView(report: ExperimentReport): FactorialView | null {
  const factorial = report.factorial;
  if (!factorial) return null;
  const primary = report.metrics.find((m) => m.role === 'primary') ?? report.metrics[0];
  const primaryLabel = primary?.label ?? 'primary metric';
  const armName = (key: string) => report.experiment.arms.find((a) => a.key === key)?.name ?? key;
  const factorNames = factorial.factors.map((effect) => effect.factor);

  const cells = {
    caption: `${primaryLabel}: rate in each combination of ${factorNames.map(humanise).join(' and ')}`,
    head: [
      { text: 'Arm' },
      ...factorNames.map((factor) => ({ text: capitalise(humanise(factor)) })),
      { text: 'People', format: 'numeric' as const },
      { text: 'Reached', format: 'numeric' as const },
      { text: 'Rate', format: 'numeric' as const },
      { text: '95% interval' },
    ],
    rows: factorial.cells.map((cell) => [
      { text: armName(cell.arm) },
      ...factorNames.map((factor) => ({ text: humanise(cell.levels[factor]) })),
      { text: formatNumber(cell.n), format: 'numeric' as const },
      { text: formatNumber(cell.successes), format: 'numeric' as const },
      { text: formatPercent(cell.rate), format: 'numeric' as const },
      { text: formatInterval(cell.ci, 'percent') },
    ]),
  };

  const found = factorial.interaction;
  const interaction = found
    ? {
        clear: found.clear,
        reading: readingInWords(factorial, found.reading),
        rows: [
          ...(found.test === 'hc2-t'
            ? [
                { key: { text: 'Interaction (difference of differences)' }, value: { text: formatPercentagePoints(found.estimate) } },
                { key: { text: '95% interval' }, value: { text: formatInterval(found.ci, 'points') } },
              ]
            : []),
          {
            key: { text: 'Test' },
            value: {
              text:
                found.statistic === null
                  ? TEST_NAMES[found.test]
                  : `${TEST_NAMES[found.test]}: ${found.test === 'hc2-t' ? `t = ${found.statistic.toFixed(2)}` : `χ² = ${found.statistic.toFixed(2)}`} on ${formatNumber(found.df)} df`,
            },
          },
          { key: { text: 'p-value' }, value: { text: formatPValue(found.pValue) } },
        ],
      }
    : null;

  const mainEffects = factorial.factors.map((effect) => {
    const factor = humanise(effect.factor);
    return {
      factor,
      caption: `Main effect of ${factor}`,
      misleading: effect.misleading,
      head: [
        { text: 'Level' },
        { text: 'People', format: 'numeric' as const },
        { text: 'Reached', format: 'numeric' as const },
        { text: `Difference from ${humanise(effect.reference.level)} (95% interval)` },
        { text: 'p-value' },
      ],
      rows: [
        [
          { text: `${capitalise(humanise(effect.reference.level))} (reference)` },
          { text: formatNumber(effect.reference.n), format: 'numeric' as const },
          { text: `${formatNumber(effect.reference.successes)} (${formatPercent(effect.reference.rate)})`, format: 'numeric' as const },
          { text: 'reference level' },
          { text: 'not applicable' },
        ],
        ...effect.comparisons.map((c) => [
          { text: capitalise(humanise(c.level)) },
          { text: formatNumber(c.n), format: 'numeric' as const },
          { text: `${formatNumber(c.successes)} (${formatPercent(c.rate)})`, format: 'numeric' as const },
          { text: `${formatPercentagePoints(c.difference)} (${formatInterval(c.differenceCi, 'points')})` },
          { text: formatPValue(c.pValue) },
        ]),
      ],
    };
  });

  return { primaryLabel, cells, interaction, mainEffects };
}
