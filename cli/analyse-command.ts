import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { analyseBinaryMetric, type BinaryMetricResult } from '../analysis/analyse-binary-metric.ts';
import type { ClusteredComparisonResult } from '../analysis/clustering.ts';
import type { BinarySubgroupEffects } from '../analysis/subgroups.ts';
import type { BinaryArmStats, ClusterArmStats, Interval } from '../analysis/types.ts';

/**
 * `eiu analyse FILE.csv --outcome COLUMN`: the analysts' command-line view of
 * one binary outcome. Reads one row per person, counts people and successes
 * per arm (and per subgroup or cluster when asked), and prints the same
 * analysis the dashboard shows, as an aligned table or as one JSON object.
 *
 * Bad input (a missing file or column, an outcome that is not 0/1, an empty
 * arm, …) sets a non-zero exit code and prints one message on stderr naming
 * the CSV line (the header is line 1) or the column.
 */

/** Input the analyst can fix; reported on stderr without a stack trace. */
class InputError extends Error {}

interface AnalyseOptions {
  outcome: string;
  arm: string;
  control?: string;
  weights?: string;
  cluster?: string;
  by?: string;
  json?: boolean;
}

/** Label for people whose --by value is blank (e.g. they chose not to say). */
const NOT_RECORDED = '(not recorded)';
const TRUE_VALUES = new Set(['1', 'true']);
const FALSE_VALUES = new Set(['0', 'false']);

interface Counts {
  n: number;
  successes: number;
}

interface PersonRows {
  arms: BinaryArmStats[];
  subgroups?: { subgroup: string; arms: BinaryArmStats[] }[];
  clusters?: ClusterArmStats[];
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

function readCsv(file: string): ParsedRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new InputError(`cannot read ${file}: ${reason}`);
  }
  try {
    return parse(text, { bom: true, info: true, skip_empty_lines: true }) as unknown as ParsedRecord[];
  } catch (error) {
    throw new InputError(`${file} is not valid CSV: ${(error as Error).message}`);
  }
}

/** The line a record starts on (csv-parse reports the line it ends on). */
function startLine(parsed: ParsedRecord): number {
  const embeddedNewlines = parsed.record.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
  return parsed.info.lines - embeddedNewlines;
}

function columnIndex(header: string[], column: string, option: string): number {
  const index = header.indexOf(column);
  if (index === -1) {
    throw new InputError(`column "${column}" (${option}) is not in the file; columns found: ${header.join(', ')}`);
  }
  return index;
}

function countOf<K>(map: Map<K, Counts>, key: K): Counts {
  let counts = map.get(key);
  if (counts === undefined) {
    counts = { n: 0, successes: 0 };
    map.set(key, counts);
  }
  return counts;
}

/** Aggregates the person rows into counts per arm, per (subgroup, arm) and per (cluster, arm). */
function countPeople(records: ParsedRecord[], options: AnalyseOptions): PersonRows {
  if (records.length === 0) throw new InputError('the file is empty; expected a header row and one row per person');
  const header = records[0].record.map((name) => name.trim());
  const outcomeIndex = columnIndex(header, options.outcome, '--outcome');
  const armIndex = columnIndex(header, options.arm, '--arm');
  const clusterIndex = options.cluster === undefined ? -1 : columnIndex(header, options.cluster, '--cluster');
  const byIndex = options.by === undefined ? -1 : columnIndex(header, options.by, '--by');

  const arms = new Map<string, Counts>();
  const subgroups = new Map<string, Map<string, Counts>>();
  const clusters = new Map<string, Map<string, Counts>>();

  for (const parsed of records.slice(1)) {
    const line = startLine(parsed);
    const row = parsed.record;
    const arm = row[armIndex].trim();
    if (arm === '') throw new InputError(`line ${line}: the arm (column "${options.arm}") is empty`);
    const rawOutcome = row[outcomeIndex];
    const outcome = rawOutcome.trim().toLowerCase();
    if (!TRUE_VALUES.has(outcome) && !FALSE_VALUES.has(outcome)) {
      throw new InputError(
        `line ${line}: outcome column "${options.outcome}" has ${JSON.stringify(rawOutcome)}; expected 0, 1, true or false`,
      );
    }
    const success = TRUE_VALUES.has(outcome) ? 1 : 0;

    const armCounts = countOf(arms, arm);
    armCounts.n += 1;
    armCounts.successes += success;

    if (byIndex !== -1) {
      const subgroup = row[byIndex].trim() || NOT_RECORDED;
      if (!subgroups.has(subgroup)) subgroups.set(subgroup, new Map());
      const cell = countOf(subgroups.get(subgroup)!, arm);
      cell.n += 1;
      cell.successes += success;
    }
    if (clusterIndex !== -1) {
      const cluster = row[clusterIndex].trim();
      if (cluster === '') throw new InputError(`line ${line}: the cluster (column "${options.cluster}") is empty`);
      if (!clusters.has(cluster)) clusters.set(cluster, new Map());
      const cell = countOf(clusters.get(cluster)!, arm);
      cell.n += 1;
      cell.successes += success;
    }
  }

  const armNames = [...arms.keys()];
  if (armNames.length === 0) throw new InputError('the file has a header but no people');
  if (armNames.length === 1) {
    throw new InputError(`only one arm ("${armNames[0]}") found in column "${options.arm}"; a comparison needs at least two`);
  }
  const result: PersonRows = { arms: armNames.map((arm) => ({ arm, ...arms.get(arm)! })) };
  if (byIndex !== -1) {
    result.subgroups = [...subgroups.entries()].map(([subgroup, cells]) => ({
      subgroup,
      arms: armNames.map((arm) => ({ arm, n: cells.get(arm)?.n ?? 0, successes: cells.get(arm)?.successes ?? 0 })),
    }));
  }
  if (clusterIndex !== -1) {
    result.clusters = [...clusters.entries()].flatMap(([cluster, cells]) =>
      armNames.filter((arm) => cells.has(arm)).map((arm) => ({ cluster, arm, ...cells.get(arm)! })),
    );
  }
  return result;
}

function parseWeights(text: string, armCount: number, armNames: string[]): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const weights = parts.map((part) => (/^\d*\.?\d+(e[+-]?\d+)?$/i.test(part) ? Number(part) : Number.NaN));
  const bad = parts.find((part, index) => !(weights[index] > 0));
  if (bad !== undefined) {
    throw new InputError(`--weights must be positive numbers separated by commas, e.g. 1,1,1 (got "${bad}" in "${text}")`);
  }
  if (weights.length !== armCount) {
    throw new InputError(
      `--weights has ${weights.length} values but the file has ${armCount} arms (${armNames.join(', ')}, in order of first appearance)`,
    );
  }
  return weights;
}

function chooseControl(requested: string | undefined, armNames: string[]): string {
  if (requested === undefined) return armNames.includes('control') ? 'control' : armNames[0];
  if (!armNames.includes(requested)) {
    throw new InputError(`control arm "${requested}" is not in the file; arms found: ${armNames.join(', ')}`);
  }
  return requested;
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

/** Readable tables list control first, then the other arms in order of first appearance (JSON keeps file order). */
function controlFirst<T extends { arm: string }>(arms: T[], control: string): T[] {
  return [...arms.filter((arm) => arm.arm === control), ...arms.filter((arm) => arm.arm !== control)];
}

function formatReport(report: AnalyseReport): string {
  const lines: string[] = [];
  const level = `${Math.round(report.confidence * 100)}%`;
  lines.push(`${report.outcome} by arm (control: ${report.control}; ${level} intervals)`, '');
  lines.push(
    table(
      ['Arm', 'People', report.outcome, 'Rate', `${level} CI`],
      controlFirst(report.arms, report.control).map((arm) => [arm.arm, String(arm.n), String(arm.successes), percent(arm.rate), percentInterval(arm.ci)]),
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

interface AnalyseReport extends BinaryMetricResult {
  outcome: string;
  by?: string;
  subgroups?: BinarySubgroupEffects;
  cluster?: string;
  clustering?: ClusteredComparisonResult;
}

async function analyse(file: string, options: AnalyseOptions): Promise<void> {
  const people = countPeople(readCsv(file), options);
  const armNames = people.arms.map((arm) => arm.arm);
  const control = chooseControl(options.control, armNames);
  const plannedWeights = options.weights === undefined ? undefined : parseWeights(options.weights, armNames.length, armNames);
  const result = analyseBinaryMetric({ arms: people.arms, control, plannedWeights });
  const report: AnalyseReport = { outcome: options.outcome, ...result };

  // Loaded only when asked for, so a problem in one of them never takes the basic analysis down.
  if (people.subgroups) {
    const { subgroupEffects } = await import('../analysis/subgroups.ts');
    report.by = options.by;
    report.subgroups = subgroupEffects(people.subgroups, { control });
  }
  if (people.clusters) {
    const { clusteredComparison } = await import('../analysis/clustering.ts');
    report.cluster = options.cluster;
    report.clustering = clusteredComparison(people.clusters, { control });
  }

  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

/** Adds `eiu analyse` to the program. */
export function register(program: Command): void {
  program
    .command('analyse')
    .description('Analyse a binary outcome from a CSV with one row per person (header row first)')
    .argument('<file>', 'CSV file, one row per person')
    .requiredOption('--outcome <column>', 'column holding the outcome: 0/1 or true/false')
    .option('--arm <column>', 'column holding the assigned arm', 'arm')
    .option('--control <arm>', 'control arm (default: the arm named "control", else the first arm in the file)')
    .option('--weights <list>', 'planned allocation weights in order of first appearance, e.g. 1,1,1 (adds a sample-ratio check)')
    .option('--cluster <column>', 'column to cluster on, e.g. the work coach (adds cluster-robust comparisons)')
    .option('--by <column>', 'column to break results down by, e.g. health_group')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (file: string, options: AnalyseOptions) => {
      try {
        await analyse(file, options);
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
