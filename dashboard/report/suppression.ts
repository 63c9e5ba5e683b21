/**
 * Small-number suppression for anything ministers see. Any count below 10 is
 * shown as "fewer than 10", and any figure from which a suppressed count could
 * be worked out (a rate, a difference, the complement "people who did not") is
 * withheld too. Suppressed values are dropped here, before the report is
 * stored, so they cannot leak through the page, the CSV or the snapshot.
 */
export const SUPPRESSION_THRESHOLD = 10;
export const FEWER_THAN = `fewer than ${SUPPRESSION_THRESHOLD}`;
export const WITHHELD = 'withheld (small numbers)';

export interface ShownCount {
  /** Null when suppressed. */
  value: number | null;
  text: string;
}

export function isSmall(count: number): boolean {
  return count < SUPPRESSION_THRESHOLD;
}

export function shownCount(count: number): ShownCount {
  if (isSmall(count)) return { value: null, text: FEWER_THAN };
  return { value: count, text: count.toLocaleString('en-GB') };
}

/**
 * A group of `people` of whom `reached` reached a stage. The count reached is
 * withheld when it, or the number who did not, is small (the complement would
 * reveal it); the rate is withheld with it.
 */
export function shownProportion(people: number, reached: number): { people: ShownCount; reached: ShownCount; rate: number | null; rateText: string; withheld: boolean } {
  const peopleShown = shownCount(people);
  const withheld = isSmall(people) || isSmall(reached) || isSmall(people - reached);
  if (withheld)
    return { people: peopleShown, reached: isSmall(people) ? { value: null, text: WITHHELD } : isSmall(reached) ? { value: null, text: FEWER_THAN } : { value: null, text: WITHHELD }, rate: null, rateText: WITHHELD, withheld };
  const rate = reached / people;
  return { people: peopleShown, reached: shownCount(reached), rate, rateText: `${(rate * 100).toFixed(0)}%`, withheld };
}

/**
 * A total shown beside its parts. If some parts are suppressed, the total
 * minus the shown parts would reveal them, so the total is withheld too unless
 * what it reveals is itself at least the threshold (secondary suppression).
 */
export function shownTotal(total: number, parts: ShownCount[], partValues: number[]): ShownCount {
  const hidden = partValues.filter((_, i) => parts[i].value === null).reduce((sum, v) => sum + v, 0);
  const anyHidden = parts.some((p) => p.value === null);
  if (anyHidden && isSmall(hidden)) return isSmall(total) ? { value: null, text: FEWER_THAN } : { value: null, text: WITHHELD };
  return shownCount(total);
}
