import type { ExperimentReport } from '../../analysis/report-types.ts';
import { capitalise, formatInterval, formatNumber, formatPercent, formatPercentagePoints, formatPValue, humanise } from '../format.ts';

/**
 * The subgroups section of the results page. A withheld subgroup shows no
 * figure at all, only why it is withheld: too few people in it, or withheld
 * alongside a small one so that the small one cannot be worked out as the arm
 * total minus the subgroups shown (see analysis/subgroup-suppression.ts).
 */

export const WITHHELD_TEXT = {
  small: 'Too few people to show',
  secondary: 'Withheld so that a smaller group cannot be worked out from the totals',
} as const;

export interface SubgroupsView {
  characteristic: string;
  heterogeneity: string[];
  rows: { subgroup: string; tooSmall: boolean; withheld: string; arms: string; comparisons: string }[];
}

export function subgroupsView(report: ExperimentReport): SubgroupsView[] {
  const armName = (key: string) => report.experiment.arms.find((a) => a.key === key)?.name ?? key;
  return report.subgroups.map((breakdown) => ({
    characteristic: humanise(breakdown.characteristic),
    heterogeneity: breakdown.heterogeneity.map((h) =>
      h.pValue === null ? `${armName(h.arm)}: too few subgroups shown to test` : `${armName(h.arm)}: χ² = ${h.statistic.toFixed(2)} on ${h.df} df, p = ${formatPValue(h.pValue)}`,
    ),
    rows: breakdown.subgroups.map((s) => {
      if (s.tooSmall || !s.arms) {
        return { subgroup: capitalise(humanise(s.subgroup)), tooSmall: true, withheld: WITHHELD_TEXT[s.withheldReason ?? 'small'], arms: '', comparisons: '' };
      }
      return {
        subgroup: capitalise(humanise(s.subgroup)),
        tooSmall: false,
        withheld: '',
        arms: s.arms.map((a) => `${armName(a.arm)}: ${formatNumber(a.successes)} of ${formatNumber(a.n)} (${formatPercent(a.rate)})`).join('; '),
        comparisons: (s.comparisons ?? []).map((c) => `${armName(c.arm)}: ${formatPercentagePoints(c.difference)} (${formatInterval(c.differenceCi, 'points')})`).join('; '),
      };
    }),
  }));
}
