import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { formatNumber } from '../format.ts';

/**
 * The analysis plan's decision rule in plain words, for the read-only design
 * page. A group-sequential rule without a planned size is reported (and
 * analysed, analysis/experiment-report.ts) as open-ended monitoring.
 *
 * @example
 * decisionRuleInWords({ decisionRule: 'group_sequential', alphaSpending: 'obf', plannedSampleSize: 800 })
 * // 'Weekly looks to a planned size of 800 people (group-sequential), O’Brien–Fleming-like: …'
 */
export function decisionRuleInWords(experiment: Pick<ExperimentView, 'decisionRule' | 'alphaSpending' | 'plannedSampleSize'>): string {
  const planned = experiment.plannedSampleSize;
  if (experiment.decisionRule === 'group_sequential' && planned) {
    const shape =
      experiment.alphaSpending === 'pocock'
        ? 'Pocock-like: the same strength of evidence is needed every week, so an early stop is likelier but the last look needs more evidence.'
        : 'O’Brien–Fleming-like: the early weeks need very strong evidence to stop, and the last look is close to a single final test.';
    return `Weekly looks to a planned size of ${formatNumber(planned)} people (group-sequential), ${shape}`;
  }
  const tuned = planned ? ` The interval is narrowest at ${formatNumber(planned)} people.` : '';
  return `Open-ended monitoring with no planned end (always-valid confidence sequence): the interval stays valid however often and however long the results are looked at.${tuned}`;
}
