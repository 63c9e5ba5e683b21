/**
 * The little dense linear algebra the cluster-robust variance needs: matrices of
 * a few dozen rows at most (one row per model coefficient, or per arm within a
 * cluster), so plain arrays and textbook algorithms are fast enough and keep
 * the code free of a numerical library. Not for large matrices.
 */

export type Matrix = number[][];

/** An n×n matrix of zeros. */
export function zeroMatrix(size: number): Matrix {
  return Array.from({ length: size }, () => new Array<number>(size).fill(0));
}

/** Matrix times vector. */
export function multiplyVector(matrix: Matrix, vector: readonly number[]): number[] {
  return matrix.map((row) => row.reduce((total, value, column) => total + value * vector[column], 0));
}

/** Dot product of two vectors of the same length. */
export function dot(left: readonly number[], right: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < left.length; i++) total += left[i] * right[i];
  return total;
}

/**
 * Inverse of a symmetric positive definite matrix by Cholesky factorisation
 * (Golub & Van Loan, Matrix Computations, 4th ed., §4.2). Throws a RangeError
 * when a pivot falls below `relativeTolerance` times the largest diagonal
 * entry: the matrix is singular, which for a model's X'X means a coefficient
 * cannot be estimated from the data.
 *
 * @example
 * choleskyInverse([[4, 2], [2, 3]]); // [[0.375, -0.25], [-0.25, 0.5]] (R: solve(matrix(c(4, 2, 2, 3), 2)))
 */
export function choleskyInverse(matrix: Matrix, relativeTolerance = 1e-10): Matrix {
  const size = matrix.length;
  const largest = Math.max(...matrix.map((row, i) => Math.abs(row[i])));
  const lower = zeroMatrix(size);
  for (let j = 0; j < size; j++) {
    let pivot = matrix[j][j];
    for (let k = 0; k < j; k++) pivot -= lower[j][k] ** 2;
    if (!(pivot > relativeTolerance * largest)) {
      throw new RangeError(`matrix is singular at column ${j + 1}`);
    }
    lower[j][j] = Math.sqrt(pivot);
    for (let i = j + 1; i < size; i++) {
      let value = matrix[i][j];
      for (let k = 0; k < j; k++) value -= lower[i][k] * lower[j][k];
      lower[i][j] = value / lower[j][j];
    }
  }
  // Invert the triangular factor column by column, then A⁻¹ = L⁻ᵀ L⁻¹.
  const lowerInverse = zeroMatrix(size);
  for (let column = 0; column < size; column++) {
    for (let i = column; i < size; i++) {
      let value = i === column ? 1 : 0;
      for (let k = column; k < i; k++) value -= lower[i][k] * lowerInverse[k][column];
      lowerInverse[i][column] = value / lower[i][i];
    }
  }
  const inverse = zeroMatrix(size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let value = 0;
      for (let k = i; k < size; k++) value += lowerInverse[k][i] * lowerInverse[k][j];
      inverse[i][j] = value;
      inverse[j][i] = value;
    }
  }
  return inverse;
}

/**
 * Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi
 * method (Golub & Van Loan, §8.5): rotations zero each off-diagonal entry in
 * turn until the off-diagonal mass is negligible. `vectors[i]` is the
 * eigenvector (unit length) for `values[i]`.
 *
 * @example
 * symmetricEigen([[2, 1], [1, 2]]).values; // [1, 3] in some order (R: eigen(matrix(c(2, 1, 1, 2), 2))$values)
 */
export function symmetricEigen(matrix: Matrix): { values: number[]; vectors: number[][] } {
  const size = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = zeroMatrix(size);
  for (let i = 0; i < size; i++) v[i][i] = 1;
  const scale = a.reduce((total, row) => total + row.reduce((sum, value) => sum + value * value, 0), 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < size; p++) for (let q = p + 1; q < size; q++) offDiagonal += a[p][q] ** 2;
    if (offDiagonal <= 1e-30 * scale || offDiagonal === 0) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return {
    values: a.map((row, i) => row[i]),
    vectors: Array.from({ length: size }, (_, i) => v.map((row) => row[i])),
  };
}

/**
 * A real power of a symmetric positive semi-definite matrix through its
 * eigen-decomposition, V·diag(λᵖ)·Vᵀ, with eigenvalues at or below 1e-12 set to
 * 0: for a negative power this is the Moore–Penrose (pseudo-inverse) power.
 * Same convention and threshold as clubSandwich's internal `matrix_power`
 * (`ifelse(values > 10^-12, values^p, 0)`), which the CR2 adjustment relies on
 * when a cluster holds all of an arm.
 *
 * @example
 * symmetricPower([[4, 0], [0, 0]], -0.5); // [[0.5, 0], [0, 0]]
 */
export function symmetricPower(matrix: Matrix, power: number): Matrix {
  const { values, vectors } = symmetricEigen(matrix);
  const size = matrix.length;
  const powered = values.map((value) => (value > 1e-12 ? value ** power : 0));
  const result = zeroMatrix(size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let value = 0;
      for (let k = 0; k < size; k++) value += vectors[k][i] * powered[k] * vectors[k][j];
      result[i][j] = value;
    }
  }
  return result;
}
