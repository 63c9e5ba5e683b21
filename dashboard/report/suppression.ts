/**
 * Disclosure control for everything ministers see (decision 0016), after the
 * ONS approach for small counts:
 *
 * - every count below 10 (0 included) is withheld and shown as "fewer than 10";
 * - every other count is rounded to the nearest 5, so two views can never be
 *   differenced into an exact small number;
 * - a rate is shown only when its numerator, denominator and complement are all
 *   shown (the complement "people who did not" would reveal a small numerator);
 * - a total is the sum of its rounded parts, so it always adds up; when some parts
 *   are withheld the total is shown only if the withheld parts together are at
 *   least 10 people (secondary suppression), and then adds their rounded sum.
 *
 * Values are dropped here, before a report is frozen, so nothing withheld can
 * leak through the page, the CSV, print or the stored snapshot.
 */
export const SUPPRESSION_THRESHOLD = 10;
export const ROUNDING_BASE = 5;
export const FEWER_THAN = `fewer than ${SUPPRESSION_THRESHOLD}`;
export const WITHHELD = 'withheld (small numbers)';

export interface ShownCount {
  /** Rounded to the nearest 5; null when withheld. */
  value: number | null;
  text: string;
}

export function isSmall(count: number): boolean {
  return count < SUPPRESSION_THRESHOLD;
}

/** Nearest multiple of 5 (halves cannot occur for whole counts). */
export function roundToBase(count: number): number {
  return Math.round(count / ROUNDING_BASE) * ROUNDING_BASE;
}

const shown = (value: number): ShownCount => ({ value, text: value.toLocaleString('en-GB') });
const withheld = (text: string): ShownCount => ({ value: null, text });

/** A count on its own: withheld below 10, otherwise rounded to the nearest 5. */
export function shownCount(count: number): ShownCount {
  return isSmall(count) ? withheld(FEWER_THAN) : shown(roundToBase(count));
}

export interface ShownProportion {
  people: ShownCount;
  reached: ShownCount;
  /** From the exact counts; null when withheld. */
  rate: number | null;
  rateText: string;
  withheld: boolean;
}

/**
 * A group of `people` of whom `reached` reached a stage. The count reached is
 * withheld when it, or the number who did not, is small; the rate with it.
 */
export function shownProportion(people: number, reached: number): ShownProportion {
  const peopleShown = shownCount(people);
  const isWithheld = isSmall(people) || isSmall(reached) || isSmall(people - reached);
  if (isWithheld)
    return {
      people: peopleShown,
      reached: isSmall(people) ? withheld(WITHHELD) : isSmall(reached) ? withheld(FEWER_THAN) : withheld(WITHHELD),
      rate: null,
      rateText: WITHHELD,
      withheld: true,
    };
  const rate = reached / people;
  return { people: peopleShown, reached: shownCount(reached), rate, rateText: `${Math.round(rate * 100)}%`, withheld: false };
}

/**
 * A total shown beside its parts (`parts` as shown, `partValues` exact). It is
 * the sum of the shown parts plus, when some parts are withheld, the rounded sum
 * of the withheld ones; it is withheld itself when those add up to fewer than 10
 * people, since the total minus the shown parts would reveal them.
 */
export function shownTotal(parts: ShownCount[], partValues: number[]): ShownCount {
  const hidden = partValues.filter((_, i) => parts[i].value === null).reduce((sum, v) => sum + v, 0);
  const shownSum = parts.reduce((sum, p) => sum + (p.value ?? 0), 0);
  const anyHidden = parts.some((p) => p.value === null);
  if (!anyHidden) return shown(shownSum);
  if (isSmall(hidden)) return isSmall(partValues.reduce((a, b) => a + b, 0)) ? withheld(FEWER_THAN) : withheld(WITHHELD);
  return shown(shownSum + roundToBase(hidden));
}
