import type { ClusterArmStats } from '../analysis/types.ts';
import { clusteredComparison, type ClusteredArmComparison, type ClusteredComparisonOptions } from '../analysis/clustering.ts';
import { mulberry32 } from './mulberry32.ts';

/**
 * Simulated two-arm trials in which people are randomised one by one within
 * each work coach's caseload, for checking how often the coach-adjusted
 * intervals cover the true effect (docs/decisions/0024).
 *
 * Each coach's control rate is drawn from a Beta distribution with the given
 * mean and intraclass correlation (Beta(μ·k, (1 − μ)·k) with k = (1 − ICC)/ICC,
 * so the beta-binomial ICC is exactly `icc`); the coach's effect is
 * `effect` plus Normal(0, `effectSd`) noise, so the average effect over coaches
 * is `effect`. Caseloads are uniform on [minPeople, maxPeople].
 */
export interface WithinCoachTrialOptions {
  coaches: number;
  minPeople: number;
  maxPeople: number;
  icc: number;
  controlRate: number;
  effect: number;
  /** Spread of the effect between coaches (0: the same effect for every coach). */
  effectSd?: number;
  /** Chance a person is assigned the new arm (default 0.5). */
  allocation?: number;
}

/** One simulated trial as per-coach-per-arm counts (arms 'control' and 'new'). */
export function simulateWithinCoachTrial(random: () => number, options: WithinCoachTrialOptions): ClusterArmStats[] {
  const concentration = (1 - options.icc) / options.icc;
  const cells: ClusterArmStats[] = [];
  for (let coach = 1; coach <= options.coaches; coach++) {
    const controlRate = beta(random, options.controlRate * concentration, (1 - options.controlRate) * concentration);
    const effect = options.effect + (options.effectSd ?? 0) * normal(random);
    const newRate = Math.min(1, Math.max(0, controlRate + effect));
    const people = options.minPeople + Math.floor(random() * (options.maxPeople - options.minPeople + 1));
    const control = { cluster: `coach ${coach}`, arm: 'control', n: 0, successes: 0 };
    const treated = { cluster: `coach ${coach}`, arm: 'new', n: 0, successes: 0 };
    for (let person = 0; person < people; person++) {
      const isNew = random() < (options.allocation ?? 0.5);
      const cell = isNew ? treated : control;
      cell.n += 1;
      if (random() < (isNew ? newRate : controlRate)) cell.successes += 1;
    }
    cells.push(control, treated);
  }
  return cells;
}

/**
 * Share of `trials` simulated trials whose 95% interval (by each analysis) covers
 * the true effect, with the interval that ignores coaches (difference ± 1.96 ×
 * the HC2 standard error) as 'ignoring coaches'.
 */
export function intervalCoverage(
  seed: number,
  trials: number,
  trial: WithinCoachTrialOptions,
  analyses: Record<string, Omit<ClusteredComparisonOptions, 'control'>>,
): Record<string, { coverage: number; meanWidth: number }> {
  const random = mulberry32(seed);
  const tallies = Object.fromEntries(
    [...Object.keys(analyses), 'ignoring coaches'].map((name) => [name, { covered: 0, width: 0 }]),
  );
  const tally = (name: string, lower: number, upper: number) => {
    if (lower <= trial.effect && trial.effect <= upper) tallies[name].covered += 1;
    tallies[name].width += upper - lower;
  };
  for (let t = 0; t < trials; t++) {
    const cells = simulateWithinCoachTrial(random, trial);
    let plain: ClusteredArmComparison | undefined;
    for (const [name, options] of Object.entries(analyses)) {
      const [comparison] = clusteredComparison(cells, { control: 'control', ...options }).comparisons;
      tally(name, ...comparison.robustCi);
      if ((options.model ?? 'arm') === 'arm') plain = comparison;
    }
    plain ??= clusteredComparison(cells, { control: 'control' }).comparisons[0];
    tally('ignoring coaches', plain.difference - 1.959964 * plain.naiveSe, plain.difference + 1.959964 * plain.naiveSe);
  }
  return Object.fromEntries(
    Object.entries(tallies).map(([name, tally]) => [name, { coverage: tally.covered / trials, meanWidth: tally.width / trials }]),
  );
}

/** Standard normal by Box–Muller. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), ACM TOMS 26:363–372. */
function gamma(random: () => number, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    if (Math.log(random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function beta(random: () => number, a: number, b: number): number {
  const x = gamma(random, a);
  return x / (x + gamma(random, b));
}

// `npx tsx seed/clustered-trials.ts` prints the coverage table in docs/decisions/0024.
if (import.meta.url === `file://${process.argv[1]}`) {
  const base = { coaches: 10, minPeople: 30, maxPeople: 60, icc: 0.05, controlRate: 0.3, effect: 0.1 };
  const scenarios: Array<[string, WithinCoachTrialOptions]> = [
    ['same effect for every coach', base],
    ['effect varies by coach (sd 0.05)', { ...base, effectSd: 0.05 }],
    ['effect varies by coach (sd 0.1)', { ...base, effectSd: 0.1 }],
    ['1 in 5 to the new arm, rate 0.1, sd 0.05', { ...base, allocation: 0.2, controlRate: 0.1, effectSd: 0.05 }],
    ['six coaches, sd 0.1', { ...base, coaches: 6, effectSd: 0.1 }],
  ];
  const analyses = {
    'CR2, y ~ arm': {},
    'CR1, y ~ arm': { adjustment: 'CR1' as const },
    'CR2, y ~ arm + coach': { model: 'arm-and-cluster' as const },
    'CR1, y ~ arm + coach': { model: 'arm-and-cluster' as const, adjustment: 'CR1' as const },
  };
  for (const [label, scenario] of scenarios) {
    const results = intervalCoverage(20240611, 2000, scenario, analyses);
    console.log(
      `${label}: ${Object.entries(results)
        .map(([name, r]) => `${name} ${(100 * r.coverage).toFixed(1)}% (width ${r.meanWidth.toFixed(3)})`)
        .join('; ')}`,
    );
  }
}
