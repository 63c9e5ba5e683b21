import type { Command } from 'commander';
import { SPENDING_FUNCTION_NAMES, type SpendingFunctionName } from '../analysis/group-sequential/alpha-spending.ts';
import { groupSequentialSampleSize, type GroupSequentialSampleSize } from '../analysis/group-sequential/group-sequential-sample-size.ts';
import { minimumDetectableEffect, sampleSizePerArm } from '../analysis/two-proportion-power.ts';

/**
 * `eiu power --baseline 0.10 --target 0.15`: people needed in each arm to
 * detect a change in a rate (two-sided test, R's power.prop.test). With
 * `--per-arm N` instead of `--target` it answers the reverse question: the
 * smallest increase N people per arm would detect. With `--looks K` the trial is
 * looked at K times (e.g. weekly) under a group-sequential design and the answer
 * is the most people per arm it may need, with the boundary at each look.
 */

interface PowerOptions {
  baseline: string;
  target?: string;
  perArm?: string;
  alpha: string;
  power: string;
  looks?: string;
  spending?: string;
  json?: boolean;
}

class InputError extends Error {}

function parseNumber(text: string, option: string): number {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
    throw new InputError(`${option} must be a number, e.g. 0.1 for 10% (got "${text}")`);
  }
  return Number(trimmed);
}

function parseProportion(text: string, option: string): number {
  const value = parseNumber(text, option);
  if (!(value > 0 && value < 1)) {
    throw new InputError(`${option} must be a proportion strictly between 0 and 1, e.g. 0.1 for 10% (got "${text}")`);
  }
  return value;
}

const percent = (value: number) => `${Number((value * 100).toFixed(2))}%`;

function run(options: PowerOptions): void {
  const baseline = parseProportion(options.baseline, '--baseline');
  const alpha = parseProportion(options.alpha, '--alpha');
  const power = parseProportion(options.power, '--power');
  if ((options.target === undefined) === (options.perArm === undefined)) {
    throw new InputError('give exactly one of --target (the rate to detect) or --per-arm (people available in each arm)');
  }
  const conditions = `with ${percent(power)} power at the ${percent(alpha)} significance level (two-sided)`;

  if (options.looks !== undefined || options.spending !== undefined) {
    if (options.target === undefined) throw new InputError('--looks and --spending work with --target, not --per-arm');
    const target = parseProportion(options.target, '--target');
    if (target === baseline) throw new InputError('--target must differ from --baseline');
    if (options.looks === undefined) throw new InputError('--spending needs --looks (how many times the results will be looked at)');
    const looks = parseNumber(options.looks, '--looks');
    if (!(Number.isInteger(looks) && looks >= 1 && looks <= 200)) {
      throw new InputError(`--looks must be a whole number of looks from 1 to 200 (got "${options.looks}")`);
    }
    const spending = (options.spending ?? 'obf') as SpendingFunctionName;
    if (!SPENDING_FUNCTION_NAMES.includes(spending)) {
      throw new InputError(`--spending must be one of ${SPENDING_FUNCTION_NAMES.join(', ')} (got "${options.spending}")`);
    }
    const size = groupSequentialSampleSize({ baseline, target, alpha, power, looks, spending });
    process.stdout.write(
      options.json
        ? `${JSON.stringify({
            perArm: size.perArm,
            fixedPerArm: size.fixedPerArm,
            inflation: size.inflation,
            looks: size.looks.map(({ informationFraction, zBoundary, alphaSpent }) => ({ informationFraction, zBoundary, alphaSpent })),
          })}\n`
        : groupSequentialText(size, { baseline, target, conditions, spending }),
    );
    return;
  }

  if (options.target !== undefined) {
    const target = parseProportion(options.target, '--target');
    if (target === baseline) throw new InputError('--target must differ from --baseline');
    const perArm = sampleSizePerArm({ baseline, target, alpha, power });
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ perArm })}\n`
        : `To detect a change from ${percent(baseline)} to ${percent(target)} ${conditions}, ` +
            `you need ${perArm.toLocaleString('en-GB')} people in each arm ` +
            `(${(2 * perArm).toLocaleString('en-GB')} for a two-arm trial).\n`,
    );
    return;
  }

  const nPerArm = parseNumber(options.perArm!, '--per-arm');
  if (!(Number.isInteger(nPerArm) && nPerArm >= 1)) {
    throw new InputError(`--per-arm must be a whole number of people, 1 or more (got "${options.perArm}")`);
  }
  const effect = minimumDetectableEffect({ baseline, nPerArm, alpha, power });
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ minimumDetectableEffect: effect })}\n`
      : `With ${nPerArm.toLocaleString('en-GB')} people in each arm and a baseline of ${percent(baseline)}, ` +
          `the smallest increase you can detect ${conditions} is ${(effect * 100).toFixed(1)} percentage points ` +
          `(from ${percent(baseline)} to ${percent(baseline + effect)}).\n`,
  );
}

const SPENDING_NAMES: Record<SpendingFunctionName, string> = {
  obf: 'O’Brien–Fleming-like',
  pocock: 'Pocock-like',
};

function nominalPText(nominalAlpha: number): string {
  if (nominalAlpha === 0) return 'no stop';
  return nominalAlpha < 0.0001 ? '< 0.0001' : nominalAlpha.toFixed(4);
}

function groupSequentialText(
  size: GroupSequentialSampleSize,
  context: { baseline: number; target: number; conditions: string; spending: SpendingFunctionName },
): string {
  const { perArm, fixedPerArm, inflation, looks } = size;
  const header =
    `To detect a change from ${percent(context.baseline)} to ${percent(context.target)} ${context.conditions}, ` +
    `looking at the results ${looks.length} times (${SPENDING_NAMES[context.spending]} alpha spending), ` +
    `you need at most ${perArm.toLocaleString('en-GB')} people in each arm ` +
    `(${(2 * perArm).toLocaleString('en-GB')} for a two-arm trial). ` +
    `A single look at the end would need ${fixedPerArm.toLocaleString('en-GB')} (the looks add ${((inflation - 1) * 100).toFixed(1)}%).\n\n`;
  const rows = [['Look', 'People per arm', 'Stop if |z| at least', 'or p below', 'Alpha spent']];
  looks.forEach((look, index) => {
    rows.push([
      String(index + 1),
      Math.ceil(look.informationFraction * perArm - 1e-9).toLocaleString('en-GB'),
      Number.isFinite(look.zBoundary) ? look.zBoundary.toFixed(3) : '-',
      nominalPText(look.nominalAlpha),
      look.alphaSpent.toFixed(4),
    ]);
  });
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const table = rows.map((row) => row.map((cell, column) => cell.padStart(widths[column])).join('  ')).join('\n');
  return `${header}${table}\n`;
}

/** Adds `eiu power` to the program. */
export function register(program: Command): void {
  program
    .command('power')
    .description('People needed per arm to detect a change in a rate (two-sided, as R power.prop.test)')
    .requiredOption('--baseline <rate>', 'expected control rate, e.g. 0.10')
    .option('--target <rate>', 'rate you want to be able to detect, e.g. 0.15')
    .option('--per-arm <people>', 'instead of --target: people available per arm; prints the minimum detectable increase')
    .option('--alpha <level>', 'two-sided significance level', '0.05')
    .option('--power <power>', 'chance of detecting the difference if it is real', '0.8')
    .option('--looks <count>', 'with --target: looks at the results (e.g. weekly) under a group-sequential design')
    .option('--spending <shape>', 'with --looks: alpha spending, obf (O’Brien–Fleming-like, default) or pocock')
    .option('--json', 'print JSON instead of a sentence')
    .action((options: PowerOptions) => {
      try {
        run(options);
      } catch (error) {
        if (error instanceof InputError || error instanceof RangeError) {
          process.stderr.write(`eiu power: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
