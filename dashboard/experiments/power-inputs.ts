import type { PageError } from '../page-context.ts';

/**
 * Bounds on what the power calculator is asked, checked where the form's text
 * comes in. The calculator itself accepts any rate strictly between 0 and
 * 100%, but a rate such as 5e-324% becomes 0 when divided by 100, and an
 * uplift of a billionth of a point needs more people than exist; either made
 * the calculation throw. A tenth of a percentage point is finer than any
 * rate this unit can estimate, so nothing useful is refused.
 */
export const POWER_BOUNDS = { lowestRate: 0.1, highestRate: 99.9, smallestUplift: 0.1, largestIntake: 10_000_000 } as const;

const percent = (text: string) => Number(text.replace(/%/g, '').trim());

/** Field errors for calculator inputs that are numbers but outside the bounds; empty when the calculator can take them. */
export function powerInputErrors(input: { baseline: string; uplift: string; intake: string }): PageError[] {
  const { lowestRate, highestRate, smallestUplift, largestIntake } = POWER_BOUNDS;
  const errors: PageError[] = [];
  const baseline = percent(input.baseline);
  const uplift = percent(input.uplift);
  const baselineInRange = Number.isFinite(baseline) && baseline >= lowestRate && baseline <= highestRate;
  if (input.baseline && Number.isFinite(baseline) && !baselineInRange)
    errors.push({ field: 'powerBaseline', message: `Enter the control rate you expect as a percentage between ${lowestRate} and ${highestRate}, for example 20` });
  if (input.uplift && Number.isFinite(uplift)) {
    if (uplift !== 0 && Math.abs(uplift) < smallestUplift)
      errors.push({ field: 'powerUplift', message: `Enter an uplift of at least ${smallestUplift} percentage points, for example 5` });
    else if (baselineInRange && uplift !== 0 && (baseline + uplift < lowestRate || baseline + uplift > highestRate))
      errors.push({ field: 'powerUplift', message: `Enter an uplift that keeps the rate between ${lowestRate}% and ${highestRate}%` });
  }
  if (input.intake) {
    const intake = Number(input.intake.replace(/,/g, ''));
    if (Number.isFinite(intake) && intake > 0 && (intake < 1 || intake > largestIntake))
      errors.push({ field: 'powerIntake', message: `Enter how many people join each week, between 1 and ${largestIntake.toLocaleString('en-GB')}` });
  }
  return errors;
}
