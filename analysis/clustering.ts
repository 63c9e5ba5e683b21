/**
 * People are nested within work coaches: outcomes of one coach's caseload are
 * correlated, so intervals that treat every person as independent can be wrong
 * (too narrow, or, when people are randomised within each coach's caseload, too
 * wide). This module gives arm-vs-control differences with CR2 cluster-robust
 * standard errors and Bell–McCaffrey degrees of freedom, the variance inflation
 * that clustering actually causes for each comparison, and the ICC, all from
 * per-cluster-per-arm counts.
 *
 * For designs that randomise whole coaches or sites, see
 * cluster-randomised-comparison.ts instead.
 */
import type { ClusterArmStats, Interval } from './types.ts';
import { clusterRobustLinearFit, type GroupedDesignCell } from './cluster-robust-linear-model.ts';
import { criticalValue, studentTTwoSided } from './distributions.ts';
import { intraclassCorrelation } from './intraclass-correlation.ts';
import { assertBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

export { intraclassCorrelation, type IntraclassCorrelation } from './intraclass-correlation.ts';

/**
 * One plain sentence for the results page, beside the adjusted interval: why
 * allowing for coaches can make the interval narrower rather than wider.
 */
export const WITHIN_CLUSTER_EXPLANATION =
  'Because people were randomised within each coach’s caseload, differences between coaches cancel out of the comparison, so the interval that allows for coaches can be narrower than the one that ignores them.';

export interface ClusteredComparisonOptions {
  /** Name of the control arm. */
  control: string;
  /** Confidence level of `robustCi` (default 0.95). Other levels: `robustIntervalAt`. */
  confidence?: number;
  /**
   * 'arm' (default): y ~ arm, so `difference` is the plain difference in rates,
   * the same estimate as the rest of the report, and only its uncertainty
   * allows for coaches. 'arm-and-cluster': y ~ arm + cluster (a fixed effect per
   * coach), the within-coach comparison; see docs/decisions/0024.
   */
  model?: 'arm' | 'arm-and-cluster';
  /**
   * 'CR2' (default): Bell–McCaffrey bias-reduced variance with Satterthwaite
   * df. 'CR1': the older Stata-style variance with t on G − 1 df, kept only to
   * show how it compares; its intervals under-cover with about ten coaches.
   */
  adjustment?: 'CR2' | 'CR1';
}

export interface ClusteredArmComparison {
  arm: string;
  /** Rate in the arm over all clusters. */
  rate: number;
  /**
   * The arm's coefficient: rate(arm) − rate(control) for model 'arm'; the
   * coach-adjusted difference for model 'arm-and-cluster'.
   */
  difference: number;
  /** Cluster-robust standard error of the difference (CR2 unless asked otherwise). */
  robustSe: number;
  /** Interval at the result's `confidence`, Student t on `degreesOfFreedom`. */
  robustCi: Interval;
  /** Two-sided p-value (t on `degreesOfFreedom`); 1 when the difference and its standard error are both 0. */
  pValue: number;
  /** Bell–McCaffrey (Satterthwaite) degrees of freedom for CR2, often fractional; G − 1 for CR1. */
  degreesOfFreedom: number;
  /** Standard error of the same difference ignoring coaches (HC2: each person their own cluster). */
  naiveSe: number;
  /**
   * robustSe² ÷ naiveSe²: how much allowing for coaches changes the variance of
   * this difference. Below 1 when randomising within coaches takes coach
   * differences out of the comparison.
   */
  varianceInflation: number;
}

export interface ClusteredComparisonResult {
  /** Number of clusters with at least one person (G). */
  clusters: number;
  /** Number of people (N). */
  people: number;
  /** One-way ANOVA intraclass correlation of the outcome between clusters, truncated at 0. */
  icc: number;
  /**
   * The design effect of this design (people randomised within clusters): the
   * largest `varianceInflation` over the comparisons (with one comparison, its
   * own). Not 1 + (m̄ − 1)·ICC, which describes randomising whole clusters.
   */
  designEffect: number;
  /**
   * 1 + (m̄ − 1)·ICC, m̄ = N / G: the variance inflation had whole coaches been
   * randomised (Kish 1965; Donner, Birkett & Buck 1981). For planning a
   * cluster-randomised trial; not the design effect of this analysis.
   */
  clusterRandomisedDesignEffect: number;
  /** Mean cluster size m̄ = N / G. */
  meanClusterSize: number;
  model: 'arm' | 'arm-and-cluster';
  adjustment: 'CR2' | 'CR1';
  confidence: number;
  controlRate: number;
  comparisons: ClusteredArmComparison[];
  /** `WITHIN_CLUSTER_EXPLANATION`, for the page. */
  explanation: string;
}

/**
 * Arm-vs-control comparison of a binary outcome when people are randomised
 * individually and are nested in clusters (work coaches): the linear
 * probability model y ~ arm (treatment coding against control; or
 * y ~ arm + cluster with `model: 'arm-and-cluster'`) with the CR2
 * cluster-robust variance and Bell–McCaffrey Satterthwaite degrees of freedom
 * per coefficient, as R clubSandwich
 * `coef_test(lm(y ~ arm, d), vcov = "CR2", cluster = d$coach, test = "Satterthwaite")`
 * gives (see `clusterRobustLinearFit` for the method and why it needs only
 * counts).
 *
 * Each comparison also carries the naive (HC2, no clustering) standard error
 * and the variance inflation robust² ÷ naive², the design effect that matters
 * for this design. The ICC is the one-way ANOVA estimate on the coaches'
 * totals (`intraclassCorrelation`).
 *
 * A cluster with only one arm is fine; a cluster with nobody is ignored.
 * RangeError for: fewer than 2 clusters, an arm or control with nobody, a
 * (cluster, arm) pair given twice, every cluster holding a single person (no
 * ICC), a difference the data cannot estimate (with 'arm-and-cluster', an arm
 * never alongside another arm in any coach), a comparison whose arms each sit
 * wholly in one coach, or impossible counts. When the robust standard error is
 * 0 (no residual variation) the interval is [difference, difference] and p is 1
 * if the difference is 0, else 0.
 *
 * Sources: Bell & McCaffrey (2002) Survey Methodology 28:169–181; Pustejovsky
 * & Tipton (2018) J Business & Economic Statistics 36:672–683; Imbens & Kolesár
 * (2016) Rev Econ Stat 98:701–712.
 *
 * @example
 * clusteredComparison(
 *   [
 *     { cluster: 'coach A', arm: 'letter', n: 10, successes: 2 }, { cluster: 'coach A', arm: 'text', n: 10, successes: 5 },
 *     { cluster: 'coach B', arm: 'letter', n: 12, successes: 4 }, { cluster: 'coach B', arm: 'text', n: 11, successes: 4 },
 *     { cluster: 'coach C', arm: 'letter', n: 9, successes: 1 }, { cluster: 'coach C', arm: 'text', n: 9, successes: 3 },
 *   ],
 *   { control: 'letter' },
 * ).comparisons[0];
 * // { arm: 'text', difference: 0.1742, robustSe: 0.0879, degreesOfFreedom: 1.978,
 * //   robustCi: [-0.2081, 0.5565], pValue: 0.1874, naiveSe: 0.1188, varianceInflation: 0.548, ... }
 * // (R: clubSandwich coef_test as above, on these counts expanded to one row per person)
 */
export function clusteredComparison(
  cells: ClusterArmStats[],
  options: ClusteredComparisonOptions,
): ClusteredComparisonResult {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const model = options.model ?? 'arm';
  if (model !== 'arm' && model !== 'arm-and-cluster') {
    throw new RangeError(`model must be 'arm' or 'arm-and-cluster' (got ${String(model)})`);
  }
  const adjustment = options.adjustment ?? 'CR2';
  if (adjustment !== 'CR2' && adjustment !== 'CR1') {
    throw new RangeError(`adjustment must be 'CR2' or 'CR1' (got ${String(adjustment)})`);
  }

  const seen = new Set<string>();
  for (const cell of cells) {
    assertBinaryArm(cell, `cluster "${cell.cluster}" arm "${cell.arm}"`);
    const key = JSON.stringify([cell.cluster, cell.arm]);
    if (seen.has(key)) throw new RangeError(`cluster "${cell.cluster}" arm "${cell.arm}" appears more than once`);
    seen.add(key);
  }
  const used = cells.filter((cell) => cell.n > 0);

  // Arms, control first, with their totals.
  const armNames = [options.control];
  for (const cell of used) if (!armNames.includes(cell.arm)) armNames.push(cell.arm);
  const armTotals = armNames.map((name) => {
    const inArm = used.filter((cell) => cell.arm === name);
    const n = inArm.reduce((total, cell) => total + cell.n, 0);
    const successes = inArm.reduce((total, cell) => total + cell.successes, 0);
    if (n === 0) throw new RangeError(`arm "${name}" has no people in any cluster`);
    return { name, n, rate: successes / n };
  });

  const clusterNames = [...new Set(used.map((cell) => cell.cluster))];
  if (clusterNames.length < 2) {
    throw new RangeError(`cluster-robust standard errors need at least 2 clusters with people (got ${clusterNames.length})`);
  }
  const clusterTotals = clusterNames.map((cluster) => {
    const inCluster = used.filter((cell) => cell.cluster === cluster);
    return {
      cluster,
      n: inCluster.reduce((total, cell) => total + cell.n, 0),
      successes: inCluster.reduce((total, cell) => total + cell.successes, 0),
    };
  });
  const { icc } = intraclassCorrelation(clusterTotals);
  const people = armTotals.reduce((total, arm) => total + arm.n, 0);
  if (people <= armTotals.length) {
    throw new RangeError(`need more people (${people}) than arms (${armTotals.length}) for a robust variance`);
  }

  // Treatment-coded arm dummies come first, so coefficient j − 1 is arm j's difference.
  const armDummies = (arm: string) => armNames.slice(1).map((name) => (name === arm ? 1 : 0));
  const design: GroupedDesignCell[] = used.map((cell) => ({
    cluster: cell.cluster,
    n: cell.n,
    successes: cell.successes,
    row:
      model === 'arm'
        ? [...armDummies(cell.arm), 1]
        : [...armDummies(cell.arm), ...clusterNames.map((name) => (name === cell.cluster ? 1 : 0))],
  }));
  let fit: ReturnType<typeof clusterRobustLinearFit>;
  try {
    fit = clusterRobustLinearFit(design, { tested: armNames.slice(1).map((_, j) => j), adjustment });
  } catch (error) {
    if (error instanceof RangeError && /singular/.test(error.message)) {
      throw new RangeError('an arm is never alongside another arm within any coach, so its coach-adjusted difference cannot be estimated');
    }
    throw error;
  }

  const comparisons = fit.tested.map((coefficient, j): ClusteredArmComparison => {
    const arm = armTotals[j + 1];
    const base = {
      arm: arm.name,
      rate: arm.rate,
      difference: coefficient.estimate,
      robustSe: coefficient.robustSe,
      degreesOfFreedom: coefficient.degreesOfFreedom,
      naiveSe: coefficient.naiveSe,
      varianceInflation: varianceRatio(coefficient.robustSe, coefficient.naiveSe),
    };
    return { ...base, robustCi: robustIntervalAt(base, confidence), pValue: robustPValue(base) };
  });

  const meanClusterSize = people / clusterNames.length;
  return {
    clusters: clusterNames.length,
    people,
    icc,
    designEffect: Math.max(...comparisons.map((comparison) => comparison.varianceInflation)),
    clusterRandomisedDesignEffect: 1 + (meanClusterSize - 1) * icc,
    meanClusterSize,
    model,
    adjustment,
    confidence,
    controlRate: armTotals[0].rate,
    comparisons,
    explanation: WITHIN_CLUSTER_EXPLANATION,
  };
}

/** robust² / naive², with 0/0 (nothing varies) read as no inflation. */
function varianceRatio(robustSe: number, naiveSe: number): number {
  if (naiveSe === 0) return robustSe === 0 ? 1 : Infinity;
  return (robustSe / naiveSe) ** 2;
}

/**
 * The cluster-robust interval for a comparison at any confidence level:
 * difference ± t(1 − α/2, df)·robustSe with the comparison's own
 * (Bell–McCaffrey) degrees of freedom, for example at a group-sequential
 * look's adjusted level such as 0.9995. Matches clubSandwich
 * `conf_int(fit, vcov = "CR2", cluster = d$coach, test = "Satterthwaite", level = confidence)`.
 * When the standard error is 0 the interval is the point.
 *
 * @example
 * robustIntervalAt({ difference: 0.2, robustSe: 0.05, degreesOfFreedom: 8.5 }, 0.9995);
 * // [-0.0720, 0.4720] (R: 0.2 + c(-1, 1) * qt(1 - 0.0005 / 2, 8.5) * 0.05)
 */
export function robustIntervalAt(
  comparison: Pick<ClusteredArmComparison, 'difference' | 'robustSe' | 'degreesOfFreedom'>,
  confidence: number,
): Interval {
  assertOpenUnitInterval(confidence, 'confidence');
  const { difference, robustSe, degreesOfFreedom } = comparison;
  if (robustSe === 0) return [difference, difference];
  const critical = criticalValue(confidence, degreesOfFreedom);
  return [difference - critical * robustSe, difference + critical * robustSe];
}

/** Two-sided t p-value on the comparison's df; 1 or 0 when the standard error is 0. */
function robustPValue(comparison: Pick<ClusteredArmComparison, 'difference' | 'robustSe' | 'degreesOfFreedom'>): number {
  const { difference, robustSe, degreesOfFreedom } = comparison;
  if (robustSe === 0) return difference === 0 ? 1 : 0;
  return studentTTwoSided(difference / robustSe, degreesOfFreedom);
}
