/**
 * The shape of an experiment report: what the results page, the weekly
 * ministers' report and the API read. Built by analysis/experiment-report.ts
 * from database aggregates, by assigned arm (intention to treat).
 */
import type { Interval } from './types.ts';
import type { FactorialSummary } from './factorial-summary.ts';
import type { ClusterRandomisedComparisonResult } from './cluster-randomised-comparison.ts';

export type MetricRole = 'primary' | 'secondary' | 'guardrail';

/** What the evidence says about an arm against control, never more than it shows. */
export type Verdict = 'better' | 'worse' | 'not_enough_evidence' | 'too_early';

export interface ArmResult {
  arm: string;
  name: string;
  isControl: boolean;
  n: number;
  /** Binary metrics: people who reached the stage. */
  successes?: number;
  /** Binary: the rate; numeric: the mean. Null when n is 0. */
  estimate: number | null;
  ci: Interval | null;
}

export interface ComparisonResult {
  arm: string;
  name: string;
  /** Arm minus control: a rate difference (binary) or a difference in means (numeric). */
  difference: number | null;
  differenceCi: Interval | null;
  relativeUplift: number | null;
  relativeUpliftCi: Interval | null;
  pValue: number | null;
  test: 'z' | 'fisher' | 'score' | 'welch' | null;
  /** Holm across this metric's arms. */
  pValueHolm: number | null;
  /** Benjamini–Hochberg across all the report's metrics and arms. */
  pValueBh: number | null;
  probabilityBeatsControl: number | null;
  /** Always-valid interval, safe under weekly looks (tuned to the planned sample size). */
  sequentialCi: Interval | null;
  alwaysValidPValue: number | null;
  /** What the evidence says, by the locked decision rule (analysis/decision-rule.ts). */
  verdict: Verdict;
  verdictRule: 'group_sequential' | 'confidence_sequence';
  /**
   * The interval the verdict is read from: the repeated confidence interval at
   * this week's look (group-sequential) or the always-valid interval; null while too early.
   */
  verdictInterval: Interval | null;
  /** Its confidence level: the look's adjusted level, or 0.95 for the sequence. */
  verdictConfidence: number | null;
  /** The p-value of the test that interval inverts (score test, Welch, or CR2 t when coaches are allowed for). */
  verdictPValue: number | null;
  /** The verdict says better or worse exactly when verdictPValue is below this (the look's nominal α). */
  verdictThreshold: number | null;
  /** True when the verdict's interval allows for people being nested in work coaches (CR2). */
  verdictAllowsForClusters: boolean;
  /** Group-sequential: this week's look in the design. */
  look: { number: number; informationFraction: number; zBoundary: number; alphaSpent: number } | null;
  /** Group-sequential, once stopped or at the planned size: p-value, median-unbiased estimate and interval adjusted for the looks. */
  finalInference: { pValue: number; medianUnbiasedEstimate: number; interval: Interval } | null;
}

export interface MetricReport {
  key: string;
  label: string;
  role: MetricRole;
  kind: 'binary' | 'numeric';
  higherIsBetter: boolean;
  /** Days after assignment within which the event counts; null for "ever, up to now". */
  windowDays: number | null;
  arms: ArmResult[];
  comparisons: ComparisonResult[];
  /** `test` (when present) says which test gave pValue: chi-square, or exact Fisher–Freeman–Halton for small counts. */
  omnibus: { statistic: number; df: number; pValue: number; test?: 'chi-square' | 'fisher-freeman-halton' } | null;
  /** One plain-English sentence per comparison that never overstates the evidence. */
  readings: string[];
}

export interface FunnelReport {
  stages: { key: string; label: string }[];
  arms: { arm: string; name: string; assigned: number; counts: number[]; /** stage i / stage i-1 (first: / assigned) */ conversion: (number | null)[] }[];
}

export interface WeeklyPoint {
  /** The reporting week's Sunday (experiments/calendar). */
  weekEnding: string;
  /** False for the week the report day falls in, when that day is not its Sunday. */
  complete: boolean;
  /** Cumulative counts up to the end of the week, primary metric. */
  arms: { arm: string; n: number; successes: number }[];
  /**
   * differenceCi: the score interval at that week, not adjusted for looks;
   * decidingCi: the decision rule's interval at that week's look (repeated or
   * always-valid), and the verdict it gave then.
   */
  comparisons: { arm: string; difference: number | null; differenceCi: Interval | null; decidingCi: Interval | null; verdict: Verdict }[];
}

export interface ConsortRow {
  arm: string;
  name: string;
  assigned: number;
  contacted: number;
  responded: number;
  attended: number;
  optedOut: number;
  analysed: number;
}

export interface SubgroupBreakdown {
  characteristic: string;
  subgroups: {
    subgroup: string;
    tooSmall: boolean;
    /** Why a subgroup is withheld: too small itself, or withheld so a small one cannot be worked out from the total. */
    withheldReason?: 'small' | 'secondary';
    arms?: { arm: string; n: number; successes: number; rate: number; ci: Interval }[];
    comparisons?: { arm: string; difference: number; differenceCi: Interval }[];
  }[];
  heterogeneity: { arm: string; statistic: number; df: number; pValue: number | null }[];
}

export interface ExperimentReport {
  experiment: {
    key: string;
    name: string;
    hypothesis: string;
    status: string;
    journeyPhase: number;
    launchedAt: string | null;
    plannedSampleSize: number | null;
    arms: { key: string; name: string; isControl: boolean; weight: number }[];
    /** What was randomised: people one by one, or whole coaches or sites (decision 0037). Absent in reports made before it existed. */
    randomisationUnit?: 'person' | 'coach' | 'site';
  };
  asOf: string;
  daysRunning: number;
  assigned: number;
  metrics: MetricReport[];
  funnel: FunnelReport;
  weekly: WeeklyPoint[];
  consort: ConsortRow[];
  /**
   * The top of the CONSORT flow, before randomisation: people put forward for the
   * experiment up to the report day, those not assigned and why, and those assigned.
   */
  screening: { screened: number; notEligible: number; optedOut: number; outsideCoverage: number; eligible: number; assigned: number };
  srm: { observed: number[]; expected: number[]; statistic: number; pValue: number; flagged: boolean } | null;
  subgroups: SubgroupBreakdown[];
  coaches: {
    icc: number | null;
    /** For people randomised within coaches: the largest variance inflation (robust ÷ naive variance) over the comparisons. */
    designEffect: number | null;
    /** One sentence on why the interval allowing for coaches can be narrower than the one ignoring them. */
    explanation: string | null;
    clusters: number;
    /** CR2 cluster-robust comparisons with Bell–McCaffrey (Satterthwaite) degrees of freedom. */
    comparisons: { arm: string; difference: number; robustSe: number; robustCi: [number, number]; pValue: number; degreesOfFreedom: number; naiveSe: number; varianceInflation: number }[];
    /** Per coach: people assigned and reaching the primary metric, by arm. */
    perCoach: { coach: string; arms: { arm: string; n: number; successes: number }[] }[];
  } | null;
  /**
   * Factorial designs (two or more factors, all cells filled), primary metric, read interaction
   * first: the cell rates, the interaction test with a plain-English reading, then each factor's
   * main effect, flagged `misleading` when the interaction is clear (p < 0.05).
   */
  factorial: FactorialSummary | null;
  /**
   * Only for designs that randomised whole coaches or sites (decision 0037): the
   * primary metric analysed with those clusters as the unit (CR2 with clusters
   * as the unit and df from their number; a t-test on cluster proportions; the
   * design effect 1 + (m̄ − 1)·ICC). The primary metric's verdicts are read from
   * it; `analysis` is null while it cannot be computed (say one cluster in an arm).
   */
  clusterRandomised?: { unit: 'coach' | 'site'; clusters: number; analysis: ClusterRandomisedComparisonResult | null };
  /** Guardrail breaches: a harm metric significantly worse in an arm (always-valid test). */
  warnings: string[];
}
