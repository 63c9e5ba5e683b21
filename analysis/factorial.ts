/**
 * Factorial designs (e.g. message channel × tone): main effects by pooling
 * arms over the other factors, and the interaction of two factors both on the
 * risk-difference scale (Wald) and as a likelihood-ratio test from logistic
 * regression.
 *
 * Pooling assumes the design is a full factorial with (roughly) equal
 * allocation to every combination, so that each level of one factor meets the
 * same mix of the others' levels. With unequal cells the pooled margins mix in
 * the other factors' effects; read the interaction first.
 */
import type { BinaryArmStats, Interval } from './types.ts';
import { chiSquareSurvival } from './chi-square-distribution.ts';
import { compareProportions, type ProportionTestName } from './compare-proportions.ts';
import { criticalValue, normalTwoSided } from './distributions.ts';
import { newcombeDifferenceInterval } from './newcombe-difference-interval.ts';
import { assertBinaryArm, assertOpenUnitInterval } from './validate-input.ts';

/** One arm of a factorial experiment: its level of every factor, and its counts. */
export interface FactorialArmStats extends BinaryArmStats {
  /** Level of each factor, e.g. { channel: 'text', tone: 'warm' }. */
  levels: Record<string, string>;
}

/** Pooled counts for one level of a factor (or one combination of levels). */
export interface PooledLevel {
  level: string;
  n: number;
  successes: number;
  rate: number;
}

/** One non-reference level of a factor against the reference level. */
export interface MainEffectComparison extends PooledLevel {
  /** rate(level) − rate(reference), pooled over the other factors. */
  difference: number;
  /** Newcombe hybrid score interval for the difference. */
  differenceCi: Interval;
  /** Two-sided p-value of "same rate as the reference level". */
  pValue: number;
  /** Which test gave the p-value: pooled z, or Fisher's exact test for small counts. */
  test: ProportionTestName;
}

export interface FactorMainEffect {
  factor: string;
  reference: PooledLevel;
  comparisons: MainEffectComparison[];
}

export interface MainEffectsOptions {
  /** Reference (control) level of every factor, e.g. { channel: 'letter', tone: 'standard' }. */
  reference: Record<string, string>;
  confidence?: number;
}

/** Counts for one combination of the two factors' levels, pooled over any other factors. */
export interface InteractionCell {
  levels: Record<string, string>;
  n: number;
  successes: number;
  rate: number;
}

/** The interaction contrast for one pair of non-reference levels. */
export interface InteractionContrast {
  /** The non-reference level of each of the two factors, e.g. { channel: 'text', tone: 'warm' }. */
  levels: Record<string, string>;
  /** (p_ab − p_a0) − (p_0b − p_00) on the risk-difference scale. */
  estimate: number;
  /** Wald standard error √(Σ p(1 − p)/n) over the four cells. */
  standardError: number;
  /** Wald interval; null when the standard error is 0 (all four cells at 0% or 100%). */
  interval: Interval | null;
  z: number | null;
  pValue: number | null;
}

/** Likelihood-ratio test of the interaction in logistic regression. */
export interface InteractionLikelihoodRatio {
  /** Residual deviance of the main-effects model logit(p) ~ A + B. */
  mainEffectsDeviance: number;
  /** Residual deviance of the saturated model A * B: 0, as it fits every cell exactly. */
  saturatedDeviance: number;
  /** Deviance difference, chi-square under "no interaction on the log-odds scale". */
  statistic: number;
  /** (levels of A − 1) × (levels of B − 1). */
  df: number;
  pValue: number;
  /** IRLS iterations used for the main-effects fit. */
  iterations: number;
}

export interface InteractionResult {
  factors: [string, string];
  reference: Record<string, string>;
  cells: InteractionCell[];
  contrasts: InteractionContrast[];
  likelihoodRatio: InteractionLikelihoodRatio;
}

export interface InteractionOptions {
  /** The two factors whose interaction is wanted; any other factors are pooled over. */
  factors: [string, string];
  /** Reference level of (at least) the two factors. */
  reference: Record<string, string>;
  confidence?: number;
}

/** Levels of a factor in order: the reference first, then in order of first appearance. */
function levelsOf(arms: FactorialArmStats[], factor: string, reference: string): string[] {
  const levels = [reference];
  for (const arm of arms) {
    const level = arm.levels[factor];
    if (!levels.includes(level)) levels.push(level);
  }
  return levels;
}

function pool(arms: FactorialArmStats[], matches: (arm: FactorialArmStats) => boolean): { n: number; successes: number } {
  let n = 0;
  let successes = 0;
  for (const arm of arms) {
    if (matches(arm)) {
      n += arm.n;
      successes += arm.successes;
    }
  }
  return { n, successes };
}

function validateArms(arms: FactorialArmStats[], factors: string[], reference: Record<string, string>): void {
  if (arms.length === 0) throw new RangeError('a factorial analysis needs at least one arm');
  for (const arm of arms) {
    assertBinaryArm(arm);
    for (const factor of factors) {
      if (typeof arm.levels?.[factor] !== 'string') {
        throw new RangeError(`arm "${arm.arm}" has no level for factor "${factor}"`);
      }
    }
  }
  for (const factor of factors) {
    const level = reference[factor];
    if (typeof level !== 'string') {
      throw new RangeError(`no reference level given for factor "${factor}"`);
    }
    if (!arms.some((arm) => arm.levels[factor] === level)) {
      throw new RangeError(`reference level "${level}" of factor "${factor}" is not in any arm`);
    }
  }
}

function pooledLevel(level: string, counts: { n: number; successes: number }): PooledLevel {
  return { level, n: counts.n, successes: counts.successes, rate: counts.successes / counts.n };
}

/**
 * Main effects of every factor in a factorial experiment. For each factor the
 * arms are pooled by level (summing n and successes across the other factors'
 * levels), and each non-reference level is compared with the reference level:
 * the difference in rates with Newcombe's hybrid score interval (method 10)
 * and a two-sided p-value from `compareProportions` (pooled z-test, or Fisher's
 * exact test when an expected count is below 5).
 *
 * Every factor that appears in the arms' `levels` needs a reference level. A
 * level whose pooled arms have nobody in them throws a RangeError (there is no
 * rate to compare).
 *
 * Source: pooling of margins in a 2^k / general factorial, e.g. Montgomery,
 * Design and Analysis of Experiments, ch. 5–6; Newcombe (1998) Statistics in
 * Medicine 17:873–890, https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I.
 * References: statsmodels `confint_proportions_2indep(..., method='newcomb',
 * compare='diff')` for the interval, R `prop.test(..., correct = FALSE)` for p.
 *
 * @example
 * factorialMainEffects(
 *   [
 *     { arm: 'letter-standard', levels: { channel: 'letter', tone: 'standard' }, n: 40, successes: 6 },
 *     { arm: 'letter-warm', levels: { channel: 'letter', tone: 'warm' }, n: 38, successes: 9 },
 *     { arm: 'text-standard', levels: { channel: 'text', tone: 'standard' }, n: 42, successes: 11 },
 *     { arm: 'text-warm', levels: { channel: 'text', tone: 'warm' }, n: 41, successes: 17 },
 *   ],
 *   { reference: { channel: 'letter', tone: 'standard' } },
 * ).factors[0].comparisons[0];
 * // { level: 'text', n: 83, successes: 28, rate: 0.3373, difference: 0.1450,
 * //   differenceCi: [0.00805, 0.27401], pValue: 0.03763, test: 'z' }
 */
export function factorialMainEffects(
  arms: FactorialArmStats[],
  options: MainEffectsOptions,
): { factors: FactorMainEffect[] } {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const factors: string[] = [];
  for (const arm of arms) {
    for (const factor of Object.keys(arm.levels ?? {})) {
      if (!factors.includes(factor)) factors.push(factor);
    }
  }
  validateArms(arms, factors, options.reference);

  return {
    factors: factors.map((factor) => {
      const referenceLevel = options.reference[factor];
      const reference = pool(arms, (arm) => arm.levels[factor] === referenceLevel);
      const comparisons = levelsOf(arms, factor, referenceLevel)
        .slice(1)
        .map((level): MainEffectComparison => {
          const counts = pool(arms, (arm) => arm.levels[factor] === level);
          const levelArm = { arm: `${factor}=${level}`, ...counts };
          const referenceArm = { arm: `${factor}=${referenceLevel}`, ...reference };
          const { difference, interval } = newcombeDifferenceInterval(levelArm, referenceArm, confidence);
          const { pValue, test } = compareProportions(levelArm, referenceArm);
          return { ...pooledLevel(level, counts), difference, differenceCi: interval, pValue, test };
        });
      return { factor, reference: pooledLevel(referenceLevel, reference), comparisons };
    }),
  };
}

/**
 * Interaction of two factors. Arms are pooled into the cells of the two-way
 * table (summing over any other factors), then:
 *
 * 1. for each pair of non-reference levels (a, b), the interaction contrast on
 *    the risk-difference scale, (p_ab − p_a0) − (p_0b − p_00): "does the
 *    effect of a differ between the reference level and level b of the other
 *    factor?", with Wald standard error √(Σ p(1 − p)/n) over the four cells, a
 *    Wald interval and a two-sided z p-value. When every one of the four cells
 *    is at 0% or 100% the standard error is 0 and interval, z and p are null.
 * 2. the likelihood-ratio test of all interaction terms on the log-odds scale:
 *    the deviance of the binomial main-effects logistic model logit(p) ~ A + B
 *    (fitted by iteratively reweighted least squares on the grouped cells)
 *    minus that of the saturated model A * B (0), against chi-square with
 *    (a − 1)(b − 1) degrees of freedom.
 *
 * The two answer different questions and can disagree: an interaction on the
 * risk-difference scale may vanish on the log-odds scale, notably when a cell is
 * at 0% or 100% (e.g. a table with 0/15 and 15/15 cells can have a large Wald
 * contrast and a likelihood-ratio statistic of 0).
 *
 * Every cell of the two-way table needs at least one person (else RangeError).
 *
 * Source: Wald contrast of independent binomial proportions; IRLS as in R
 * `glm.fit` (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5).
 * References: statsmodels `ols('y ~ A * B').fit(cov_type='HC0')` interaction
 * coefficient (its HC0 standard error equals the Wald one) and R
 * `anova(glm(cbind(s, n - s) ~ A + B, binomial), glm(cbind(s, n - s) ~ A * B, binomial), test = "Chisq")`.
 *
 * @example
 * const result = factorialInteraction(
 *   [
 *     { arm: 'letter-standard', levels: { channel: 'letter', tone: 'standard' }, n: 40, successes: 6 },
 *     { arm: 'letter-warm', levels: { channel: 'letter', tone: 'warm' }, n: 38, successes: 9 },
 *     { arm: 'text-standard', levels: { channel: 'text', tone: 'standard' }, n: 42, successes: 11 },
 *     { arm: 'text-warm', levels: { channel: 'text', tone: 'warm' }, n: 41, successes: 17 },
 *     { arm: 'phone-standard', levels: { channel: 'phone', tone: 'standard' }, n: 39, successes: 14 },
 *     { arm: 'phone-warm', levels: { channel: 'phone', tone: 'warm' }, n: 40, successes: 13 },
 *   ],
 *   { factors: ['channel', 'tone'], reference: { channel: 'letter', tone: 'standard' } },
 * );
 * result.contrasts[0]; // { levels: { channel: 'text', tone: 'warm' }, estimate: 0.06589,
 * //   standardError: 0.13589, interval: [-0.20046, 0.33223], z: 0.4849, pValue: 0.6278 }
 * result.likelihoodRatio; // { statistic: 1.7761, df: 2, pValue: 0.4114, ... }
 */
export function factorialInteraction(arms: FactorialArmStats[], options: InteractionOptions): InteractionResult {
  const confidence = options.confidence ?? 0.95;
  assertOpenUnitInterval(confidence, 'confidence');
  const [factorA, factorB] = options.factors;
  if (factorA === factorB) throw new RangeError('an interaction needs two different factors');
  validateArms(arms, [factorA, factorB], options.reference);
  const referenceA = options.reference[factorA];
  const referenceB = options.reference[factorB];
  const levelsA = levelsOf(arms, factorA, referenceA);
  const levelsB = levelsOf(arms, factorB, referenceB);

  // Two-way table of pooled cells, indexed [i][j] by level of A and B.
  const table = levelsA.map((levelA) =>
    levelsB.map((levelB) => {
      const counts = pool(arms, (arm) => arm.levels[factorA] === levelA && arm.levels[factorB] === levelB);
      if (counts.n === 0) {
        throw new RangeError(
          `no people with ${factorA} "${levelA}" and ${factorB} "${levelB}": every combination needs at least one`,
        );
      }
      return { levels: { [factorA]: levelA, [factorB]: levelB }, ...counts, rate: counts.successes / counts.n };
    }),
  );

  const z = criticalValue(confidence);
  const cellVariance = (cell: InteractionCell) => (cell.rate * (1 - cell.rate)) / cell.n;
  const contrasts: InteractionContrast[] = [];
  for (let i = 1; i < levelsA.length; i++) {
    for (let j = 1; j < levelsB.length; j++) {
      const four = [table[i][j], table[i][0], table[0][j], table[0][0]];
      const estimate = table[i][j].rate - table[i][0].rate - (table[0][j].rate - table[0][0].rate);
      const standardError = Math.sqrt(four.reduce((total, cell) => total + cellVariance(cell), 0));
      const levels = { [factorA]: levelsA[i], [factorB]: levelsB[j] };
      if (standardError === 0) {
        contrasts.push({ levels, estimate, standardError, interval: null, z: null, pValue: null });
        continue;
      }
      const statistic = estimate / standardError;
      contrasts.push({
        levels,
        estimate,
        standardError,
        interval: [estimate - z * standardError, estimate + z * standardError],
        z: statistic,
        pValue: normalTwoSided(statistic),
      });
    }
  }

  const cells = table.flat();
  const fit = fitMainEffectsLogistic(
    table.flatMap((row, i) => row.map((cell, j) => ({ ...cell, levelIndex: [i, j] }))),
    [levelsA.length, levelsB.length],
  );
  const df = (levelsA.length - 1) * (levelsB.length - 1);
  // The saturated model reproduces every cell's rate, so its deviance is 0; tiny
  // negative values from rounding in a perfectly fitting main-effects model are 0.
  const statistic = Math.max(0, fit.deviance);
  return {
    factors: [factorA, factorB],
    reference: { [factorA]: referenceA, [factorB]: referenceB },
    cells,
    contrasts,
    likelihoodRatio: {
      mainEffectsDeviance: fit.deviance,
      saturatedDeviance: 0,
      statistic,
      df,
      pValue: df === 0 ? 1 : chiSquareSurvival(statistic, df),
      iterations: fit.iterations,
    },
  };
}

/** Likelihood-ratio test of every interaction among several factors at once. */
export interface AllInteractionsLikelihoodRatio {
  factors: string[];
  /** Residual deviance of the main-effects model logit(p) ~ A + B + …. */
  mainEffectsDeviance: number;
  /** Deviance difference from the saturated model A * B * … (deviance 0). */
  statistic: number;
  /** Cells − 1 − Σ (levels − 1): the number of interaction terms. */
  df: number;
  pValue: number;
  iterations: number;
}

/**
 * Likelihood-ratio test of "no interaction of any order" among the given
 * factors, on the log-odds scale: arms are pooled into the cells of the full
 * table of the factors' levels (summing over any other factors), the binomial
 * main-effects logistic model is fitted by IRLS, and its deviance (the
 * saturated model A * B * … fits every cell exactly, deviance 0) is referred
 * to chi-square on cells − 1 − Σ(levels − 1) degrees of freedom. With two
 * factors this is `factorialInteraction`'s likelihood-ratio test.
 *
 * Every combination of levels needs at least one person (else RangeError).
 *
 * Source: analysis of deviance for binomial GLMs (McCullagh & Nelder, 2nd ed.,
 * §4.4). Reference: R `anova(glm(cbind(s, n - s) ~ A + B + C, binomial),
 * glm(cbind(s, n - s) ~ A * B * C, binomial), test = "LRT")`.
 *
 * @example
 * // channel × tone × messenger, n = 25, 24, 26, 23, 25, 27, 24, 26 and
 * // successes = 4, 6, 7, 9, 8, 7, 22, 3 (letter/text × standard/warm × dwp/charity, in that order)
 * factorialLikelihoodRatio(arms, {
 *   factors: ['channel', 'tone', 'messenger'],
 *   reference: { channel: 'letter', tone: 'standard', messenger: 'dwp' },
 * });
 * // { factors: [...], statistic: 32.351, df: 4, pValue: 1.6216e-6, ... }
 */
export function factorialLikelihoodRatio(
  arms: FactorialArmStats[],
  options: { factors: string[]; reference: Record<string, string> },
): AllInteractionsLikelihoodRatio {
  const { factors, reference } = options;
  if (factors.length < 2) throw new RangeError('an interaction needs at least two factors');
  if (new Set(factors).size !== factors.length) throw new RangeError('each factor may appear only once');
  validateArms(arms, factors, reference);
  const levels = factors.map((factor) => levelsOf(arms, factor, reference[factor]));

  const combinations: number[][] = levels.reduce<number[][]>(
    (partial, factorLevels) => partial.flatMap((prefix) => factorLevels.map((_, index) => [...prefix, index])),
    [[]],
  );
  const cells = combinations.map((levelIndex) => {
    const counts = pool(arms, (arm) => factors.every((factor, f) => arm.levels[factor] === levels[f][levelIndex[f]]));
    if (counts.n === 0) {
      const where = factors.map((factor, f) => `${factor} "${levels[f][levelIndex[f]]}"`).join(', ');
      throw new RangeError(`no people with ${where}: every combination needs at least one`);
    }
    return { ...counts, levelIndex };
  });
  const fit = fitMainEffectsLogistic(
    cells,
    levels.map((factorLevels) => factorLevels.length),
  );
  const df = cells.length - 1 - levels.reduce((total, factorLevels) => total + factorLevels.length - 1, 0);
  const statistic = Math.max(0, fit.deviance);
  return {
    factors: [...factors],
    mainEffectsDeviance: fit.deviance,
    statistic,
    df,
    pValue: df === 0 ? 1 : chiSquareSurvival(statistic, df),
    iterations: fit.iterations,
  };
}

/** R's binomial()$linkinv clamps η to ±(−log ε) so fitted rates never reach 0 or 1 exactly. */
const ETA_LIMIT = -Math.log(Number.EPSILON);

function binomialDeviance(successes: number, n: number, fitted: number): number {
  const failures = n - successes;
  const expectedSuccesses = n * fitted;
  const expectedFailures = n - expectedSuccesses;
  let deviance = 0;
  if (successes > 0) deviance += successes * Math.log(successes / expectedSuccesses);
  if (failures > 0) deviance += failures * Math.log(failures / expectedFailures);
  return 2 * deviance;
}

/**
 * Fits the main-effects logistic model logit(p) = β0 + Σ_f α_f[level_f]
 * (treatment contrasts, the first level of every factor at 0) to binomial
 * cells, each cell one combination of the factors' levels, by iteratively
 * reweighted least squares, starting and stopping as R's glm.fit does (start
 * μ = (s + ½)/(n + 1); stop when |Δdeviance|/(|deviance| + 0.1) < ε), with a
 * tighter ε of 1e-12 so the deviance is not limited by the stopping rule.
 * Under separation (a whole level at 0% or 100%) the coefficients drift to
 * ±∞ and the deviance converges to that of the limiting fit, as in R.
 */
function fitMainEffectsLogistic(
  groupedCells: { n: number; successes: number; levelIndex: number[] }[],
  levelCounts: number[],
): { deviance: number; iterations: number } {
  const offsets: number[] = [];
  let parameters = 1;
  for (const count of levelCounts) {
    offsets.push(parameters - 1);
    parameters += count - 1;
  }
  const design = (levelIndex: number[]): number[] => {
    const x = new Array<number>(parameters).fill(0);
    x[0] = 1;
    levelIndex.forEach((index, f) => {
      if (index > 0) x[offsets[f] + index] = 1;
    });
    return x;
  };
  const cells = groupedCells.map((cell) => ({ ...cell, x: design(cell.levelIndex) }));
  let mu = cells.map((cell) => (cell.successes + 0.5) / (cell.n + 1));
  let eta = mu.map((m) => Math.log(m / (1 - m)));
  let deviance = cells.reduce((total, cell, k) => total + binomialDeviance(cell.successes, cell.n, mu[k]), 0);

  for (let iteration = 1; iteration <= 100; iteration++) {
    const information = Array.from({ length: parameters }, () => new Array<number>(parameters).fill(0));
    const score = new Array<number>(parameters).fill(0);
    cells.forEach((cell, k) => {
      const derivative = Math.max(mu[k] * (1 - mu[k]), Number.EPSILON);
      const weight = cell.n * derivative;
      const working = eta[k] + (cell.successes / cell.n - mu[k]) / derivative;
      for (let r = 0; r < parameters; r++) {
        score[r] += weight * cell.x[r] * working;
        for (let c = 0; c < parameters; c++) information[r][c] += weight * cell.x[r] * cell.x[c];
      }
    });
    const beta = solveLinearSystem(information, score);
    eta = cells.map((cell) => {
      const value = cell.x.reduce((total, x, r) => total + x * beta[r], 0);
      return Math.max(-ETA_LIMIT, Math.min(ETA_LIMIT, value));
    });
    mu = eta.map((value) => 1 / (1 + Math.exp(-value)));
    const previous = deviance;
    deviance = cells.reduce((total, cell, k) => total + binomialDeviance(cell.successes, cell.n, mu[k]), 0);
    if (Math.abs(deviance - previous) / (Math.abs(deviance) + 0.1) < 1e-12) {
      return { deviance, iterations: iteration };
    }
  }
  return { deviance, iterations: 100 };
}

/** Solves A x = b for a small dense symmetric positive-definite A (Gaussian elimination, partial pivoting). */
function solveLinearSystem(matrix: number[][], vector: number[]): number[] {
  const size = vector.length;
  const a = matrix.map((row, r) => [...row, vector[r]]);
  for (let column = 0; column < size; column++) {
    let pivotRow = column;
    for (let r = column + 1; r < size; r++) {
      if (Math.abs(a[r][column]) > Math.abs(a[pivotRow][column])) pivotRow = r;
    }
    [a[column], a[pivotRow]] = [a[pivotRow], a[column]];
    const pivot = a[column][column];
    if (pivot === 0) throw new RangeError('logistic fit failed: the design has no information on a coefficient');
    for (let r = column + 1; r < size; r++) {
      const factor = a[r][column] / pivot;
      for (let c = column; c <= size; c++) a[r][c] -= factor * a[column][c];
    }
  }
  const x = new Array<number>(size).fill(0);
  for (let r = size - 1; r >= 0; r--) {
    let total = a[r][size];
    for (let c = r + 1; c < size; c++) total -= a[r][c] * x[c];
    x[r] = total / a[r][r];
  }
  return x;
}
