import type { Db } from '../../server/db/database.ts';
import { dialectSql } from '../../server/db/dialect-sql.ts';
import type { ExperimentView } from '../../experiments/experiment/experiment-service.ts';
import { metricByKey } from '../../experiments/metrics.ts';
import { sampleRatioMismatch } from '../../analysis/sample-ratio-mismatch.ts';
import { alwaysValidPValue } from '../../analysis/confidence-sequence.ts';
import { formatNumber, stageLabel } from '../format.ts';
import { ASSIGNED, catchUpProgress } from '../../experiments/progress/progress-projection.ts';

/**
 * The experiments list in one screen: one query per experiment over the
 * reports' tallies (see docs/decisions/0003), not the full report, so the list
 * stays fast at 100,000 people. The full statistics are on the results page.
 */
export interface ExperimentSummary {
  assigned: number;
  daysRunning: number | null;
  leader: { arm: string; rate: number; controlRate: number | null; isControl: boolean; clear: boolean } | null;
  warnings: string[];
}

interface ArmCount {
  armId: number;
  n: number;
}

export function createExperimentSummaryReadModel(db: Db) {
  // Per arm: people assigned ('_assigned') and people who reached each stage after
  // assignment, summed from progress_tallies (a few index reads per experiment).
  const tallies = `
    SELECT arm_id AS "armId", stage, SUM(people) AS n FROM progress_tallies
    WHERE experiment_id = ? AND dimension = '' AND dimension_value = '' AND stage IN ${dialectSql(db.dialect).jsonList('text')}
    GROUP BY arm_id, stage`;
  const phaseCounts = 'SELECT arm_id AS "armId", COUNT(*) AS n FROM assignments WHERE experiment_id = ? AND phase_id = ? GROUP BY arm_id';

  /** An always-valid p-value below 0.05, guarded against empty arms. */
  function clearlyDifferent(arm: { n: number; successes: number }, control: { n: number; successes: number }, plannedTotal: number): boolean {
    if (arm.n === 0 || control.n === 0) return false;
    try {
      const p = alwaysValidPValue({ arm: 'arm', ...arm }, { arm: 'control', ...control }, { plannedTotal: Math.max(plannedTotal, arm.n + control.n, 2) });
      return p !== null && p < 0.05;
    } catch {
      return false;
    }
  }

  return {
    async summarise(experiment: ExperimentView, now: Date): Promise<ExperimentSummary> {
      await catchUpProgress(db);
      const stages = [ASSIGNED, experiment.primaryMetric, ...experiment.guardrailMetrics];
      const byStage = new Map<string, Map<number, number>>(stages.map((stage) => [stage, new Map()]));
      for (const row of await db.all<ArmCount & { stage: string }>(tallies, [experiment.id, JSON.stringify(stages)])) byStage.get(row.stage)?.set(row.armId, row.n);
      const reached = (stage: string) => byStage.get(stage) ?? new Map<number, number>();
      const counts = reached(ASSIGNED);
      const assigned = [...counts.values()].reduce((a, b) => a + b, 0);
      const end = experiment.concludedAt ? new Date(experiment.concludedAt) : now;
      const daysRunning = experiment.launchedAt ? Math.max(0, Math.floor((end.getTime() - new Date(experiment.launchedAt).getTime()) / 86_400_000)) : null;
      const warnings: string[] = [];
      const control = experiment.arms.find((a) => a.isControl)!;
      const plannedTotal = experiment.plannedSampleSize ?? assigned;
      const stats = (armId: number, hits: Map<number, number>) => ({ n: counts.get(armId) ?? 0, successes: hits.get(armId) ?? 0 });

      // Sample-ratio mismatch, within the current allocation phase (weights differ between phases).
      // Not for whole coaches or sites randomised: people per arm follow the clusters' sizes (the results page checks clusters).
      const open = experiment.arms.filter((a) => a.weight > 0);
      if (assigned > 0 && open.length >= 2 && experiment.randomisationUnit === 'person') {
        const inPhase =
          experiment.phases.length === 1 ? counts : new Map((await db.all<ArmCount>(phaseCounts, [experiment.id, experiment.phase.id])).map((r) => [r.armId, r.n]));
        const observed = open.map((a) => inPhase.get(a.id) ?? 0);
        if (observed.reduce((a, b) => a + b, 0) > 0 && sampleRatioMismatch(observed, open.map((a) => a.weight)).flagged)
          warnings.push('Sample-ratio mismatch: arm sizes do not match the planned split');
      }

      let leader: ExperimentSummary['leader'] = null;
      const primary = metricByKey.get(experiment.primaryMetric);
      if (assigned > 0 && primary?.kind === 'binary') {
        const hits = reached(experiment.primaryMetric);
        const rated = experiment.arms
          .map((arm) => ({ arm, ...stats(arm.id, hits) }))
          .filter((a) => a.n > 0)
          .map((a) => ({ ...a, rate: a.successes / a.n }));
        if (rated.length > 0) {
          const best = rated.reduce((a, b) => ((primary.higherIsBetter ? b.rate > a.rate : b.rate < a.rate) ? b : a));
          const controlStats = rated.find((a) => a.arm.id === control.id);
          leader = {
            arm: best.arm.name,
            rate: best.rate,
            controlRate: controlStats?.rate ?? null,
            isControl: best.arm.isControl,
            clear: !best.arm.isControl && controlStats !== undefined && clearlyDifferent(best, controlStats, plannedTotal),
          };
        }
      }

      // Guardrails: a harm clearly more common in an arm than in control (always-valid test, as the results page).
      if (assigned > 0) {
        for (const key of experiment.guardrailMetrics) {
          const metric = metricByKey.get(key);
          if (!metric || metric.kind !== 'binary') continue;
          const hits = reached(key);
          const controlStats = stats(control.id, hits);
          for (const arm of experiment.arms.filter((a) => !a.isControl)) {
            const armStats = stats(arm.id, hits);
            const worse = metric.higherIsBetter ? armStats.successes / Math.max(armStats.n, 1) < controlStats.successes / Math.max(controlStats.n, 1) : armStats.successes / Math.max(armStats.n, 1) > controlStats.successes / Math.max(controlStats.n, 1);
            if (worse && clearlyDifferent(armStats, controlStats, plannedTotal))
              warnings.push(`Guardrail breached: ${stageLabel(key).toLowerCase()} is worse with ${arm.name} than with control`);
          }
        }
      }
      if (experiment.plannedSampleSize && assigned > experiment.plannedSampleSize)
        warnings.push(`Past the planned size: ${formatNumber(assigned)} assigned of ${formatNumber(experiment.plannedSampleSize)} planned`);
      return { assigned, daysRunning, leader, warnings };
    },
  };
}
