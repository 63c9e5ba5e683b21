import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { SPENDING_FUNCTION_NAMES, type SpendingFunctionName } from '../analysis/group-sequential/alpha-spending.ts';
import { groupSequentialSampleSize } from '../analysis/group-sequential/group-sequential-sample-size.ts';
import {
  simulateGroupSequentialTrials,
  type GroupSequentialSimulation,
} from '../analysis/group-sequential/simulate-group-sequential-trials.ts';
import { sampleSizePerArm } from '../analysis/two-proportion-power.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

/**
 * `eiu simulate --baseline 0.10 --uplift 0.06 --per-week 26 --looks 20`: runs
 * many simulated trials week by week through the platform's group-sequential
 * rule (boundaries from the information seen so far, Newcombe interval at each
 * look's level, stop at the first crossing) and reports how often each arm is
 * found better, the false-positive rate, the coverage of the interval at the
 * deciding look and the expected weeks to a decision.
 *
 * --uplift is in rate points as a fraction (0.06 = 6 percentage points: 10% → 16%),
 * one value for every non-control arm or a comma list, one per arm. Without --looks
 * the trial runs until the planned size: --planned-per-arm, or else the
 * group-sequential size (`eiu power --looks`) for the smallest non-zero uplift.
 */

interface SimulateOptions {
  baseline: string;
  uplift: string;
  arms: string;
  perWeek: string;
  looks?: string;
  plannedPerArm?: string;
  spending: string;
  alpha: string;
  power: string;
  trials: string;
  seed: string;
  json?: boolean;
}

class InputError extends Error {}

function parseNumber(text: string, option: string): number {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) throw new InputError(`${option} must be a number (got "${text}")`);
  return Number(trimmed);
}

function parseWhole(text: string, option: string, minimum: number, maximum: number): number {
  const value = parseNumber(text, option);
  if (!(Number.isInteger(value) && value >= minimum && value <= maximum)) {
    throw new InputError(`${option} must be a whole number from ${minimum} to ${maximum.toLocaleString('en-GB')} (got "${text}")`);
  }
  return value;
}

function parseProportion(text: string, option: string): number {
  const value = parseNumber(text, option);
  if (!(value > 0 && value < 1)) throw new InputError(`${option} must be a proportion strictly between 0 and 1, e.g. 0.1 for 10% (got "${text}")`);
  return value;
}

/**
 * Weeks and planned people per arm when only the accrual is given: plan for the
 * smallest uplift with as many weekly looks as the plan takes, repeating because
 * the size depends on the number of looks (it settles in two or three rounds).
 */
function planWeeks(options: { baseline: number; uplift: number; perWeek: number; alpha: number; power: number; spending: SpendingFunctionName }) {
  const { baseline, uplift, perWeek, alpha, power, spending } = options;
  const target = baseline + uplift;
  let weeks = Math.max(1, Math.ceil(sampleSizePerArm({ baseline, target, alpha, power }) / perWeek));
  let plannedPerArm = 0;
  for (let round = 0; round < 20; round++) {
    plannedPerArm = groupSequentialSampleSize({ baseline, target, alpha, power, looks: weeks, spending }).perArm;
    const needed = Math.ceil(plannedPerArm / perWeek);
    if (needed === weeks) break;
    weeks = needed;
  }
  return { weeks, plannedPerArm };
}

const percent = (value: number) => `${Number((value * 100).toFixed(1))}%`;

function text(result: GroupSequentialSimulation, context: { baseline: number; spending: SpendingFunctionName; alpha: number }): string {
  const lines = [
    `${result.trials.toLocaleString('en-GB')} simulated trials: control rate ${percent(context.baseline)}, ` +
      `${result.perWeek} people per arm a week, ${result.weeks} weekly looks, planned ${result.plannedPerArm} per arm, ` +
      `${context.spending === 'obf' ? 'O’Brien–Fleming-like' : 'Pocock-like'} spending of α = ${context.alpha}.`,
  ];
  for (const arm of result.arms) {
    const uplift = arm.trueDifference;
    const headline =
      arm.power !== null
        ? `power ${percent(arm.power)} (correctly found ${uplift > 0 ? 'better' : 'worse'})`
        : `false-positive rate ${percent(arm.falsePositiveRate!)} (better ${percent(arm.better)}, worse ${percent(arm.worse)})`;
    lines.push(
      `${arm.arm} (true rate ${percent(arm.trueRate)}, uplift ${(uplift * 100).toFixed(1)} points): ${headline}; ` +
        `interval covers the truth in ${percent(arm.coverage)}; decided after ${arm.expectedWeeksToDecision.toFixed(1)} weeks on average.`,
    );
  }
  if (result.anyFalsePositive !== null && result.arms.length > 1) {
    lines.push(`Any arm wrongly found different: ${percent(result.anyFalsePositive)} (arms are not adjusted for each other).`);
  }
  return `${lines.join('\n')}\n`;
}

function run(options: SimulateOptions): void {
  const baseline = parseProportion(options.baseline, '--baseline');
  const alpha = parseProportion(options.alpha, '--alpha');
  const power = parseProportion(options.power, '--power');
  const arms = parseWhole(options.arms, '--arms', 2, 20);
  const perWeek = parseWhole(options.perWeek, '--per-week', 1, 1_000_000);
  const trials = parseWhole(options.trials, '--trials', 1, 1_000_000);
  const seed = parseWhole(options.seed, '--seed', 0, 2 ** 32 - 1);
  const spending = options.spending as SpendingFunctionName;
  if (!SPENDING_FUNCTION_NAMES.includes(spending)) {
    throw new InputError(`--spending must be one of ${SPENDING_FUNCTION_NAMES.join(', ')} (got "${options.spending}")`);
  }
  const uplifts = options.uplift.split(',').map((part) => parseNumber(part, '--uplift'));
  if (uplifts.length !== 1 && uplifts.length !== arms - 1) {
    throw new InputError(`--uplift needs one value or one per non-control arm (${arms - 1}); got ${uplifts.length}`);
  }
  const armRates = Array.from({ length: arms - 1 }, (_, index) => baseline + uplifts[uplifts.length === 1 ? 0 : index]);
  armRates.forEach((rate) => {
    if (!(rate > 0 && rate < 1)) throw new InputError(`--baseline plus --uplift must stay strictly between 0 and 1 (got ${rate})`);
  });

  let weeks: number;
  let plannedPerArm: number;
  if (options.looks !== undefined) {
    weeks = parseWhole(options.looks, '--looks', 1, 520);
    plannedPerArm = options.plannedPerArm !== undefined ? parseWhole(options.plannedPerArm, '--planned-per-arm', 1, 1e9) : weeks * perWeek;
  } else if (options.plannedPerArm !== undefined) {
    plannedPerArm = parseWhole(options.plannedPerArm, '--planned-per-arm', 1, 1e9);
    weeks = Math.ceil(plannedPerArm / perWeek);
  } else {
    const nonZero = uplifts.filter((uplift) => uplift !== 0).map(Math.abs);
    if (nonZero.length === 0) throw new InputError('with every --uplift 0, give --looks or --planned-per-arm to say how long the trial runs');
    const smallest = Math.min(...nonZero);
    const signed = uplifts.find((uplift) => Math.abs(uplift) === smallest)!;
    ({ weeks, plannedPerArm } = planWeeks({ baseline, uplift: signed, perWeek, alpha, power, spending }));
  }
  if (weeks > 520) throw new InputError(`the trial would run ${weeks} weeks at ${perWeek} a week; more than 520 weeks is not simulated`);

  const bar = new cliProgress.SingleBar(
    { format: 'simulating [{bar}] {value}/{total} trials', stream: process.stderr, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(trials, 0);
  let result: GroupSequentialSimulation;
  try {
    result = simulateGroupSequentialTrials({
      baseline,
      armRates,
      perWeek,
      weeks,
      plannedPerArm,
      alpha,
      spending,
      trials,
      random: mulberry32(seed),
      onTrialDone: (completed) => {
        if (completed % 50 === 0 || completed === trials) bar.update(completed);
      },
    });
  } finally {
    bar.stop();
  }
  process.stdout.write(
    options.json
      ? `${JSON.stringify({
          trials: result.trials,
          seed,
          weeks: result.weeks,
          perWeek: result.perWeek,
          plannedPerArm: result.plannedPerArm,
          alpha,
          spending,
          arms: result.arms,
          anyFalsePositive: result.anyFalsePositive,
          boundaries: result.boundaries,
        })}\n`
      : text(result, { baseline, spending, alpha }),
  );
}

/** Adds `eiu simulate` to the program. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description('Simulate weekly-look trials under the group-sequential rule: power, false positives, coverage, weeks to a decision')
    .requiredOption('--baseline <rate>', 'true control rate, e.g. 0.10')
    .requiredOption('--uplift <points>', 'true change in rate points as a fraction (0.06 = 6 points), one or a comma list per non-control arm')
    .requiredOption('--per-week <people>', 'people joining each arm each week')
    .option('--arms <count>', 'arms including control', '2')
    .option('--looks <weeks>', 'weekly looks (the trial ends at the last); default: until the planned size')
    .option('--planned-per-arm <people>', 'planned people per arm (default: --looks × --per-week, or the group-sequential size)')
    .option('--spending <shape>', 'alpha spending: obf (O’Brien–Fleming-like) or pocock', 'obf')
    .option('--alpha <level>', 'two-sided error over all looks', '0.05')
    .option('--power <power>', 'power to plan for when the trial length comes from the uplift', '0.8')
    .option('--trials <count>', 'simulated trials', '2000')
    .option('--seed <number>', 'seed of the random generator', '1')
    .option('--json', 'print JSON instead of sentences')
    .action((options: SimulateOptions) => {
      try {
        run(options);
      } catch (error) {
        if (error instanceof InputError || error instanceof RangeError) {
          process.stderr.write(`eiu simulate: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
