import { normalQuantile, normalSurvival } from '../normal-distribution.ts';
import { assertOpenUnitInterval } from '../validate-input.ts';

/** The two Lan–DeMets spending shapes we offer: O'Brien–Fleming-like (default) and Pocock-like. */
export type SpendingFunctionName = 'obf' | 'pocock';

export const SPENDING_FUNCTION_NAMES: readonly SpendingFunctionName[] = ['obf', 'pocock'];

/**
 * Cumulative two-sided type I error spent by information fraction `t`, for a
 * symmetric two-sided design with total error `alpha`. Fractions above 1 (an
 * overrunning trial) are treated as 1: everything is spent at the planned end.
 *
 * Each side spends α/2 with the one-sided Lan–DeMets function, which is the
 * convention of R rpact (`getDesignGroupSequential(sided = 2)`) and gsDesign:
 *
 *   O'Brien–Fleming-like: 2 · (2 − 2Φ(z₁₋α/₄ / √t))     (one-sided α/2 version doubled)
 *   Pocock-like:          α · ln(1 + (e − 1)·t)
 *
 * The O'Brien–Fleming-like form 2 − 2Φ(z₁₋α/₂/√t) applied to the total α (as in
 * Lan & DeMets' 1983 paper) spends a little more early; the two agree at t = 1.
 * docs/decisions/0020-group-sequential-decision-rule.md says why we follow rpact.
 *
 * Source: Lan, K. K. G. & DeMets, D. L. (1983) "Discrete sequential boundaries for
 * clinical trials", Biometrika 70:659–663; Jennison & Turnbull (2000) Group Sequential
 * Methods, §7.2; R rpact `getDesignGroupSequential(typeOfDesign = "asOF" | "asP", sided = 2)$alphaSpent`.
 *
 * @example
 * alphaSpent(0.25, { spending: 'obf' })    // 0.0000147336 (R rpact asOF, alphaSpent[1] of 4 equal looks)
 * alphaSpent(0.25, { spending: 'pocock' }) // 0.0178687010
 */
export function alphaSpent(informationFraction: number, options: { alpha?: number; spending?: SpendingFunctionName } = {}): number {
  const { alpha = 0.05, spending = 'obf' } = options;
  assertOpenUnitInterval(alpha, 'alpha');
  if (!(informationFraction >= 0) || !Number.isFinite(informationFraction)) {
    throw new RangeError(`information fraction must be 0 or more (got ${informationFraction})`);
  }
  const t = Math.min(informationFraction, 1);
  if (t === 0) return 0;
  if (t === 1) return alpha;
  if (spending === 'obf') return 4 * normalSurvival(normalQuantile(1 - alpha / 4) / Math.sqrt(t));
  if (spending === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * t);
  throw new RangeError(`spending must be one of ${SPENDING_FUNCTION_NAMES.join(', ')} (got ${String(spending)})`);
}
