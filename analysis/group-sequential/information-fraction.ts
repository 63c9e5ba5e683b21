import { assertCount } from '../validate-input.ts';

/**
 * Information fraction of an arm-versus-control comparison of rates, from the
 * people in each so far and the planned numbers at the end. The information in
 * a difference of two rates is proportional to 1 ÷ (1/n_arm + 1/n_control), so
 *
 *   t = (1/plannedArmN + 1/plannedControlN) ÷ (1/armN + 1/controlN),
 *
 * which is armN ÷ plannedArmN when the arms are the same size. Counting people,
 * not the estimated variance, keeps t from jumping with the observed rates
 * (Jennison & Turnbull 2000, §7.2.2 — any quantity proportional to information works).
 *
 * @example
 * informationFractionFromCounts({ armN: 120, controlN: 130, plannedArmN: 515, plannedControlN: 515 }) // 0.242330
 */
export function informationFractionFromCounts(counts: {
  armN: number;
  controlN: number;
  plannedArmN: number;
  plannedControlN: number;
}): number {
  const { armN, controlN, plannedArmN, plannedControlN } = counts;
  for (const [name, value] of Object.entries(counts)) {
    assertCount(value, name);
    if (value === 0) throw new RangeError(`${name} must be at least 1 (got 0)`);
  }
  return (1 / plannedArmN + 1 / plannedControlN) / (1 / armN + 1 / controlN);
}
