import type { Command } from 'commander';
import { analyseBinaryMetric, type ArmComparison, type BinaryMetricResult } from '../analysis/analyse-binary-metric.ts';
import type { ClusteredComparisonResult } from '../analysis/clustering.ts';
import type { BinarySubgroupEffects } from '../analysis/subgroups.ts';
import type { Interval } from '../analysis/types.ts';
import { countTrialCsv, InputError, NOT_RECORDED, type LevelCounts } from './analyse-counts.ts';

/**
 * `eiu analyse FILE.csv --outcome COLUMN`: the analysts' command-line view of
 * one binary outcome. Streams one row per person into counts per arm (and per
 * subgroup or cluster when asked; see analyse-counts.ts), checks no id appears
 * twice, and prints the same analysis the dashboard shows, as an aligned table
 * or as one JSON object. Arms are reported control first, then by name, so
 * nothing depends on the order of rows in the file.
 *
 * Bad input (a missing file or column, an outcome that is not 0/1, an empty
 * arm, …) sets a non-zero exit code and prints one message on stderr naming
 * the CSV line (the header is line 1) or the column.
 */

interface AnalyseOptions {
  outcome: string;
  arm: string;
  control?: string;
  weights?: string;
  cluster?: string;
  by?: string;
  id?: string;
  json?: boolean;
}

/** Code-unit order, so the report reads the same on every machine whatever its locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Control first, then the other arms sorted by name: never the order rows happen to be in. */
function reportOrder(armNames: string[], control: string): string[] {
  return [control, ...armNames.filter((arm) => arm !== control).sort(byName)];
}

/** How an arm name looks once case and every space are ignored ("Control", " control" → "control"). */
const looseName = (name: string) => name.toLowerCase().replace(/\s+/g, '');

const quoted = (names: string[]) => names.map((name) => JSON.stringify(name)).join(', ');

/**
 * Arm names that differ only in case or spaces, which usually means one arm
 * typed two ways. They stay separate arms (merging them would change the
 * analysis behind the analyst's back), but each set gets a warning.
 */
function caseOrSpaceWarnings(armNames: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const name of armNames) groups.set(looseName(name), [...(groups.get(looseName(name)) ?? []), name]);
  return [...groups.values()]
    .filter((names) => names.length > 1)
    .map(
      (names) =>
        `arms ${quoted(names.sort(byName))} differ only in case or spaces; they are analysed as separate arms. ` +
        'If they are one arm, correct the file.',
    );
}

/** The arm named exactly "control", else the one given with --control; never whichever comes first in the file. */
function chooseControl(requested: string | undefined, armNames: string[]): string {
  if (requested !== undefined) {
    if (!armNames.includes(requested)) {
      throw new InputError(`control arm ${JSON.stringify(requested)} is not in the file; arms found: ${quoted([...armNames].sort(byName))}`);
    }
    return requested;
  }
  if (armNames.includes('control')) return 'control';
  const nearly = armNames.filter((name) => looseName(name) === 'control');
  throw new InputError(
    `no arm is named exactly "control"${nearly.length ? ` (found ${quoted(nearly)})` : ''}; ` +
      `say which arm is the control with --control ARM; arms found: ${quoted([...armNames].sort(byName))}`,
  );
}

const WEIGHT = /^\d*\.?\d+(e[+-]?\d+)?$/i;

/** `letter=1,text=2` → weights in `armOrder`; every arm must be named exactly once. */
function parseWeights(text: string, armOrder: string[]): number[] {
  const example = `--weights ${armOrder.map((arm) => `${arm}=1`).join(',')}`;
  const weights = new Map<string, number>();
  for (const part of text.split(',')) {
    const equals = part.lastIndexOf('=');
    if (equals === -1) throw new InputError(`--weights names each arm with its weight, e.g. ${example} (got ${JSON.stringify(part)})`);
    const written = part.slice(0, equals);
    // Spaces around a name are allowed ("letter=1, text=2") unless the arm's own name has them.
    const arm = armOrder.includes(written) ? written : written.trim();
    const value = part.slice(equals + 1).trim();
    if (!armOrder.includes(arm)) {
      throw new InputError(`--weights names ${JSON.stringify(arm)}, which is not an arm in the file; arms found: ${quoted(armOrder)}`);
    }
    if (weights.has(arm)) throw new InputError(`--weights names ${JSON.stringify(arm)} more than once`);
    const weight = WEIGHT.test(value) ? Number(value) : Number.NaN;
    if (!(weight > 0)) throw new InputError(`--weights: the weight for ${JSON.stringify(arm)} must be a positive number (got ${JSON.stringify(value)})`);
    weights.set(arm, weight);
  }
  const missing = armOrder.filter((arm) => !weights.has(arm));
  if (missing.length) throw new InputError(`--weights has no weight for ${quoted(missing)}; give every arm exactly once, e.g. ${example}`);
  return armOrder.map((arm) => weights.get(arm)!);
}

/** Every arm at every level, in report order (zeros where a level has nobody in an arm). */
function levelsInOrder(levels: LevelCounts[], armOrder: string[], blankLast: boolean) {
  const sorted = [...levels].sort((a, b) =>
    blankLast && (a.level === NOT_RECORDED) !== (b.level === NOT_RECORDED) ? (a.level === NOT_RECORDED ? 1 : -1) : byName(a.level, b.level),
  );
  return sorted.map(({ level, arms }) => ({
    level,
    arms: armOrder.map((arm) => arms.find((stats) => stats.arm === arm) ?? { arm, n: 0, successes: 0 }),
  }));
}

// ---------------------------------------------------------------------------
// Readable output

const percent = (value: number | null, digits = 1) => (value === null ? '–' : `${(value * 100).toFixed(digits)}%`);
const signed = (value: number, digits: number) => `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(digits)}`;
const points = (value: number | null) => (value === null ? '–' : `${signed(value * 100, 1)} pp`);
const pointsInterval = (interval: Interval | null | undefined) =>
  interval ? `${signed(interval[0] * 100, 1)} to ${signed(interval[1] * 100, 1)} pp` : '–';
const percentInterval = (interval: Interval | null | undefined) =>
  interval ? `${percent(interval[0])} to ${percent(interval[1])}` : '–';
const relativeInterval = (interval: Interval | null | undefined) =>
  interval ? `${signed(interval[0] * 100, 0)}% to ${signed(interval[1] * 100, 0)}%` : '–';
const pValueText = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : value < 0.001 ? '<0.001' : value.toFixed(3);
/** "p = 0.037" or "p < 0.001", for sentences. */
const pEquals = (value: number | null | undefined) => {
  const text = pValueText(value);
  return text.startsWith('<') ? `p < ${text.slice(1)}` : `p = ${text}`;
};
/** A probability as a percentage that never rounds to a misleading 0% or 100%. */
const chance = (value: number | null) =>
  value === null ? '–' : value > 0.999 ? '>99.9%' : value < 0.001 ? '<0.1%' : percent(value);

/** A plain-text table with a rule under the header; numeric columns are right-aligned. */
function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const render = (cells: string[]) =>
    `  ${cells.map((cell, column) => (rightAligned[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ')}`.trimEnd();
  return [render(headers), render(widths.map((width) => '─'.repeat(width))), ...rows.map(render)].join('\n');
}

function formatReport(report: AnalyseReport): string {
  const lines: string[] = [];
  const level = `${Math.round(report.confidence * 100)}%`;
  lines.push(`${report.outcome} by arm (control: ${report.control}; ${level} intervals)`, '');
  lines.push(
    table(
      ['Arm', 'People', report.outcome, 'Rate', `${level} CI`],
      report.arms.map((arm) => [arm.arm, String(arm.n), String(arm.successes), percent(arm.rate), percentInterval(arm.ci)]),
      [false, true, true, true, false],
    ),
  );
  lines.push('', `Compared with ${report.control}:`, '');
  lines.push(
    table(
      ['Arm', 'Difference', `${level} CI`, 'Relative', `${level} CI`, 'p', 'Test', 'p (Holm)', 'P(better)'],
      report.comparisons.map((comparison) => [
        comparison.arm,
        points(comparison.difference),
        pointsInterval(comparison.differenceCi),
        comparison.relativeUplift === null ? '–' : `${signed(comparison.relativeUplift * 100, 0)}%`,
        relativeInterval(comparison.relativeUpliftCi),
        pValueText(comparison.pValue),
        comparison.test ?? '–',
        pValueText(comparison.pValueHolm),
        chance(comparison.probabilityBeatsControl),
      ]),
      [false, true, false, true, false, true, false, true, true],
    ),
  );
  lines.push('');
  if (report.omnibus) {
    lines.push(
      `All arms the same? Chi-square ${report.omnibus.statistic.toFixed(2)} on ${report.omnibus.df} df, ${pEquals(report.omnibus.pValue)}`,
    );
  }
  if (report.srm) {
    lines.push(
      report.srm.flagged
        ? `SAMPLE RATIO MISMATCH: arm sizes do not fit the planned weights (${pEquals(report.srm.pValue)}). Check assignment before trusting these results.`
        : `Arm sizes fit the planned weights (sample-ratio check ${pEquals(report.srm.pValue)}).`,
    );
  }
  lines.push(
    report.idColumn === null
      ? 'Duplicate people not checked: the file has no "id" column (name one with --id COLUMN).'
      : `Each id in column "${report.idColumn}" appears once.`,
  );
  for (const warning of report.warnings ?? []) lines.push(`Warning: ${warning}`);
  if (report.subgroups) lines.push('', formatSubgroups(report.by!, report.subgroups, level));
  if (report.clustering) lines.push('', formatClustering(report.cluster!, report.clustering, level));
  lines.push(
    '',
    'Difference: Newcombe score interval. Relative: Katz log interval. p: z-test, or Fisher exact when any expected count < 5.',
    'P(better): chance the arm’s true rate beats control (uniform priors). These are fixed-horizon results for one look.',
  );
  return `${lines.join('\n')}\n`;
}

function formatSubgroups(column: string, effects: BinarySubgroupEffects, level: string): string {
  const rows: string[][] = [];
  for (const group of effects.subgroups) {
    if (group.tooSmall) {
      const why = group.withheldReason === 'secondary' ? 'withheld: would reveal a smaller group' : 'too few people to show';
      rows.push([group.subgroup, '', why, '', '', '']);
      continue;
    }
    for (const arm of group.arms ?? []) {
      const comparison = group.comparisons?.find((item) => item.arm === arm.arm);
      rows.push([
        group.subgroup,
        arm.arm,
        String(arm.n),
        percent(arm.rate),
        comparison ? points(comparison.difference) : '',
        comparison ? pointsInterval(comparison.differenceCi) : '',
      ]);
    }
  }
  const lines = [
    `By ${column}:`,
    '',
    table([column, 'Arm', 'People', 'Rate', 'Difference', `${level} CI`], rows, [false, false, true, true, true, false]),
    '',
  ];
  for (const test of effects.heterogeneity) {
    lines.push(
      test.pValue === null
        ? `Does the ${test.arm} effect differ by ${column}? Too few subgroups to test.`
        : `Does the ${test.arm} effect differ by ${column}? Q = ${test.statistic.toFixed(2)} on ${test.df} df, ${pEquals(test.pValue)}`,
    );
  }
  return lines.join('\n');
}

function formatClustering(column: string, result: ClusteredComparisonResult, level: string): string {
  return [
    `Allowing for clustering by ${column} (${result.clusters} clusters, ICC ${result.icc.toFixed(3)}; CR2 standard errors, Bell-McCaffrey df):`,
    '',
    table(
      ['Arm', 'Difference', 'Robust SE', 'df', `${level} CI`, 'p', 'Variance ×'],
      result.comparisons.map((comparison) => [
        comparison.arm,
        points(comparison.difference),
        `${(comparison.robustSe * 100).toFixed(1)} pp`,
        comparison.degreesOfFreedom.toFixed(1),
        pointsInterval(comparison.robustCi),
        pValueText(comparison.pValue),
        comparison.varianceInflation.toFixed(2),
      ]),
      [false, true, true, true, false, true, true],
    ),
    '',
    result.explanation,
  ].join('\n');
}

// ---------------------------------------------------------------------------

/**
 * One arm against control, as printed and as it appears in the JSON. The only
 * place a comparison's fields are put together: add new per-comparison fields
 * (a verdict, its interval or p-value, results per look) here and the table
 * and JSON both get them.
 */
type ComparisonReport = ArmComparison;

function comparisonReport(comparison: ArmComparison): ComparisonReport {
  return { ...comparison };
}

export interface AnalyseReport extends Omit<BinaryMetricResult, 'comparisons'> {
  outcome: string;
  comparisons: ComparisonReport[];
  /** The column whose ids were checked for duplicates; null when the file has none. */
  idColumn: string | null;
  /** Arm names that differ only in case or spaces (also printed on stderr). */
  warnings?: string[];
  by?: string;
  subgroups?: BinarySubgroupEffects;
  cluster?: string;
  clustering?: ClusteredComparisonResult;
}

/** Reads `file` and builds the report `eiu analyse` prints; throws InputError (or RangeError) for input to fix. */
export async function analyseCsv(file: string, options: AnalyseOptions): Promise<AnalyseReport> {
  const counts = await countTrialCsv(file, options);
  const armNames = counts.arms.map((arm) => arm.arm);
  if (armNames.length === 0) throw new InputError('the file has a header but no people');
  if (armNames.length === 1) {
    throw new InputError(`only one arm (${JSON.stringify(armNames[0])}) found in column "${options.arm}"; a comparison needs at least two`);
  }
  const warnings = caseOrSpaceWarnings(armNames);
  for (const warning of warnings) process.stderr.write(`eiu analyse: warning: ${warning}\n`);

  const control = chooseControl(options.control, armNames);
  const armOrder = reportOrder(armNames, control);
  const arms = armOrder.map((name) => counts.arms.find((arm) => arm.arm === name)!);
  const plannedWeights = options.weights === undefined ? undefined : parseWeights(options.weights, armOrder);
  const { comparisons, ...result } = analyseBinaryMetric({ arms, control, plannedWeights });
  const report: AnalyseReport = {
    outcome: options.outcome,
    ...result,
    comparisons: comparisons.map(comparisonReport),
    idColumn: counts.idColumn,
    ...(warnings.length ? { warnings } : {}),
  };

  // Loaded only when asked for, so a problem in one of them never takes the basic analysis down.
  if (counts.by) {
    const { subgroupEffects } = await import('../analysis/subgroups.ts');
    report.by = options.by;
    const groups = levelsInOrder(counts.by, armOrder, true).map(({ level, arms }) => ({ subgroup: level, arms }));
    report.subgroups = subgroupEffects(groups, { control });
  }
  if (counts.cluster) {
    const { clusteredComparison } = await import('../analysis/clustering.ts');
    report.cluster = options.cluster;
    const cells = levelsInOrder(counts.cluster, armOrder, false).flatMap(({ level, arms }) =>
      arms.filter((arm) => arm.n > 0).map((arm) => ({ cluster: level, ...arm })),
    );
    report.clustering = clusteredComparison(cells, { control });
  }
  return report;
}

/** Adds `eiu analyse` to the program. */
export function register(program: Command): void {
  program
    .command('analyse')
    .description('Analyse a binary outcome from a CSV with one row per person (header row first)')
    .argument('<file>', 'CSV file, one row per person')
    .requiredOption('--outcome <column>', 'column holding the outcome: 0/1 or true/false')
    .option('--arm <column>', 'column holding the assigned arm (names are taken exactly, case and spaces included)', 'arm')
    .option('--control <arm>', 'control arm (default: the arm named exactly "control"; required when there is none)')
    .option('--weights <list>', 'planned allocation weight of every arm by name, e.g. control=1,text=2 (adds a sample-ratio check)')
    .option('--id <column>', 'column of person ids, each of which must appear once (default: "id" if the file has it; without one, duplicates are not checked)')
    .option('--cluster <column>', 'column to cluster on, e.g. the work coach (adds cluster-robust comparisons)')
    .option('--by <column>', 'column to break results down by, e.g. health_group')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (file: string, options: AnalyseOptions) => {
      try {
        const report = await analyseCsv(file, options);
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      } catch (error) {
        if (error instanceof InputError || error instanceof RangeError) {
          process.stderr.write(`eiu analyse: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
