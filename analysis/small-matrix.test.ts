import { describe, expect, it } from 'vitest';
import { choleskyInverse, symmetricEigen, symmetricPower } from './small-matrix.ts';
import { expectClose } from './expect-close.ts';

describe('small matrix algebra', () => {
  it('inverts a positive definite matrix as R solve does', () => {
    // R: solve(matrix(c(4, 2, 2, 3), 2))
    const inverse = choleskyInverse([[4, 2], [2, 3]]);
    [[0.375, -0.25], [-0.25, 0.5]].forEach((row, i) => row.forEach((value, j) => expectClose(inverse[i][j], value, 1e-14)));
  });

  it('refuses a singular matrix rather than returning nonsense', () => {
    expect(() => choleskyInverse([[1, 1], [1, 1]])).toThrow(/singular/);
  });

  it('finds the eigenvalues R eigen finds', () => {
    // R: eigen(matrix(c(2,1,0,1,3,1,0,1,4), 3))$values
    const values = symmetricEigen([[2, 1, 0], [1, 3, 1], [0, 1, 4]]).values.sort((a, b) => b - a);
    [4.7320508075688776, 3.0000000000000022, 1.2679491924311228].forEach((value, i) => expectClose(values[i], value, 1e-13));
  });

  it('takes the inverse square root through the eigen-decomposition', () => {
    // R: m <- matrix(c(2,1,0,1,3,1,0,1,4), 3); e <- eigen(m); e$vectors %*% diag(e$values^-0.5) %*% t(e$vectors)
    const root = symmetricPower([[2, 1, 0], [1, 3, 1], [0, 1, 4]], -0.5);
    const expected = [
      [0.76536894623302909, -0.155839653880262385, 0.032179023163141099],
      [-0.155839653880262413, 0.64170831551590779, -0.09148160755397973],
      [0.032179023163141099, -0.091481607553979688, 0.518047684798787045],
    ];
    expected.forEach((row, i) => row.forEach((value, j) => expectClose(root[i][j], value, 1e-12)));
  });

  it('gives zero on the null space, the pseudo-inverse convention clubSandwich uses', () => {
    const root = symmetricPower([[4, 0], [0, 0]], -0.5);
    expect(root).toEqual([[0.5, 0], [0, 0]]);
  });
});
