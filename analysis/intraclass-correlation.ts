/**
 * How alike the outcomes of people in the same cluster (work coach, site) are:
 * the intraclass correlation, by one-way analysis of variance on counts.
 */
export interface IntraclassCorrelation {
  /** Between-cluster mean square, SSB / (k − 1) (k − A within A arms). */
  meanSquareBetween: number;
  /** Within-cluster mean square, SSW / (N − k). */
  meanSquareWithin: number;
  /** Average cluster size adjusted for unequal sizes, (N − Σn_g²/N) / (k − 1) (within arms: see below). */
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
  return anovaIntraclassCorrelation(clusters.map((cluster) => ({ ...cluster, arm: '' })));
}

/**
 * As `intraclassCorrelation`, for clusters that were randomised whole: the
 * between-cluster mean square is taken within arms, so a difference between
 * arms is not mistaken for clustering. With A arms and k clusters,
 * MSB = (Σ s_g²/n_g − Σ_a S_a²/N_a) / (k − A), MSW = SSW / (N − k) and
 * n₀ = (N − Σ_a Σ_{g∈a} n_g² / N_a) / (k − A), the one-way estimator for
 * clusters nested in arms (Donner & Klar 2000, Design and Analysis of Cluster
 * Randomization Trials, §4.3). Each cluster belongs to one arm. RangeError
 * unless there are more clusters than arms and more people than clusters.
 * Reference: R `anova(aov(y ~ arm + g, d))`, MSB the `g` row, MSW the residual
 * row, n₀ as above.
 *
 * @example
 * intraclassCorrelationWithinArms([
 *   { cluster: 'A', arm: 'letter', n: 10, successes: 2 }, { cluster: 'B', arm: 'letter', n: 12, successes: 6 },
 *   { cluster: 'C', arm: 'text', n: 9, successes: 5 }, { cluster: 'D', arm: 'text', n: 11, successes: 4 },
 * ]).icc; // 0.0339 (R: as above)
 */
export function intraclassCorrelationWithinArms(
  clusters: Array<{ cluster: string; arm: string; n: number; successes: number }>,
): IntraclassCorrelation {
  return anovaIntraclassCorrelation(clusters);
}

function anovaIntraclassCorrelation(
  clusters: Array<{ cluster: string; arm: string; n: number; successes: number }>,
): IntraclassCorrelation {
  const used = clusters.filter((cluster) => cluster.n > 0);
  const k = used.length;
  if (k < 2) throw new RangeError(`an intraclass correlation needs at least 2 clusters with people (got ${k})`);
  const people = used.reduce((total, cluster) => total + cluster.n, 0);
  if (people <= k) {
    throw new RangeError('an intraclass correlation needs some cluster with more than one person');
  }
  const arms = new Map<string, { n: number; successes: number; sumSquaredSizes: number }>();
  for (const cluster of used) {
    const arm = arms.get(cluster.arm) ?? { n: 0, successes: 0, sumSquaredSizes: 0 };
    arm.n += cluster.n;
    arm.successes += cluster.successes;
    arm.sumSquaredSizes += cluster.n ** 2;
    arms.set(cluster.arm, arm);
  }
  const betweenDf = k - arms.size;
  if (betweenDf < 1) throw new RangeError('an intraclass correlation within arms needs more clusters than arms');
  const successes = used.reduce((total, cluster) => total + cluster.successes, 0);
  const sumSquaredOverSize = used.reduce((total, cluster) => total + cluster.successes ** 2 / cluster.n, 0);
  const armSquares = [...arms.values()].reduce((total, arm) => total + arm.successes ** 2 / arm.n, 0);
  const betweenSquares = Math.max(0, sumSquaredOverSize - armSquares);
  const withinSquares = Math.max(0, successes - sumSquaredOverSize);
  const meanSquareBetween = betweenSquares / betweenDf;
  const meanSquareWithin = withinSquares / (people - k);
  const adjustedClusterSize =
    (people - [...arms.values()].reduce((total, arm) => total + arm.sumSquaredSizes / arm.n, 0)) / betweenDf;
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
