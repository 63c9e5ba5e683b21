/**
 * Analysis for designs that randomise whole clusters (every person of a work
 * coach, or of a site, gets the same arm). Here the cluster is the unit of
 * randomisation, so the number of clusters, not people, sets the precision,
 * and the design effect 1 + (m̄ − 1)·ICC is the right summary of the cost.
 */
import type { ClusterArmStats, Interval } from './types.ts';
import { clusteredComparison } from './clustering.ts';
import { criticalValue, studentTTwoSided } from './distributions.ts';
import { intraclassCorrelationWithinArms } from './intraclass-correlation.ts';
import { assertOpenUnitInterval } from './validate-input.ts';

export interface ClusterSummaryTest {
  /** Unweighted mean of the arm's cluster proportions. */
  armMeanProportion: number;
  controlMeanProportion: number;
  /** armMeanProportion − controlMeanProportion. */
  difference: number;
  /** Pooled-variance standard error of the difference of mean cluster proportions. */
  standardError: number;
  ci: Interval;
  pValue: number;
  /** G_arm + G_control − 2. */
  degreesOfFreedom: number;
}

export interface ClusterRandomisedArmComparison {
  arm: string;
  /** Clusters randomised to the arm. */
  clusters: number;
  /** People-weighted rate in the arm. */
  rate: number;
  /** rate(arm) − rate(control), the difference in rates. */
  difference: number;
  /** CR2 standard error with clusters as the unit. */
  robustSe: number;
  robustCi: Interval;
  pValue: number;
  /** Bell–McCaffrey degrees of freedom, driven by the number of clusters, not people. */
  degreesOfFreedom: number;
  /** Standard error ignoring clusters (HC2), as if people had been randomised one by one. */
  naiveSe: number;
  /** robustSe² ÷ naiveSe², the variance inflation seen in these data. */
  varianceInflation: number;
  /** The classic cluster-level analysis: Student t-test on the cluster proportions. */
  clusterSummary: ClusterSummaryTest;
}

export interface ClusterRandomisedComparisonResult {
  clusters: number;
  people: number;
  /** One-way ANOVA ICC with clusters nested in arms, truncated at 0. */
  icc: number;
  /** Mean cluster size m̄ = N / G. */
  meanClusterSize: number;
  /** 1 + (m̄ − 1)·ICC: the design effect of randomising whole clusters (Donner, Birkett & Buck 1981). */
  designEffect: number;
  confidence: number;
  controlRate: number;
  comparisons: ClusterRandomisedArmComparison[];
}

/**
 * Arm-vs-control comparison of a binary outcome when whole clusters (coaches,
 * sites) were randomised. Two analyses, both at the cluster level:
 *
 * - the headline `difference` / `robustCi`: the difference in rates from
 *   y ~ arm on people, with the CR2 variance clustered by cluster and
 *   Bell–McCaffrey degrees of freedom (which fall to about the number of
 *   clusters minus two, however many people there are), as R clubSandwich
 *   `coef_test(lm(y ~ arm, d), vcov = "CR2", cluster = d$site, test = "Satterthwaite")`;
 * - `clusterSummary`: the unweighted two-sample t-test on cluster proportions
 *   with pooled variance, df = G_arm + G_control − 2 (Hayes & Moulton 2017,
 *   Cluster Randomised Trials, 2nd ed., §9.2), as R
 *   `t.test(p[arm == "text"], p[arm == "letter"], var.equal = TRUE)`. It weights
 *   each cluster equally, so with unequal cluster sizes its difference is not
 *   the difference in rates.
 *
 * The ICC is estimated within arms (`intraclassCorrelationWithinArms`) and the
 * design effect is 1 + (m̄ − 1)·ICC with m̄ = N / G; with very unequal cluster
 * sizes the real inflation is larger (Eldridge, Ashby & Kerry 2006), which
 * `varianceInflation` shows directly.
 *
 * RangeError when a cluster has people in two arms (use `clusteredComparison`,
 * the within-cluster analysis), when an arm or the control has no cluster,
 * when the cluster-level test has no degrees of freedom (one cluster in each
 * of the two arms), or for the input errors `clusteredComparison` refuses.
 *
 * @example
 * clusterRandomisedComparison(
 *   [
 *     { cluster: 'Leeds', arm: 'letter', n: 30, successes: 6 }, { cluster: 'York', arm: 'letter', n: 25, successes: 7 },
 *     { cluster: 'Hull', arm: 'text', n: 28, successes: 11 }, { cluster: 'Bradford', arm: 'text', n: 35, successes: 12 },
 *   ],
 *   { control: 'letter' },
 * ).comparisons[0].clusterSummary;
 * // { difference: 0.1287, standardError: 0.0472, degreesOfFreedom: 2, pValue: 0.1134, ... }
 * // (R: t.test(c(11/28, 12/35), c(6/30, 7/25), var.equal = TRUE))
 */
export function clusterRandomisedComparison(
  cells: ClusterArmStats[],
  options: { control: string; confidence?: number },
): ClusterRandomisedComparisonResult {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const used = cells.filter((cell) => cell.n > 0);
  const armOfCluster = new Map<string, string>();
  for (const cell of used) {
    const arm = armOfCluster.get(cell.cluster);
    if (arm !== undefined && arm !== cell.arm) {
      throw new RangeError(
        `cluster "${cell.cluster}" has people in arms "${arm}" and "${cell.arm}": a cluster-randomised analysis needs one arm per cluster`,
      );
    }
    armOfCluster.set(cell.cluster, cell.arm);
  }

  const individual = clusteredComparison(cells, { control: options.control, confidence });
  const { icc } = intraclassCorrelationWithinArms(used);
  const proportionsIn = (arm: string) => used.filter((cell) => cell.arm === arm).map((cell) => cell.successes / cell.n);
  const controlProportions = proportionsIn(options.control);

  return {
    clusters: individual.clusters,
    people: individual.people,
    icc,
    meanClusterSize: individual.meanClusterSize,
    designEffect: 1 + (individual.meanClusterSize - 1) * icc,
    confidence,
    controlRate: individual.controlRate,
    comparisons: individual.comparisons.map((comparison) => {
      const armProportions = proportionsIn(comparison.arm);
      return {
        arm: comparison.arm,
        clusters: armProportions.length,
        rate: comparison.rate,
        difference: comparison.difference,
        robustSe: comparison.robustSe,
        robustCi: comparison.robustCi,
        pValue: comparison.pValue,
        degreesOfFreedom: comparison.degreesOfFreedom,
        naiveSe: comparison.naiveSe,
        varianceInflation: comparison.varianceInflation,
        clusterSummary: pooledTTest(armProportions, controlProportions, confidence, comparison.arm),
      };
    }),
  };
}

/** Student's two-sample t-test with pooled variance on the cluster proportions. */
function pooledTTest(arm: number[], control: number[], confidence: number, name: string): ClusterSummaryTest {
  const degreesOfFreedom = arm.length + control.length - 2;
  if (degreesOfFreedom < 1) {
    throw new RangeError(`arm "${name}" and the control need at least three clusters between them for a cluster-level test`);
  }
  const mean = (values: number[]) => values.reduce((total, value) => total + value, 0) / values.length;
  const squares = (values: number[], centre: number) => values.reduce((total, value) => total + (value - centre) ** 2, 0);
  const armMeanProportion = mean(arm);
  const controlMeanProportion = mean(control);
  const pooledVariance = (squares(arm, armMeanProportion) + squares(control, controlMeanProportion)) / degreesOfFreedom;
  const standardError = Math.sqrt(pooledVariance * (1 / arm.length + 1 / control.length));
  const difference = armMeanProportion - controlMeanProportion;
  if (standardError === 0) {
    return {
      armMeanProportion,
      controlMeanProportion,
      difference,
      standardError,
      ci: [difference, difference],
      pValue: difference === 0 ? 1 : 0,
      degreesOfFreedom,
    };
  }
  const critical = criticalValue(confidence, degreesOfFreedom);
  return {
    armMeanProportion,
    controlMeanProportion,
    difference,
    standardError,
    ci: [difference - critical * standardError, difference + critical * standardError],
    pValue: studentTTwoSided(difference / standardError, degreesOfFreedom),
    degreesOfFreedom,
  };
}
