import type { Command } from 'commander';
import { analyseBinaryMetric, type ArmComparison, type BinaryMetricResult } from '../analysis/analyse-binary-metric.ts';
import type { ClusteredComparisonResult } from '../analysis/clustering.ts';
import type { BinarySubgroupEffects } from '../analysis/subgroups.ts';
import type { Interval } from '../analysis/types.ts';
import { countTrialCsv, InputError, NOT_RECORDED, type LevelCounts } from './analyse-counts.ts';
import {
  decideArm,
  MINIMUM_CLUSTERS_FOR_ROBUST,
  peopleAtLooks,
  verdictFields,
  verdictPlan,
  withWeeks,
  type ArmDecisionInput,
  type VerdictFields,
  type VerdictOptions,
  type VerdictPlan,
} from './analyse-verdict.ts';

/**
 * `eiu analyse FILE.csv --outcome COLUMN`: the analysts' command-line view of
 * one binary outcome. Streams one row per person into counts per arm (and per
 * subgroup or cluster when asked; see analyse-counts.ts), checks no id appears
 * twice, and prints the same analysis the dashboard shows, as an aligned table
 * or as one JSON object. Arms are reported control first, then by name, so
 * nothing depends on the order of rows in the file. Each comparison carries
 * the platform's verdict under the rule the options describe (--planned,
 * --rule, --spending, --alpha, with looks from --week or --looks), reached as
 * the dashboard reaches it (analyse-verdict.ts).
 *
 * Bad input (a missing file or column, an outcome that is not 0/1, an empty
 * arm, …) sets a non-zero exit code and prints one message on stderr naming
 * the CSV line (the header is line 1) or the column.
 */

interface AnalyseOptions extends VerdictOptions {
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
  lines.push('', formatVerdicts(report), '');
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
    'Difference: Miettinen–Nurminen score interval, the inversion of the score test behind p. Relative: score interval.',
    'P(better): chance the arm’s true rate beats control (uniform priors). These are fixed-horizon results for one look;',
    'the verdict allows for the looks.',
  );
  return `${lines.join('\n')}\n`;
}

const VERDICT_WORDS: Record<VerdictFields['verdict'], string> = {
  better: 'better',
  worse: 'worse',
  not_enough_evidence: 'not enough evidence',
  too_early: 'too early',
};

const SPENDING_NAMES: Record<VerdictPlan['spending'], string> = { obf: 'O’Brien–Fleming', pocock: 'Pocock' };

/** The confidence level of a deciding interval, to as many places as it needs (99.2%, 95%). */
const levelText = (confidence: number | null) => {
  if (confidence === null) return '';
  const digits = Math.abs(confidence * 100 - Math.round(confidence * 100)) < 1e-9 ? 0 : confidence > 0.999 ? 3 : 1;
  return `${(confidence * 100).toFixed(digits)}%`;
};

/** Where the looks came from, in a sentence. */
function looksSentence(plan: VerdictPlan): string {
  const { looks } = plan;
  if (plan.rule === 'confidence_sequence') {
    const weeks = looks.from === 'week' ? `; the ${looks.count} weeks in column "${looks.weekColumn}" do not change it` : '';
    return `The always-valid interval holds however often the results have been looked at${weeks}.`;
  }
  if (looks.from === 'week') {
    const unit = looks.weeks?.[0]?.includes('-') ? 'reporting weeks (Monday to Sunday)' : 'weeks';
    return `Looks: the ${looks.count} ${unit} in column "${looks.weekColumn}", counted cumulatively; the last is the whole file.`;
  }
  if (looks.from === 'equally_spaced') {
    return `Looks: this file taken as look ${looks.count} of ${looks.count} equally spaced looks (an approximation; give --week COLUMN for the real weeks).`;
  }
  return 'Looks: one, the counts in this file (give --week COLUMN to allow for the weekly looks).';
}

/** The verdict of each comparison, the interval that decides it and the rule that produced it. */
function formatVerdicts(report: AnalyseReport): string {
  const plan = report.decisionPlan;
  const sequential = plan.rule === 'group_sequential';
  const direction = plan.higherIsBetter ? 'higher is better' : 'lower is better';
  const rule = sequential
    ? `group-sequential rule, ${SPENDING_NAMES[plan.spending]} spending, α = ${plan.alpha} over all looks, ${plan.plannedTotal} people planned`
    : `confidence-sequence rule, α = ${plan.alpha} at any look, tuned to ${plan.plannedTotal === null ? '1000 people per comparison (no --planned)' : `${plan.plannedTotal} people planned`}`;
  const intervalName = sequential ? 'Interval adjusted for weekly looks' : 'Always-valid interval';
  const headers = ['Arm', 'Verdict', ...(sequential ? ['Look', 'Information'] : []), intervalName, 'Level', sequential ? 'p' : 'p (always-valid)', 'Threshold'];
  const rows = report.comparisons.map((comparison) => {
    const cannotStop = sequential && comparison.verdictThreshold === 0;
    return [
      comparison.arm,
      VERDICT_WORDS[comparison.verdict],
      ...(sequential
        ? [comparison.look ? String(comparison.look.number) : '–', comparison.look ? percent(comparison.look.informationFraction, 0) : '–']
        : []),
      cannotStop ? 'cannot stop at this look' : pointsInterval(comparison.verdictInterval),
      levelText(comparison.verdictConfidence),
      pValueText(comparison.verdictPValue),
      comparison.verdictThreshold === null ? '–' : cannotStop ? '–' : formatThreshold(comparison.verdictThreshold),
    ];
  });
  const lines = [
    `Verdict (${direction}), decided by the ${rule}:`,
    '',
    table(headers, rows, headers.map((_, column) => column >= 2 && headers[column] !== intervalName)),
    '',
    sequential
      ? 'An arm is better or worse when its interval adjusted for weekly looks leaves out 0, which is exactly when p is below the look’s threshold.'
      : 'An arm is better or worse when its always-valid interval leaves out 0, which is exactly when the always-valid p is below α.',
    looksSentence(plan),
  ];
  if (report.comparisons.some((comparison) => comparison.verdictAllowsForClusters)) {
    lines.push(`The interval and p allow for clustering by ${report.cluster} (CR2 t-test).`);
  }
  if (report.comparisons.some((comparison) => comparison.verdict === 'too_early')) {
    lines.push('Too early: an arm or the control has fewer than 10 people.');
  }
  for (const comparison of report.comparisons) {
    const final = comparison.finalInference;
    if (!final) continue;
    lines.push(
      `${comparison.arm}, adjusted for stopping at this look: ${points(final.medianUnbiasedEstimate)} (median-unbiased), ` +
        `${levelText(1 - plan.alpha)} CI ${pointsInterval(final.interval)}, ${pEquals(final.pValue)}.`,
    );
  }
  return lines.join('\n');
}

/** A look's threshold: small ones in scientific notation so they never print as 0.000. */
const formatThreshold = (value: number) => (value >= 0.001 ? value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '') : value.toExponential(1));

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
type ComparisonReport = ArmComparison & VerdictFields;

function comparisonReport(comparison: ArmComparison, decision: Omit<ArmDecisionInput, 'comparison'>): ComparisonReport {
  return { ...comparison, ...verdictFields(decideArm({ ...decision, comparison }), decision.robust !== null) };
}

export interface AnalyseReport extends Omit<BinaryMetricResult, 'comparisons'> {
  outcome: string;
  comparisons: ComparisonReport[];
  /** The rule every comparison's verdict was reached under, and where its looks came from. */
  decisionPlan: VerdictPlan;
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
  // Checked before reading, so a mistyped option is reported at once, whatever the file.
  const requestedPlan = verdictPlan(options);
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
  const plan = withWeeks(requestedPlan, counts.weeks);

  // Loaded only when asked for, so a problem in one of them never takes the basic analysis down.
  let subgroups: Pick<AnalyseReport, 'by' | 'subgroups'> = {};
  if (counts.by) {
    const { subgroupEffects } = await import('../analysis/subgroups.ts');
    const groups = levelsInOrder(counts.by, armOrder, true).map(({ level, arms }) => ({ subgroup: level, arms }));
    subgroups = { by: options.by, subgroups: subgroupEffects(groups, { control }) };
  }
  let clustering: Pick<AnalyseReport, 'cluster' | 'clustering'> = {};
  let robustFor: (arm: string) => ArmDecisionInput['robust'] = () => null;
  if (counts.cluster) {
    const { clusteredComparison, robustIntervalAt } = await import('../analysis/clustering.ts');
    const cells = levelsInOrder(counts.cluster, armOrder, false).flatMap(({ level, arms }) =>
      arms.filter((arm) => arm.n > 0).map((arm) => ({ cluster: level, ...arm })),
    );
    const clustered = clusteredComparison(cells, { control });
    clustering = { cluster: options.cluster, clustering: clustered };
    // As the dashboard does with work coaches: with enough clusters the CR2 test decides.
    if (clustered.clusters >= MINIMUM_CLUSTERS_FOR_ROBUST) {
      robustFor = (arm) => {
        const robust = clustered.comparisons.find((comparison) => comparison.arm === arm);
        return robust ? { intervalAt: (confidence) => robustIntervalAt(robust, confidence), pValue: robust.pValue, standardError: robust.robustSe } : null;
      };
    }
  }

  const weights = plannedWeights ?? armOrder.map(() => 1);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const controlStats = arms[0];
  const controlLooks = peopleAtLooks(plan, controlStats, counts.weeks);
  return {
    outcome: options.outcome,
    ...result,
    comparisons: comparisons.map((comparison) => {
      const index = armOrder.indexOf(comparison.arm);
      return comparisonReport(comparison, {
        plan,
        arm: arms[index],
        control: controlStats,
        armWeight: weights[index],
        controlWeight: weights[0],
        weightTotal,
        armLooks: peopleAtLooks(plan, arms[index], counts.weeks),
        controlLooks,
        robust: robustFor(comparison.arm),
      });
    }),
    decisionPlan: plan,
    idColumn: counts.idColumn,
    ...(warnings.length ? { warnings } : {}),
    ...subgroups,
    ...clustering,
  };
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
    .option('--planned <n>', 'planned total people across all arms by the end; the verdict then uses the group-sequential rule')
    .option('--rule <rule>', 'verdict rule: group_sequential (needs --planned; the default with it) or confidence_sequence (the default without it)')
    .option('--spending <function>', 'alpha spending of the group-sequential rule: obf (O\'Brien–Fleming, default) or pocock')
    .option('--alpha <rate>', 'two-sided error rate over all looks', '0.05')
    .option('--week <column>', "column holding each person's week of entry: a date YYYY-MM-DD (its Monday–Sunday UTC reporting week) or a week number 1, 2, 3 …; each week is a look")
    .option(
      '--looks <k>',
      'without a week column: take the file as the last of K equally spaced looks (k/K of the current people per arm at look k), an approximation of the weekly looks',
    )
    .option('--lower-is-better', 'the outcome is a harm (e.g. opted out): fewer is better')
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
