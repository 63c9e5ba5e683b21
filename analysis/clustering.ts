/**
 * People are nested within work coaches: outcomes of one coach's caseload are
 * correlated, so intervals that treat every person as independent are too
 * narrow. This module measures that clustering (ICC, design effect) and gives
 * arm-vs-control differences with cluster-robust standard errors, all from
 * per-cluster-per-arm counts.
 */
import type { ClusterArmStats, Interval } from './types.ts';
import { criticalValue, normalTwoSided, studentTTwoSided } from './distributions.ts';
import { assertBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

export interface ClusteredComparisonOptions {
  /** Name of the control arm. */
  control: string;
  confidence?: number;
  /**
   * Reference distribution for intervals and p-values: 't' (default) uses
   * Student t with G − 1 degrees of freedom (G clusters), as Stata's
   * `regress, vce(cluster)` and statsmodels with `use_t=True` do; 'normal'
   * matches statsmodels' default `use_t=False`. With about ten coaches the t
   * is the honest choice (Cameron & Miller 2015, §VI).
   */
  distribution?: 't' | 'normal';
}

export interface ClusteredArmComparison {
  arm: string;
  /** Rate in the arm over all clusters. */
  rate: number;
  /** rate(arm) − rate(control): the arm's coefficient in the linear probability model. */
  difference: number;
  /** CR1 cluster-robust standard error of the difference. */
  robustSe: number;
  robustCi: Interval;
  /** Two-sided p-value; 1 when the difference and its standard error are both 0. */
  pValue: number;
}

export interface ClusteredComparisonResult {
  /** Number of clusters with at least one person (G). */
  clusters: number;
  /** Number of people (N). */
  people: number;
  /** One-way ANOVA intraclass correlation of the outcome between clusters, truncated at 0. */
  icc: number;
  /** 1 + (m̄ − 1)·ICC with m̄ = N / G, the mean cluster size. */
  designEffect: number;
  /** Mean cluster size m̄ = N / G. */
  meanClusterSize: number;
  distribution: 't' | 'normal';
  /** G − 1 when distribution is 't'; null for 'normal'. */
  degreesOfFreedom: number | null;
  controlRate: number;
  comparisons: ClusteredArmComparison[];
}

export interface IntraclassCorrelation {
  /** Between-cluster mean square, SSB / (k − 1). */
  meanSquareBetween: number;
  /** Within-cluster mean square, SSW / (N − k). */
  meanSquareWithin: number;
  /** Average cluster size adjusted for unequal sizes, (N − Σn_g²/N) / (k − 1). */
  adjustedClusterSize: number;
  /** (MSB − MSW) / (MSB + (n₀ − 1)·MSW) before truncation (can be negative). */
  untruncated: number;
  /** max(0, untruncated); 0 also when the outcome does not vary at all. */
  icc: number;
}

/**
 * Intraclass correlation of a binary outcome between clusters, by the one-way
 * analysis-of-variance estimator for unequal cluster sizes:
 * ICC = (MSB − MSW) / (MSB + (n₀ − 1)·MSW), n₀ = (N − Σ n_g² / N) / (k − 1),
 * computed from each cluster's n and successes (for 0/1 data
 * SSW = Σ s_g − Σ s_g²/n_g and SSB = Σ s_g²/n_g − S²/N). Negative estimates
 * (less between-cluster variation than chance) are truncated at 0, the usual
 * convention for design effects. When the outcome never varies (everyone 0 or
 * everyone 1) the ICC is 0/0 and is reported as 0.
 *
 * Needs at least two clusters and more people than clusters (else RangeError:
 * with one person per cluster there is no within-cluster variation to compare).
 *
 * Source: Donner, A. & Koval, J. J. (1980) "The estimation of intraclass
 * correlation in the analysis of family data", Biometrics 36:19–25; Ridout,
 * Demétrio & Firth (1999) Biometrics 55:137–148 for binary data. Reference:
 * R, `a <- anova(aov(y ~ g, d))` on one row per person, with MSB and MSW from
 * `a$"Mean Sq"` and n₀ as above.
 *
 * @example
 * intraclassCorrelation([
 *   { cluster: 'A', n: 10, successes: 0 }, { cluster: 'B', n: 12, successes: 12 },
 *   { cluster: 'C', n: 9, successes: 1 }, { cluster: 'D', n: 11, successes: 10 },
 * ]).icc; // 0.8508 (R: anova(aov(y ~ g, d)) as above)
 */
export function intraclassCorrelation(
  clusters: Array<{ cluster: string; n: number; successes: number }>,
): IntraclassCorrelation {
  const used = clusters.filter((cluster) => cluster.n > 0);
  const k = used.length;
  if (k < 2) throw new RangeError(`an intraclass correlation needs at least 2 clusters with people (got ${k})`);
  const people = used.reduce((total, cluster) => total + cluster.n, 0);
  if (people <= k) {
    throw new RangeError('an intraclass correlation needs some cluster with more than one person');
  }
  const successes = used.reduce((total, cluster) => total + cluster.successes, 0);
  const sumSquaredOverSize = used.reduce((total, cluster) => total + cluster.successes ** 2 / cluster.n, 0);
  const sumSquaredSizes = used.reduce((total, cluster) => total + cluster.n ** 2, 0);
  const betweenSquares = Math.max(0, sumSquaredOverSize - successes ** 2 / people);
  const withinSquares = Math.max(0, successes - sumSquaredOverSize);
  const meanSquareBetween = betweenSquares / (k - 1);
  const meanSquareWithin = withinSquares / (people - k);
  const adjustedClusterSize = (people - sumSquaredSizes / people) / (k - 1);
  const denominator = meanSquareBetween + (adjustedClusterSize - 1) * meanSquareWithin;
  const untruncated = denominator > 0 ? (meanSquareBetween - meanSquareWithin) / denominator : 0;
  return {
    meanSquareBetween,
    meanSquareWithin,
    adjustedClusterSize,
    untruncated,
    icc: Math.max(0, untruncated),
  };
}

/**
 * Arm-vs-control comparison of a binary outcome when people are nested in
 * clusters (work coaches).
 *
 * - `icc` and `designEffect`: see `intraclassCorrelation`, computed from the
 *   clusters' totals over all arms; design effect 1 + (m̄ − 1)·ICC with m̄ the
 *   mean cluster size (Kish 1965, Survey Sampling, §5.4; Donner, Birkett & Buck
 *   1981, Am J Epidemiol 114:906–914). With very unequal coach caseloads the
 *   true design effect is larger (Eldridge, Ashby & Kerry 2006, Int J Epidemiol
 *   35:1292–1300); this figure is a floor, not a correction factor.
 * - Each comparison is the coefficient of the arm's dummy in the linear
 *   probability model y ~ arm (treatment coding against control), i.e. the
 *   difference in rates, with the CR1 cluster-robust (sandwich) variance:
 *   small-sample factor G/(G − 1)·(N − 1)/(N − K) with K the number of arms,
 *   and cluster scores Σ x_i e_i where e_i = y_i − p̂_arm, which need only each
 *   cluster's n and successes per arm. Intervals and p-values use Student t
 *   with G − 1 df by default (see `distribution`).
 *
 * A cluster with only one arm is fine; a cluster with nobody is ignored.
 * RangeError for: fewer than 2 clusters (a robust variance from one cluster
 * is undefined), an arm or control with nobody, a (cluster, arm) pair given
 * twice, N ≤ K, every cluster holding a single person (no ICC), or
 * impossible counts. When the robust standard error is 0
 * (no residual variation in the compared arms) the interval is
 * [difference, difference] and p is 1 if the difference is 0, else 0.
 *
 * Source: Liang & Zeger (1986) Biometrika 73:13–22; Cameron & Miller (2015)
 * "A practitioner's guide to cluster-robust inference", J Human Resources
 * 50:317–372. Reference implementation: statsmodels
 * `smf.ols('y ~ C(arm, Treatment("control"))', d).fit(cov_type='cluster',
 * cov_kwds={'groups': g}, use_t=True)` on one row per person (default
 * correction = CR1 as above; `use_t=True` gives t with G − 1 df).
 *
 * @example
 * clusteredComparison(
 *   [
 *     { cluster: 'coach A', arm: 'letter', n: 10, successes: 2 }, { cluster: 'coach A', arm: 'text', n: 10, successes: 5 },
 *     { cluster: 'coach B', arm: 'letter', n: 12, successes: 4 }, { cluster: 'coach B', arm: 'text', n: 11, successes: 4 },
 *   ],
 *   { control: 'letter' },
 * );
 * // { clusters: 2, people: 43, icc: 0, designEffect: 1, ..., degreesOfFreedom: 1,
 * //   comparisons: [{ arm: 'text', difference: 0.1558, robustSe: 0.1358,
 * //                   robustCi: [-1.5693, 1.8810], pValue: 0.4562, ... }] }
 */
export function clusteredComparison(
  cells: ClusterArmStats[],
  options: ClusteredComparisonOptions,
): ClusteredComparisonResult {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const distribution = options.distribution ?? 't';
  if (distribution !== 't' && distribution !== 'normal') {
    throw new RangeError(`distribution must be 't' or 'normal' (got ${String(distribution)})`);
  }

  // cluster → arm → cell, rejecting a (cluster, arm) pair given twice.
  const byCluster = new Map<string, Map<string, ClusterArmStats>>();
  for (const cell of cells) {
    assertBinaryArm(cell, `cluster "${cell.cluster}" arm "${cell.arm}"`);
    const arms = byCluster.get(cell.cluster) ?? new Map<string, ClusterArmStats>();
    if (arms.has(cell.arm)) throw new RangeError(`cluster "${cell.cluster}" arm "${cell.arm}" appears more than once`);
    arms.set(cell.arm, cell);
    byCluster.set(cell.cluster, arms);
  }

  // Arms (control first) with their totals and rates.
  const armNames = [options.control];
  for (const cell of cells) if (cell.n > 0 && !armNames.includes(cell.arm)) armNames.push(cell.arm);
  const armTotals = armNames.map((name) => ({ name, n: 0, successes: 0, rate: 0 }));
  for (const cell of cells) {
    const arm = armTotals.find((candidate) => candidate.name === cell.arm);
    if (arm) {
      arm.n += cell.n;
      arm.successes += cell.successes;
    }
  }
  for (const arm of armTotals) {
    if (arm.n === 0) throw new RangeError(`arm "${arm.name}" has no people in any cluster`);
    arm.rate = arm.successes / arm.n;
  }

  // Clusters with people, with each one's score for every arm: u_ga = s_ga − n_ga·p̂_a.
  const clusterCells = [...byCluster.entries()].filter(([, arms]) =>
    [...arms.values()].some((cell) => cell.n > 0),
  );
  const clusterCount = clusterCells.length;
  if (clusterCount < 2) {
    throw new RangeError(`cluster-robust standard errors need at least 2 clusters with people (got ${clusterCount})`);
  }
  const scores = clusterCells.map(([, arms]) =>
    armTotals.map((arm) => {
      const cell = arms.get(arm.name);
      return cell ? cell.successes - cell.n * arm.rate : 0;
    }),
  );
  const people = armTotals.reduce((total, arm) => total + arm.n, 0);
  const parameters = armTotals.length;
  if (people <= parameters) {
    throw new RangeError(`need more people (${people}) than arms (${parameters}) for a robust variance`);
  }

  const correction = (clusterCount / (clusterCount - 1)) * ((people - 1) / (people - parameters));
  // Sandwich for the arm means: V_ab = c · Σ_g u_ga u_gb / (n_a n_b). The treatment-coded
  // coefficients are linear in the means, so Var(p̂_j − p̂_0) = V_jj + V_00 − 2 V_j0.
  const meanCovariance = (a: number, b: number) =>
    (correction * scores.reduce((total, score) => total + score[a] * score[b], 0)) /
    (armTotals[a].n * armTotals[b].n);

  const degreesOfFreedom = distribution === 't' ? clusterCount - 1 : null;
  const critical = criticalValue(confidence, degreesOfFreedom ?? Infinity);
  const comparisons = armTotals.slice(1).map((arm, offset): ClusteredArmComparison => {
    const j = offset + 1;
    const difference = arm.rate - armTotals[0].rate;
    const variance = meanCovariance(j, j) + meanCovariance(0, 0) - 2 * meanCovariance(j, 0);
    const robustSe = Math.sqrt(Math.max(0, variance));
    if (robustSe === 0) {
      return { arm: arm.name, rate: arm.rate, difference, robustSe, robustCi: [difference, difference], pValue: difference === 0 ? 1 : 0 };
    }
    const statistic = difference / robustSe;
    return {
      arm: arm.name,
      rate: arm.rate,
      difference,
      robustSe,
      robustCi: [difference - critical * robustSe, difference + critical * robustSe],
      pValue: degreesOfFreedom === null ? normalTwoSided(statistic) : studentTTwoSided(statistic, degreesOfFreedom),
    };
  });

  const clusterTotals = clusterCells.map(([cluster, arms]) => {
    const values = [...arms.values()];
    return {
      cluster,
      n: values.reduce((total, cell) => total + cell.n, 0),
      successes: values.reduce((total, cell) => total + cell.successes, 0),
    };
  });
  const { icc } = intraclassCorrelation(clusterTotals);
  const meanClusterSize = people / clusterCount;

  return {
    clusters: clusterCount,
    people,
    icc,
    designEffect: 1 + (meanClusterSize - 1) * icc,
    meanClusterSize,
    distribution,
    degreesOfFreedom,
    controlRate: armTotals[0].rate,
    comparisons,
  };
}
