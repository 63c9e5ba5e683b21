/** Why a subgroup's numbers are withheld. */
export type WithheldReason = 'small' | 'secondary';

/**
 * Which subgroups of one characteristic to withhold, and why. Primary
 * suppression: a subgroup in which any arm has fewer than `minPerArm` people
 * (an arm missing from the subgroup counts as 0) is withheld as `small`.
 * Secondary suppression: the arm totals are shown elsewhere, so total minus
 * the shown subgroups gives the withheld subgroups together; if that is one
 * subgroup, or fewer than `minPerArm` people in any arm, the small subgroup can
 * be worked out. So while the withheld subgroups are fewer than two, or
 * together have fewer than `minPerArm` people in some arm, the shown subgroup
 * with the fewest people (earliest listed on a tie) is withheld too, as
 * `secondary`, until the withheld remainder is safe or everything is withheld.
 * A shown subgroup has at least `minPerArm` in every arm, so one secondary
 * subgroup is always enough. Only people (n) are protected, as in the primary
 * rule; the successes of the withheld subgroups are recoverable only together.
 *
 * Source: complementary (secondary) cell suppression, as in the ONS and
 * Eurostat statistical disclosure control guidance (e.g. Hundepool et al.,
 * Statistical Disclosure Control, Wiley 2012, §5.5); the same rule the weekly
 * report applies to totals beside their parts (docs/decisions/0012).
 *
 * @example
 * withheldSubgroups(
 *   [
 *     { subgroup: 'mental health', arms: [{ arm: 'letter', n: 45 }, { arm: 'text', n: 48 }] },
 *     { subgroup: 'musculoskeletal', arms: [{ arm: 'letter', n: 30 }, { arm: 'text', n: 32 }] },
 *     { subgroup: 'sensory', arms: [{ arm: 'letter', n: 4 }, { arm: 'text', n: 6 }] },
 *   ],
 *   ['letter', 'text'],
 *   10,
 * );
 * // Map { 'sensory' => 'small', 'musculoskeletal' => 'secondary' }
 */
export function withheldSubgroups(
  groups: readonly { subgroup: string; arms: readonly { arm: string; n: number }[] }[],
  armNames: readonly string[],
  minPerArm: number,
): Map<string, WithheldReason> {
  const count = (group: (typeof groups)[number], arm: string) => group.arms.find((stats) => stats.arm === arm)?.n ?? 0;
  const withheld = new Map<string, WithheldReason>();
  for (const group of groups) {
    if (armNames.some((arm) => count(group, arm) < minPerArm)) withheld.set(group.subgroup, 'small');
  }
  if (withheld.size === 0) return withheld;

  const remainderIsSafe = () =>
    withheld.size === groups.length ||
    (withheld.size >= 2 &&
      armNames.every(
        (arm) => groups.filter((group) => withheld.has(group.subgroup)).reduce((total, group) => total + count(group, arm), 0) >= minPerArm,
      ));
  const total = (group: (typeof groups)[number]) => armNames.reduce((sum, arm) => sum + count(group, arm), 0);
  while (!remainderIsSafe()) {
    let smallest: (typeof groups)[number] | undefined;
    for (const group of groups) {
      if (withheld.has(group.subgroup)) continue;
      if (smallest === undefined || total(group) < total(smallest)) smallest = group;
    }
    withheld.set((smallest as (typeof groups)[number]).subgroup, 'secondary');
  }
  return withheld;
}
