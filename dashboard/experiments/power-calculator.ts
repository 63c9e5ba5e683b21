import { groupSequentialSampleSize, type GroupSequentialLook } from '../../analysis/group-sequential/index.ts';
import { sampleSizePerArm } from '../../analysis/two-proportion-power.ts';
import type { DecisionRule, SpendingFunction } from '../../experiments/vocabulary.ts';
import type { Db } from '../../server/db/database.ts';
import type { PageError } from '../page-context.ts';
import { expectedWeeksToDecision, type ExpectedWeeks } from './design-simulation.ts';
import { createExperimentCountsReadModel } from './experiment-counts-read-model.ts';

/**
 * The power calculator beside "planned sample size". From the control rate and
 * the uplift the analyst hopes to detect it sizes the trial for the rule it will
 * be judged by (80% power, 5% two-sided):
 *
 * - group-sequential: the most people per arm with K weekly looks
 *   (`groupSequentialSampleSize`, as R rpact), beside the single-final-look
 *   figure (R power.prop.test) and the boundaries at the looks; K is the weeks
 *   the trial takes at the weekly intake, 1 to 52 (20 when no intake is given);
 * - open-ended monitoring: the single-final-look figure, with a note that the
 *   always-valid interval needs more.
 *
 * It also says when the plan's planned size is short of that, and simulates the
 * trial week by week for the expected weeks to a decision. Runs on the server,
 * so "Calculate" works without JavaScript. docs/decisions/0029-design-page-plans-for-the-decision-rule.md
 */

export const POWER = 0.8;
export const ALPHA = 0.05;
export const DEFAULT_LOOKS = 20;
export const MAXIMUM_LOOKS = 52;
const MAXIMUM_INTAKE = 100_000;

export interface BoundaryRow {
  look: number;
  informationFraction: number;
  /** Infinity when nothing is spent yet: the trial cannot stop at that look. */
  zBoundary: number;
  alphaSpent: number;
}

export interface PowerResult {
  rule: DecisionRule;
  spending: SpendingFunction;
  arms: number;
  /** People per arm for the chosen rule: the group-sequential maximum, or the single-final-look size. */
  perArm: number;
  /** People per arm for a single look at the end (R power.prop.test). */
  fixedPerArm: number;
  /** People in all arms for the chosen rule (the smallest arm reaching perArm). */
  total: number;
  fixedTotal: number;
  /** Group-sequential maximum ÷ single-look size (group-sequential only). */
  inflation: number | null;
  /** Number of weekly looks the design was sized for (group-sequential only). */
  looks: number | null;
  /** Whether the looks come from the weekly intake (true) or the default of 20. */
  looksFromIntake: boolean;
  /** The first and last few looks' boundaries, in order (group-sequential only). */
  boundaries: BoundaryRow[];
  /** Whether some looks between the first and last few are left out of `boundaries`. */
  boundariesAbridged: boolean;
  intake: number | null;
  /** Weeks to reach `total` at the intake. */
  weeks: number | null;
  /** The plan's planned size (people in all arms) when one is entered. */
  plannedTotal: number | null;
  /** The planned size is below `total`. */
  shortfall: boolean;
  simulation: ExpectedWeeks | null;
  /** Why there is no simulation, in words, when there is none. */
  simulationNote: string | null;
}

export interface PowerInput {
  baseline: string;
  uplift: string;
  intake: string;
  plannedSampleSize: string;
  decisionRule: DecisionRule;
  spending: SpendingFunction;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** A percentage or points as typed ("20", "20%", "2.5 points"), or NaN. */
function typedNumber(text: string): number {
  const trimmed = text.replace(/%|points?|pp/gi, '').replace(/,/g, '').trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** The plan's planned size, or null when it is blank or not a whole number of people. */
function plannedTotalFrom(text: string): number | null {
  const value = typedNumber(text);
  return Number.isInteger(value) && value > 0 ? value : null;
}

const lookCount = (perArm: number, perWeekPerArm: number) => Math.min(MAXIMUM_LOOKS, Math.max(1, Math.ceil(perArm / perWeekPerArm)));

/**
 * The group-sequential size when the looks are the trial's weeks: the number of
 * looks depends on the size and the size on the looks, so start from the
 * single-look size and repeat until they agree (two or three rounds).
 */
function weeklyLookDesign(baseline: number, target: number, perWeekPerArm: number | null, spending: SpendingFunction) {
  const sized = (looks: number) => groupSequentialSampleSize({ baseline, target, alpha: ALPHA, power: POWER, looks, spending });
  if (perWeekPerArm === null) return { looks: DEFAULT_LOOKS, size: sized(DEFAULT_LOOKS) };
  // Start near the answer (weekly O'Brien–Fleming-like looks cost about 5% more people, Pocock-like about 25%):
  // each new number of looks takes a fraction of a second to size the first time.
  const typicalInflation = spending === 'pocock' ? 1.25 : 1.05;
  let looks = lookCount(sampleSizePerArm({ baseline, target, alpha: ALPHA, power: POWER }) * typicalInflation, perWeekPerArm);
  let size = sized(looks);
  for (let round = 0; round < 4; round++) {
    const needed = lookCount(size.perArm, perWeekPerArm);
    if (needed === looks) break;
    looks = needed;
    size = sized(looks);
  }
  return { looks, size };
}

function boundaryRows(looks: readonly GroupSequentialLook[]): { rows: BoundaryRow[]; abridged: boolean } {
  const rows = looks.map((look, index) => ({ look: index + 1, informationFraction: look.informationFraction, zBoundary: look.zBoundary, alphaSpent: look.alphaSpent }));
  if (rows.length <= 6) return { rows, abridged: false };
  return { rows: [...rows.slice(0, 3), ...rows.slice(-2)], abridged: true };
}

/** Checks what was typed; every message says what range to use, so no input reaches the maths out of range. */
function checkedInput(input: PowerInput) {
  const errors: PageError[] = [];
  const baseline = typedNumber(input.baseline);
  const uplift = typedNumber(input.uplift);
  const baselineOk = baseline >= 0.1 && baseline <= 99.9;
  if (!baselineOk) errors.push({ field: 'powerBaseline', message: 'Enter a baseline rate between 0.1% and 99.9%' });
  if (!input.uplift || !Number.isFinite(uplift) || Math.abs(uplift) < 0.1)
    errors.push({ field: 'powerUplift', message: 'Enter the uplift you hope to detect, at least 0.1 percentage points, for example 5' });
  else if (baselineOk && !(baseline + uplift >= 0.1 && baseline + uplift <= 99.9))
    errors.push({ field: 'powerUplift', message: 'Enter an uplift that keeps the rate between 0.1% and 99.9%' });
  let intake: number | null = null;
  if (input.intake) {
    intake = typedNumber(input.intake);
    if (!(Number.isInteger(intake) && intake >= 1 && intake <= MAXIMUM_INTAKE)) {
      errors.push({ field: 'powerIntake', message: 'Enter how many people join each week as a whole number from 1 to 100,000, for example 120' });
      intake = null;
    }
  }
  return { errors, baseline: baseline / 100, target: (baseline + uplift) / 100, intake };
}

/** Arms' shares of people, equal when fewer than two are given or any is not a positive number. */
function normalisedShares(weightShares: readonly number[]): number[] {
  const usable = weightShares.length >= 2 && weightShares.every((share) => Number.isFinite(share) && share > 0);
  if (!usable) return weightShares.length >= 2 ? weightShares.map(() => 1 / weightShares.length) : [0.5, 0.5];
  const sum = weightShares.reduce((a, b) => a + b, 0);
  return weightShares.map((share) => share / sum);
}

/**
 * `weightShares` are the arms' shares of people (summing to 1); with unequal
 * weights the smallest arm must still reach the per-arm number, and the weekly
 * looks come from the smallest arm's weekly intake.
 */
export function calculatePower(input: PowerInput, weightShares: number[]): { result: PowerResult | null; errors: PageError[] } {
  const { errors, baseline, target, intake } = checkedInput(input);
  if (errors.length) return { result: null, errors };
  const shares = normalisedShares(weightShares);
  const smallestShare = Math.min(...shares);
  const perWeekPerArm = intake === null ? null : intake * smallestShare;
  const plannedTotal = plannedTotalFrom(input.plannedSampleSize);
  const fixedPerArm = sampleSizePerArm({ baseline, target, alpha: ALPHA, power: POWER });
  const totalFor = (perArm: number) => Math.ceil(perArm / smallestShare - 1e-9);

  const common = {
    spending: input.spending,
    arms: shares.length,
    fixedPerArm,
    fixedTotal: totalFor(fixedPerArm),
    intake,
    plannedTotal,
  };
  if (input.decisionRule === 'confidence_sequence') {
    const total = totalFor(fixedPerArm);
    return {
      result: {
        ...common,
        rule: 'confidence_sequence',
        perArm: fixedPerArm,
        total,
        inflation: null,
        looks: null,
        looksFromIntake: false,
        boundaries: [],
        boundariesAbridged: false,
        weeks: intake ? Math.ceil(total / intake) : null,
        shortfall: plannedTotal !== null && plannedTotal < total,
        simulation: null,
        simulationNote: null,
      },
      errors: [],
    };
  }

  const { looks, size } = weeklyLookDesign(baseline, target, perWeekPerArm, input.spending);
  const total = totalFor(size.perArm);
  const { rows, abridged } = boundaryRows(size.looks);
  // Simulate the plan as it stands: the planned size when there is one, else the size worked out here.
  const simulatedPerArm = plannedTotal !== null ? Math.floor(plannedTotal * smallestShare) : size.perArm;
  const simulated =
    perWeekPerArm === null
      ? { simulation: null, note: 'Enter the people joining each week to see how many weeks a decision takes.' }
      : expectedWeeksToDecision({ baseline, target, perWeekPerArm, plannedPerArm: simulatedPerArm, spending: input.spending });
  return {
    result: {
      ...common,
      rule: 'group_sequential',
      perArm: size.perArm,
      total,
      inflation: size.inflation,
      looks,
      looksFromIntake: perWeekPerArm !== null,
      boundaries: rows,
      boundariesAbridged: abridged,
      weeks: intake ? Math.ceil(total / intake) : null,
      shortfall: plannedTotal !== null && plannedTotal < total,
      simulation: simulated.simulation,
      simulationNote: simulated.note,
    },
    errors: [],
  };
}

/** People added to the cohort per week, averaged over the last four weeks (null when none). */
export async function currentWeeklyIntake(db: Db, now: Date): Promise<number | null> {
  const since = new Date(now.getTime() - 28 * 86_400_000).toISOString();
  const counts = createExperimentCountsReadModel(db);
  const added = await counts.contactsAddedSince(since);
  if (added > 0) return Math.round(added / 4);
  const assigned = await counts.assignedSince(since);
  return assigned > 0 ? Math.round(assigned / 4) : null;
}
