import { STAGES, stageByKey, type StageKey } from './vocabulary.ts';

/**
 * The metrics an experiment can name. Each funnel stage is a metric:
 * binary ("did the person reach this stage") or, for stages that carry a score,
 * numeric (the person's first recorded score). A window, when set, counts only
 * events within that many days of the person's assignment.
 */
export interface MetricDefinition {
  key: StageKey;
  label: string;
  kind: 'binary' | 'numeric';
  /** Higher is better, except for harms such as opt-outs and complaints. */
  higherIsBetter: boolean;
}

const HARMS = new Set<string>(['opted_out', 'complaint', 'disengaged', 'meeting_not_attended']);

export const METRICS: MetricDefinition[] = STAGES.map((stage) => ({
  key: stage.key,
  label: stage.label,
  kind: 'value' in stage ? 'numeric' : 'binary',
  higherIsBetter: !HARMS.has(stage.key),
}));

export const metricByKey: ReadonlyMap<string, MetricDefinition> = new Map(METRICS.map((m) => [m.key, m]));

export function isMetricKey(key: string): key is StageKey {
  return stageByKey.has(key);
}
