import { simulateGroupSequentialTrials } from '../../analysis/group-sequential/index.ts';
import type { SpendingFunction } from '../../experiments/vocabulary.ts';
import { mulberry32 } from '../../seed/mulberry32.ts';

/**
 * "Expected weeks to a decision" on the design page: the planned trial run
 * week by week through the platform's group-sequential rule
 * (`simulateGroupSequentialTrials`, the same code as `eiu simulate`), once with
 * the uplift real (power, weeks to a decision) and once with no difference at
 * all, an A/A run (false-positive rate).
 *
 * One comparison with control is what matters: arms are not adjusted for each
 * other, so each arm's chance of being found better, and when, is the same as
 * in a two-arm trial, whatever the number of arms. A fixed seed keeps the page the same every time it is shown;
 * 400 trials give power to about ±2 points and the false-positive rate to about
 * ±1 point (one Monte Carlo standard error).
 */

export const SIMULATED_TRIALS = 400;
export const SIMULATION_SEED = 29;
/** Longer trials are not simulated on the page: the cost grows with the weeks. */
export const MAXIMUM_SIMULATED_WEEKS = 52;
/** Nor bigger ones: every simulated person is a random draw. */
export const MAXIMUM_SIMULATED_PER_ARM = 20_000;

export interface ExpectedWeeks {
  trials: number;
  seed: number;
  plannedPerArm: number;
  perWeek: number;
  weeks: number;
  /** Share of trials finding the arm better (or worse, for a planned fall) when the uplift is real. */
  power: number;
  /** Share of A/A trials finding any difference. */
  falsePositiveRate: number;
  /** Mean week of the verdict when the uplift is real. */
  expectedWeeks: number;
  /** Mean week of the verdict when there is no difference. */
  expectedWeeksWithoutDifference: number;
}

const cache = new Map<string, ExpectedWeeks>();

export function expectedWeeksToDecision(options: {
  baseline: number;
  target: number;
  perWeekPerArm: number;
  plannedPerArm: number;
  spending: SpendingFunction;
}): { simulation: ExpectedWeeks | null; note: string | null } {
  const { baseline, target, plannedPerArm, spending } = options;
  const perWeek = Math.max(1, Math.round(options.perWeekPerArm));
  if (plannedPerArm < 1) return { simulation: null, note: 'The planned size is too small to simulate.' };
  // Exactly the weeks to reach the planned size: only the last week is at information fraction 1.
  const weeks = Math.ceil(plannedPerArm / perWeek);
  if (weeks > MAXIMUM_SIMULATED_WEEKS)
    return { simulation: null, note: `At ${perWeek.toLocaleString('en-GB')} a week in each arm the trial would take ${weeks.toLocaleString('en-GB')} weeks, more than a year, so it is not simulated here.` };
  if (plannedPerArm > MAXIMUM_SIMULATED_PER_ARM)
    return { simulation: null, note: `Trials of more than ${MAXIMUM_SIMULATED_PER_ARM.toLocaleString('en-GB')} people in each arm are not simulated here.` };

  const key = JSON.stringify([baseline, target, perWeek, plannedPerArm, spending]);
  const cached = cache.get(key);
  if (cached) return { simulation: cached, note: null };
  // One run with two arms against one control: the first with the uplift, the second
  // with none (the A/A comparison). Each arm's verdict is reached exactly as in its own
  // two-arm trial, and the two share the weekly boundaries, which cost the most to work out.
  let withEffect, withoutDifference;
  try {
    [withEffect, withoutDifference] = simulateGroupSequentialTrials({
      baseline,
      armRates: [target, baseline],
      perWeek,
      weeks,
      plannedPerArm,
      spending,
      trials: SIMULATED_TRIALS,
      random: mulberry32(SIMULATION_SEED),
    }).arms;
  } catch (error) {
    // The simulation refuses inputs it cannot run (a RangeError naming the value); the page says so instead of failing.
    if (error instanceof RangeError) return { simulation: null, note: 'This plan could not be simulated.' };
    throw error;
  }
  const simulation: ExpectedWeeks = {
    trials: SIMULATED_TRIALS,
    seed: SIMULATION_SEED,
    plannedPerArm,
    perWeek,
    weeks,
    power: withEffect.power ?? 0,
    falsePositiveRate: withoutDifference.falsePositiveRate ?? 0,
    expectedWeeks: withEffect.expectedWeeksToDecision,
    expectedWeeksWithoutDifference: withoutDifference.expectedWeeksToDecision,
  };
  if (cache.size >= 100) cache.delete(cache.keys().next().value!);
  cache.set(key, simulation);
  return { simulation, note: null };
}
