import { addLook, startGroupSequentialDesign, type GroupSequentialDesignSoFar, type GroupSequentialLook } from './group-sequential-boundaries.ts';
import type { SpendingFunctionName } from './alpha-spending.ts';

/**
 * `groupSequentialBoundaries` with a bounded memo of design prefixes. Reports
 * ask for the same schedules again and again: every metric of an arm shares
 * its weekly looks, and the week-by-week history asks for each prefix in turn.
 * A schedule extends the longest prefix already computed by one `addLook` per
 * new look, so a report costs a few looks' integration instead of many full
 * designs. The memo holds only pure results (numbers in, numbers out), so it
 * cannot change what any caller gets.
 */
const MAXIMUM_ENTRIES = 2000;
const designs = new Map<string, GroupSequentialDesignSoFar>();

const keyOf = (alpha: number, spending: SpendingFunctionName, fractions: readonly number[]) => `${alpha}|${spending}|${fractions.join(',')}`;

export function cachedGroupSequentialBoundaries(fractions: readonly number[], options: { alpha?: number; spending?: SpendingFunctionName } = {}): readonly GroupSequentialLook[] {
  const start = startGroupSequentialDesign(options);
  const { alpha, spending } = start;
  let design = start;
  let known = 0;
  for (let length = fractions.length; length > 0; length--) {
    const hit = designs.get(keyOf(alpha, spending, fractions.slice(0, length)));
    if (hit) {
      design = hit;
      known = length;
      break;
    }
  }
  for (let i = known; i < fractions.length; i++) {
    design = addLook(design, fractions[i]);
    if (designs.size >= MAXIMUM_ENTRIES) designs.clear();
    designs.set(keyOf(alpha, spending, fractions.slice(0, i + 1)), design);
  }
  if (fractions.length === 0) throw new RangeError('at least one look is needed');
  return design.looks;
}
