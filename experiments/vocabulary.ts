/**
 * The shared vocabulary of the platform: the funnel stages people move through,
 * the characteristics analyses break results down by, and the roles of users.
 * Everything else (validation, schema checks, forms, reports) reads from here,
 * so a new stage or category is added in one place.
 */

export const ROLES = ['analyst', 'coach', 'minister', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const JOURNEY_PHASES = [1, 2, 3] as const;
export type JourneyPhase = (typeof JOURNEY_PHASES)[number];

export const EXPERIMENT_STATUSES = ['draft', 'running', 'paused', 'concluded'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const RANDOMISATION_METHODS = ['hash', 'blocks'] as const;
export type RandomisationMethod = (typeof RANDOMISATION_METHODS)[number];

/**
 * What is randomised (decision 0037): each person, or every person of one work
 * coach's caseload or of one site together (a cluster-randomised design).
 */
export const RANDOMISATION_UNITS = ['person', 'coach', 'site'] as const;
export type RandomisationUnit = (typeof RANDOMISATION_UNITS)[number];

/**
 * How an experiment's verdicts are reached (decision 0020): a group-sequential
 * design with weekly looks to a planned size, or the always-valid confidence
 * sequence for open-ended monitoring with no planned end.
 */
export const DECISION_RULES = ['group_sequential', 'confidence_sequence'] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];
/** Lan–DeMets alpha spending: O'Brien–Fleming-like (the default) or Pocock-like. */
export const SPENDING_FUNCTIONS = ['obf', 'pocock'] as const;
export type SpendingFunction = (typeof SPENDING_FUNCTIONS)[number];

export const CHANNELS = ['letter', 'text', 'phone', 'email', 'in_person'] as const;
export const MEETING_PLACES = ['jobcentre', 'community_venue', 'home', 'phone', 'online'] as const;
export const NOT_ATTENDED_REASONS = [
  'unwell_or_in_hospital',
  'caring_clash',
  'travel_cost',
  'message_not_received',
  'other',
] as const;
export const DISENGAGED_REASONS = [
  'health_worsened',
  'caring_responsibilities',
  'not_the_right_time',
  'support_not_helpful',
  'moved_away',
  'no_reason_given',
  'other',
] as const;
export const PLAN_KINDS = ['none', 'next_meeting_only', 'informal', 'written', 'signed'] as const;
export const MEETING_TOPICS = [
  'getting_to_know_you',
  'previous_work',
  'support_needs',
  'health',
  'skills_and_training',
  'housing_and_money',
  'job_search',
] as const;

export const HEALTH_GROUPS = [
  'mental_health',
  'musculoskeletal',
  'neurological',
  'cardiovascular_respiratory',
  'learning_disability_autism',
  'multiple_conditions',
  'other',
] as const;
export const AGE_BANDS = ['16-24', '25-34', '35-49', '50-64'] as const;
export const SEXES = ['female', 'male'] as const;
export const ETHNICITY_GROUPS = ['white', 'mixed', 'asian', 'black', 'other', 'not_stated'] as const;
export const TIME_ON_BENEFITS_BANDS = ['under_1y', '1-2y', '2-5y', 'over_5y'] as const;
export const PREVIOUS_WORK = ['never', 'over_5y_ago', 'within_5y', 'within_1y'] as const;
export const BENEFIT_TYPES = ['uc_lcwra', 'esa_support_group'] as const;
export const ADJUSTMENTS = ['interpreter', 'extra_time', 'private_room', 'phone_meeting', 'home_meeting', 'easy_read'] as const;
export const SITE_KINDS = ['jobcentre', 'community_venue'] as const;

/**
 * Contact characteristics that may be used in eligibility conditions, strata and
 * subgroup analyses. Keys are the column names analysts see.
 */
export const CHARACTERISTICS = {
  healthGroup: HEALTH_GROUPS,
  ageBand: AGE_BANDS,
  sex: SEXES,
  ethnicityGroup: ETHNICITY_GROUPS,
  timeOnBenefits: TIME_ON_BENEFITS_BANDS,
  previousWork: PREVIOUS_WORK,
  benefitType: BENEFIT_TYPES,
} as const;
export type CharacteristicKey = keyof typeof CHARACTERISTICS | 'caring';

/** The characteristics analyses break results down by, and their column names (in files and tables). */
export const BREAKDOWN_COLUMNS = {
  healthGroup: 'health_group',
  ageBand: 'age_band',
  sex: 'sex',
  ethnicityGroup: 'ethnicity_group',
  caring: 'caring',
  timeOnBenefits: 'time_on_benefits',
  previousWork: 'previous_work',
} as const;

/**
 * Funnel stages recorded as outcome events. `value` says what the numeric value
 * holds, if any; `detail` names the required structured detail.
 */
export interface StageDefinition {
  key: string;
  label: string;
  phase: JourneyPhase | 0;
  value?: { min: number; max: number; label: string; integer: boolean };
  detail?: 'channel' | 'meeting' | 'notAttendedReason' | 'plan' | 'topics' | 'disengagedReason';
}

export const STAGES = [
  { key: 'outreach_attempted', label: 'Outreach attempted', phase: 1, detail: 'channel' },
  { key: 'responded', label: 'Responded', phase: 1 },
  { key: 'meeting_agreed', label: 'Meeting agreed', phase: 1, detail: 'meeting' },
  { key: 'meeting_attended', label: 'First meeting attended', phase: 1 },
  { key: 'meeting_not_attended', label: 'First meeting not attended', phase: 1, detail: 'notAttendedReason' },
  { key: 'wants_to_continue', label: 'Wants to continue', phase: 2 },
  { key: 'found_useful', label: 'Found the meeting useful', phase: 2, value: { min: 1, max: 5, label: 'usefulness score', integer: true } },
  { key: 'more_optimistic', label: 'Feels more optimistic', phase: 2, value: { min: 1, max: 5, label: 'optimism score', integer: true } },
  { key: 'plan_agreed', label: 'Plan agreed', phase: 2, detail: 'plan' },
  { key: 'topics_covered', label: 'Topics covered', phase: 2, detail: 'topics' },
  { key: 'engaged_4w', label: 'Still engaged at 4 weeks', phase: 3 },
  { key: 'engaged_8w', label: 'Still engaged at 8 weeks', phase: 3 },
  { key: 'engaged_13w', label: 'Still engaged at 13 weeks', phase: 3 },
  { key: 'working_alliance', label: 'Working alliance score', phase: 3, value: { min: 12, max: 60, label: 'working alliance score', integer: false } },
  { key: 'health_self_rating', label: 'Health self-rating', phase: 3, value: { min: 1, max: 5, label: 'health self-rating', integer: true } },
  { key: 'started_work', label: 'Started work', phase: 3 },
  { key: 'in_work_13w', label: 'In work at 13 weeks', phase: 3 },
  { key: 'in_work_26w', label: 'In work at 26 weeks', phase: 3 },
  { key: 'disengaged', label: 'Disengaged', phase: 3, detail: 'disengagedReason' },
  { key: 'opted_out', label: 'Opted out (do not contact again)', phase: 0 },
  { key: 'complaint', label: 'Complaint', phase: 0 },
] as const satisfies readonly StageDefinition[];

export type StageKey = (typeof STAGES)[number]['key'];
export const STAGE_KEYS = STAGES.map((s) => s.key) as [StageKey, ...StageKey[]];
export const stageByKey: ReadonlyMap<string, StageDefinition> = new Map(STAGES.map((s) => [s.key, s]));

/** The main path through the funnel, in order, used for conversion and CONSORT flow. */
export const FUNNEL_PATH: StageKey[] = [
  'outreach_attempted',
  'responded',
  'meeting_agreed',
  'meeting_attended',
  'wants_to_continue',
  'engaged_8w',
  'started_work',
  'in_work_13w',
  'in_work_26w',
];

/** Guardrails watched on every experiment, whatever its design says. */
export const ALWAYS_GUARDRAILS: StageKey[] = ['opted_out', 'complaint'];
