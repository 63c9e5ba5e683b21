/**
 * Ordinary least squares for a 0/1 outcome (the linear probability model) with
 * cluster-robust standard errors, computed from grouped counts: every person in
 * a group shares one design row, so the group's n and successes are all the
 * fit, the residuals and the sandwich need.
 */
import { choleskyInverse, dot, multiplyVector, symmetricPower, zeroMatrix, type Matrix } from './small-matrix.ts';

/** People who share a cluster and a design row (e.g. one coach's people in one arm). */
export interface GroupedDesignCell {
  cluster: string;
  /** The design row x shared by everyone in the cell (intercept, arm dummies, …). */
  row: readonly number[];
  n: number;
  successes: number;
}

export interface ClusterRobustCoefficient {
  estimate: number;
  /** Cluster-robust standard error (CR2 or CR1, as asked). */
  robustSe: number;
  /**
   * Degrees of freedom for t: the Bell–McCaffrey Satterthwaite approximation
   * for CR2, G − 1 for CR1.
   */
  degreesOfFreedom: number;
  /**
   * Standard error ignoring clusters: HC2 (each person their own cluster, the
   * CR2 calculation with clusters of one), for any adjustment.
   */
  naiveSe: number;
}

export interface ClusterRobustFit {
  clusters: number;
  people: number;
  coefficients: number[];
  /** One entry per index asked for in `tested`, in that order. */
  tested: ClusterRobustCoefficient[];
}

/**
 * Fits y ~ x by least squares over grouped 0/1 data and returns, for the
 * coefficients asked for, the cluster-robust standard error and degrees of
 * freedom.
 *
 * CR2 (the default) is Bell & McCaffrey's bias-reduced linearisation: each
 * cluster's residuals are premultiplied by A_g = (I − H_gg)^(−1/2) (symmetric
 * pseudo-inverse square root, working model Φ = I), with no further
 * small-sample factor, and each coefficient's t test uses Satterthwaite degrees
 * of freedom under the same working model, df = (Σ_g P_gg)² / Σ_{g,h} P_gh²
 * with P_gh = p_gᵀ(I − H)_gh p_h and p_g = A_g X_g M c (Pustejovsky & Tipton
 * 2018, eq. 11). This is what R clubSandwich reports for
 * `coef_test(lm(y ~ x), vcov = "CR2", cluster = g, test = "Satterthwaite")`.
 *
 * Why no n×n matrices: rows within a cell are identical, so with E_g the
 * cluster's people-by-cell indicator matrix, H_gg = E_g (R_g M R_gᵀ) E_gᵀ has
 * rank at most the number of cells in the cluster. On the within-cell
 * contrasts I − H_gg is the identity and they drop out of Xᵀ A e (a cell's
 * residuals enter only through their sum); on the span of E_g it is
 * N^(1/2)(I − S_g)N^(−1/2) in cell coordinates, with S_g = N^(1/2) R_g M R_gᵀ
 * N^(1/2) and N = diag(cell sizes). So the adjusted score is
 * X_gᵀ A_g e_g = R_gᵀ N^(1/2) (I − S_g)^(−1/2) N^(−1/2) u_g, u_g the cells'
 * residual sums s − n·ŷ, and the df pieces are p_gᵀp_g = ‖T_g N^(1/2) v_g‖² and
 * X_gᵀ p_g = R_gᵀ N^(1/2) T_g N^(1/2) v_g with v_g = R_g M c, T_g = (I − S_g)^(−1/2):
 * matrices of cells-per-cluster size only.
 *
 * CR1 (for comparison) is the Stata / statsmodels default: raw scores, factor
 * G/(G − 1)·(N − 1)/(N − p), t with G − 1 df (Cameron & Miller 2015).
 *
 * RangeError when X'X is singular (a coefficient the data cannot estimate),
 * with fewer than 2 clusters, or when a tested coefficient has no
 * cluster-robust information (every group it compares sits wholly in one
 * cluster, so the Satterthwaite df is 0/0).
 *
 * Sources: Bell, R. M. & McCaffrey, D. F. (2002) "Bias reduction in standard
 * errors for linear regression with multi-stage samples", Survey Methodology
 * 28:169–181; Pustejovsky, J. E. & Tipton, E. (2018) "Small-sample methods for
 * cluster-robust variance estimation and hypothesis testing in fixed effects
 * models", J Business & Economic Statistics 36:672–683; Imbens & Kolesár (2016)
 * Rev Econ Stat 98:701–712.
 *
 * @example
 * clusterRobustLinearFit(
 *   [
 *     { cluster: 'A', row: [1, 0], n: 10, successes: 2 }, { cluster: 'A', row: [1, 1], n: 10, successes: 5 },
 *     { cluster: 'B', row: [1, 0], n: 12, successes: 4 }, { cluster: 'B', row: [1, 1], n: 11, successes: 4 },
 *   ],
 *   { tested: [1] },
 * ).tested[1]; // { estimate: 0.1558, robustSe: 0.1345, degreesOfFreedom: 1.0002, naiveSe: 0.1473 }
 */
export function clusterRobustLinearFit(
  cells: readonly GroupedDesignCell[],
  options: { tested: readonly number[]; adjustment?: 'CR2' | 'CR1' },
): ClusterRobustFit {
  const adjustment = options.adjustment ?? 'CR2';
  const used = cells.filter((cell) => cell.n > 0);
  if (used.length === 0) throw new RangeError('a regression needs some people');
  const parameters = used[0].row.length;

  const crossProducts = zeroMatrix(parameters);
  const crossOutcome = new Array<number>(parameters).fill(0);
  for (const cell of used) {
    if (cell.row.length !== parameters) throw new RangeError('every design row must have the same length');
    for (let i = 0; i < parameters; i++) {
      crossOutcome[i] += cell.successes * cell.row[i];
      for (let j = 0; j < parameters; j++) crossProducts[i][j] += cell.n * cell.row[i] * cell.row[j];
    }
  }
  const bread = choleskyInverse(crossProducts);
  const coefficients = multiplyVector(bread, crossOutcome);
  const people = used.reduce((total, cell) => total + cell.n, 0);

  const byCluster = new Map<string, GroupedCell[]>();
  for (const cell of used) {
    const breadRow = multiplyVector(bread, cell.row);
    const fitted = dot(cell.row, coefficients);
    const grouped: GroupedCell = { ...cell, breadRow, fitted, residualSum: cell.successes - cell.n * fitted };
    byCluster.set(cell.cluster, [...(byCluster.get(cell.cluster) ?? []), grouped]);
  }
  const clusterCells = [...byCluster.values()];
  const clusterCount = clusterCells.length;
  if (clusterCount < 2) {
    throw new RangeError(`cluster-robust standard errors need at least 2 clusters with people (got ${clusterCount})`);
  }

  const naive = heteroskedasticCovariance(used, bread, coefficients);
  const tested =
    adjustment === 'CR2'
      ? cr2Coefficients(clusterCells, bread, coefficients, options.tested)
      : cr1Coefficients(clusterCells, bread, coefficients, options.tested, people);
  return {
    clusters: clusterCount,
    people,
    coefficients,
    tested: tested.map((coefficient, i) => ({
      ...coefficient,
      naiveSe: Math.sqrt(Math.max(0, naive[options.tested[i]])),
    })),
  };
}

interface GroupedCell extends GroupedDesignCell {
  /** M x for the cell's row, M = (X'X)⁻¹. */
  breadRow: number[];
  fitted: number;
  /** Σ of the cell's residuals, s − n·ŷ. */
  residualSum: number;
}

type Tested = Omit<ClusterRobustCoefficient, 'naiveSe'>;

function cr2Coefficients(
  clusters: GroupedCell[][],
  bread: Matrix,
  coefficients: number[],
  tested: readonly number[],
): Tested[] {
  const parameters = bread.length;
  const adjustments = clusters.map((cellsInCluster) => {
    const roots = cellsInCluster.map((cell) => Math.sqrt(cell.n));
    // I − S_g with S_g[c][d] = √(n_c n_d) x_cᵀ M x_d.
    const identityMinusS = cellsInCluster.map((left, c) =>
      cellsInCluster.map((right, d) => (c === d ? 1 : 0) - roots[c] * roots[d] * dot(left.row, right.breadRow)),
    );
    return { roots, inverseRoot: symmetricPower(identityMinusS, -0.5) };
  });

  // Adjusted scores X_gᵀ A_g e_g = R_gᵀ N^½ T_g N^−½ u_g, then M times them.
  const scores = clusters.map((cellsInCluster, g) => {
    const { roots, inverseRoot } = adjustments[g];
    const scaled = cellsInCluster.map((cell, c) => cell.residualSum / roots[c]);
    const adjusted = multiplyVector(inverseRoot, scaled).map((value, c) => value * roots[c]);
    const score = new Array<number>(parameters).fill(0);
    cellsInCluster.forEach((cell, c) => {
      for (let i = 0; i < parameters; i++) score[i] += cell.row[i] * adjusted[c];
    });
    return multiplyVector(bread, score);
  });

  return tested.map((index) => {
    const variance = scores.reduce((total, score) => total + score[index] ** 2, 0);
    // Satterthwaite pieces for contrast c = e_index: p_gᵀp_g and z_g = X_gᵀ p_g.
    const ownSquares: number[] = [];
    const projected: number[][] = [];
    clusters.forEach((cellsInCluster, g) => {
      const { roots, inverseRoot } = adjustments[g];
      const weighted = cellsInCluster.map((cell, c) => roots[c] * cell.breadRow[index]);
      const transformed = multiplyVector(inverseRoot, weighted);
      ownSquares.push(dot(transformed, transformed));
      const z = new Array<number>(parameters).fill(0);
      cellsInCluster.forEach((cell, c) => {
        for (let i = 0; i < parameters; i++) z[i] += cell.row[i] * roots[c] * transformed[c];
      });
      projected.push(z);
    });
    const breadProjected = projected.map((z) => multiplyVector(bread, z));
    let expectation = 0;
    let sumSquares = 0;
    for (let g = 0; g < clusters.length; g++) {
      for (let h = g; h < clusters.length; h++) {
        const cross = dot(projected[g], breadProjected[h]);
        if (g === h) {
          const diagonal = ownSquares[g] - cross;
          expectation += diagonal;
          sumSquares += diagonal ** 2;
        } else {
          sumSquares += 2 * cross ** 2;
        }
      }
    }
    if (!(expectation > 1e-12 * Math.max(1, ownSquares.reduce((a, b) => a + b, 0)))) {
      throw new RangeError(
        'a coefficient has no cluster-robust information: everyone it compares is wholly within single clusters',
      );
    }
    return {
      estimate: coefficients[index],
      robustSe: Math.sqrt(Math.max(0, variance)),
      degreesOfFreedom: (expectation * expectation) / sumSquares,
    };
  });
}

function cr1Coefficients(
  clusters: GroupedCell[][],
  bread: Matrix,
  coefficients: number[],
  tested: readonly number[],
  people: number,
): Tested[] {
  const parameters = bread.length;
  const clusterCount = clusters.length;
  const correction = (clusterCount / (clusterCount - 1)) * ((people - 1) / (people - parameters));
  const scores = clusters.map((cellsInCluster) => {
    const score = new Array<number>(parameters).fill(0);
    for (const cell of cellsInCluster) for (let i = 0; i < parameters; i++) score[i] += cell.row[i] * cell.residualSum;
    return multiplyVector(bread, score);
  });
  return tested.map((index) => ({
    estimate: coefficients[index],
    robustSe: Math.sqrt(correction * scores.reduce((total, score) => total + score[index] ** 2, 0)),
    degreesOfFreedom: clusterCount - 1,
  }));
}

/**
 * Diagonal of the HC2 covariance, M (Σ_i x_i x_iᵀ e_i² / (1 − h_i)) M, from
 * counts: within a cell every person has the same leverage h = xᵀMx and a
 * residual of 1 − ŷ (successes) or −ŷ (the rest). A person with leverage 1 is
 * fitted exactly (residual 0) and adds nothing, the pseudo-inverse convention
 * clubSandwich uses when each person is their own cluster.
 */
function heteroskedasticCovariance(cells: GroupedDesignCell[], bread: Matrix, coefficients: number[]): number[] {
  const parameters = bread.length;
  const meat = zeroMatrix(parameters);
  for (const cell of cells) {
    const fitted = dot(cell.row, coefficients);
    const leverage = dot(cell.row, multiplyVector(bread, cell.row));
    if (leverage >= 1 - 1e-12) continue;
    const squares = (cell.successes * (1 - fitted) ** 2 + (cell.n - cell.successes) * fitted ** 2) / (1 - leverage);
    for (let i = 0; i < parameters; i++) {
      for (let j = 0; j < parameters; j++) meat[i][j] += cell.row[i] * cell.row[j] * squares;
    }
  }
  return bread.map((row) => dot(row, multiplyVector(meat, row)));
}
