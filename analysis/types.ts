/**
 * Sufficient statistics the analysis works on. The database (or a CSV reader)
 * aggregates rows into these; every statistic is a pure function of them.
 */

/** A 95% (or other level) interval as [lower, upper], fractions not percentages. */
export type Interval = [number, number];

/** A binary metric in one arm: how many people, and how many reached the stage. */
export interface BinaryArmStats {
  arm: string;
  n: number;
  successes: number;
}

/** A numeric metric in one arm: count, sum and sum of squares of the values. */
export interface NumericArmStats {
  arm: string;
  n: number;
  sum: number;
  sumSquares: number;
}

/** Binary metric counts for one arm within one cluster (e.g. a work coach). */
export interface ClusterArmStats extends BinaryArmStats {
  cluster: string;
}
