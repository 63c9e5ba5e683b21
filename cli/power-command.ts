import type { Command } from 'commander';
import { minimumDetectableEffect, sampleSizePerArm } from '../analysis/two-proportion-power.ts';

/**
 * `eiu power --baseline 0.10 --target 0.15`: people needed in each arm to
 * detect a change in a rate (two-sided test, R's power.prop.test). With
 * `--per-arm N` instead of `--target` it answers the reverse question: the
 * smallest increase N people per arm would detect.
 */

interface PowerOptions {
  baseline: string;
  target?: string;
  perArm?: string;
  alpha: string;
  power: string;
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
