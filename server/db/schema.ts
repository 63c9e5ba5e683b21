/**
 * The database schema. Migrations in drizzle/ are generated from this file with
 * `npm run db:generate` and committed; they are applied at start-up.
 *
 * Times are stored as ISO-8601 UTC text (sortable, readable in exports).
 * Lists and small structured values are JSON text, validated by zod at the edge.
 */
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex, type SQLiteColumnBuilderBase } from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';
import { STAGES } from '../../experiments/vocabulary.ts';

const createdAt = () => text('created_at').notNull();

export const sites = sqliteTable('sites', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  code: text('code').notNull().unique(),
  name: text('name').notNull().unique(),
  kind: text('kind').notNull(), // jobcentre | community_venue
  createdAt: createdAt(),
});

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull(),
  role: text('role').notNull(), // analyst | coach | minister | admin
  passwordHash: text('password_hash').notNull(),
  disabledAt: text('disabled_at'),
  createdAt: createdAt(),
  // Set when an admin resets the password: the one-time password must be changed at next sign-in.
  mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(false),
  passwordChangedAt: text('password_changed_at'),
});

export const workCoaches = sqliteTable('work_coaches', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  // A coach signs in as a user; a coach record may exist before its user does.
  userId: integer('user_id').references(() => users.id).unique(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  siteId: integer('site_id').notNull().references(() => sites.id),
  createdAt: createdAt(),
});

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull().references(() => users.id),
    label: text('label').notNull(),
    // sha256 of the token; the token itself is shown once and never stored.
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
    // A token without an expiry is treated as expired (the migration gives old tokens one).
    expiresAt: text('expires_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    // sha256 of the session cookie value
    id: text('id').primaryKey(),
    userId: integer('user_id').notNull().references(() => users.id),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
    // For the idle timeout; null (sessions from before it) means "since created_at".
    lastSeenAt: text('last_seen_at'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Counters for throttling sign-in and token requests, shared by every instance
 * over the database (server/auth/sign-in-throttle.ts). The shape is
 * rate-limiter-flexible's SQLite store: `expire` is epoch milliseconds.
 */
export const signInThrottle = sqliteTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: integer('expire'),
});

export const contacts = sqliteTable(
  'contacts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // Pseudonymous reference: never a name, NI number or address.
    reference: text('reference').notNull().unique(),
    coachId: integer('coach_id').notNull().references(() => workCoaches.id),
    siteId: integer('site_id').notNull().references(() => sites.id),
    healthGroup: text('health_group').notNull(),
    ageBand: text('age_band').notNull(),
    sex: text('sex').notNull(),
    ethnicityGroup: text('ethnicity_group').notNull(),
    caring: integer('caring', { mode: 'boolean' }).notNull(),
    timeOnBenefits: text('time_on_benefits').notNull(),
    previousWork: text('previous_work').notNull(),
    benefitType: text('benefit_type').notNull(),
    preferredChannel: text('preferred_channel'),
    adjustments: text('adjustments').notNull().default('[]'), // JSON array
    optedOutAt: text('opted_out_at'),
    /**
     * When the person was erased (docs/decisions/0033): the reference is then a
     * random tombstone and the characteristics a fixed placeholder, never read.
     */
    erasedAt: text('erased_at'),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    index('contacts_coach_idx').on(t.coachId),
    // Finds a reference however it was written in free text ("eiu 7k2q 9d" is EIU-7K2Q9D).
    index('contacts_reference_compact_idx').on(sql`replace(upper("reference"), '-', '')`),
  ],
);

/** History of changes to a contact's preferences and adjustments. */
export const contactChanges = sqliteTable(
  'contact_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    field: text('field').notNull(),
    oldValue: text('old_value'),
    newValue: text('new_value'),
    changedBy: integer('changed_by').references(() => users.id),
    changedAt: text('changed_at').notNull(),
  },
  (t) => [index('contact_changes_contact_idx').on(t.contactId)],
);

export const experiments = sqliteTable('experiments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  hypothesis: text('hypothesis').notNull(),
  journeyPhase: integer('journey_phase').notNull(),
  status: text('status').notNull().default('draft'),
  factors: text('factors').notNull(), // JSON [{ key, label, levels: [..] }]
  eligibility: text('eligibility').notNull().default('{}'), // JSON GrowthBook condition
  primaryMetric: text('primary_metric').notNull(),
  secondaryMetrics: text('secondary_metrics').notNull().default('[]'),
  guardrailMetrics: text('guardrail_metrics').notNull().default('[]'),
  plannedSampleSize: integer('planned_sample_size'),
  // The locked decision rule (docs/decisions/0020): null means the default for the plan.
  decisionRule: text('decision_rule'),
  alphaSpending: text('alpha_spending').notNull().default('obf'),
  randomisation: text('randomisation').notNull().default('hash'),
  // What is randomised (docs/decisions/0037): 'person', or whole caseloads ('coach') or sites ('site').
  randomisationUnit: text('randomisation_unit').notNull().default('person'),
  strata: text('strata').notNull().default('[]'), // JSON list of characteristic keys
  createdBy: integer('created_by').references(() => users.id),
  createdAt: createdAt(),
  updatedAt: text('updated_at').notNull(),
  launchedAt: text('launched_at'),
  concludedAt: text('concluded_at'),
});

export const experimentArms = sqliteTable(
  'experiment_arms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    experimentId: integer('experiment_id').notNull().references(() => experiments.id),
    key: text('key').notNull(),
    name: text('name').notNull(),
    isControl: integer('is_control', { mode: 'boolean' }).notNull().default(false),
    levels: text('levels').notNull(), // JSON { factorKey: level }
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('experiment_arms_key_uq').on(t.experimentId, t.key)],
);

/**
 * An experiment phase: a period with fixed arms, weights, coverage and seed.
 * Changing weights or arms after launch closes the current phase and opens a new
 * one with a new seed; assignments keep the phase they were made in.
 */
export const experimentPhases = sqliteTable(
  'experiment_phases',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    experimentId: integer('experiment_id').notNull().references(() => experiments.id),
    number: integer('number').notNull(),
    seed: text('seed').notNull(),
    armIds: text('arm_ids').notNull(), // JSON [armId] in the order weights apply
    weights: text('weights').notNull(), // JSON [number], sums to 1
    coverage: real('coverage').notNull().default(1),
    startedAt: text('started_at').notNull(),
    endedAt: text('ended_at'),
    reason: text('reason'),
  },
  (t) => [uniqueIndex('experiment_phases_number_uq').on(t.experimentId, t.number)],
);

export const assignments = sqliteTable(
  'assignments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    experimentId: integer('experiment_id').notNull().references(() => experiments.id),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    armId: integer('arm_id').notNull().references(() => experimentArms.id),
    phaseId: integer('phase_id').notNull().references(() => experimentPhases.id),
    method: text('method').notNull(), // hash | blocks
    seed: text('seed').notNull(),
    // Audit detail: the hash bucket (hash) or stratum and block position (blocks).
    hashValue: real('hash_value'),
    stratum: text('stratum'),
    blockIndex: integer('block_index'),
    blockPosition: integer('block_position'),
    // Cluster-randomised designs: the coach or site code whose hash gave the arm, as it was at assignment.
    cluster: text('cluster'),
    assignedAt: text('assigned_at').notNull(),
    assignedBy: integer('assigned_by').references(() => users.id),
  },
  (t) => [
    uniqueIndex('assignments_experiment_contact_uq').on(t.experimentId, t.contactId),
    index('assignments_experiment_arm_idx').on(t.experimentId, t.armId),
    index('assignments_experiment_phase_arm_idx').on(t.experimentId, t.phaseId, t.armId),
    index('assignments_contact_idx').on(t.contactId),
  ],
);

/**
 * People put forward for an experiment who were not assigned, and why
 * (opted_out, not_eligible, outside_coverage): with the assignments, the top of
 * the CONSORT flow. The first reason is kept: one row per experiment and person.
 */
export const screenings = sqliteTable(
  'screenings',
  {
    experimentId: integer('experiment_id').notNull().references(() => experiments.id),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    reason: text('reason').notNull(),
    screenedAt: text('screened_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.experimentId, t.contactId] })],
);

/** Where each stratum has got to in its sequence of permuted blocks. */
export const blockCounters = sqliteTable(
  'block_counters',
  {
    phaseId: integer('phase_id').notNull().references(() => experimentPhases.id),
    stratum: text('stratum').notNull(),
    blockIndex: integer('block_index').notNull().default(0),
    blockPosition: integer('block_position').notNull().default(0),
  },
  (t) => [uniqueIndex('block_counters_pk').on(t.phaseId, t.stratum)],
);

/**
 * What coaches are told to do for an arm, and the message script, as the
 * analyst wrote them. Version 1 is written with the design and may be edited
 * while the experiment is a draft; after launch each change adds a version, and
 * a coach sees the version in force when the person was assigned.
 */
export const armInstructionVersions = sqliteTable(
  'arm_instruction_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    armId: integer('arm_id').notNull().references(() => experimentArms.id),
    version: integer('version').notNull(),
    instructions: text('instructions').notNull(),
    script: text('script').notNull().default(''),
    reason: text('reason'),
    createdBy: integer('created_by').references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('arm_instruction_versions_arm_version_uq').on(t.armId, t.version)],
);

/**
 * An analyst's enrolment of many people at once (by site, caseload or a list
 * of references) into a running experiment: the selection, then its progress
 * as it runs in chunks through the assignment service.
 */
export const enrolmentBatches = sqliteTable(
  'enrolment_batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    experimentId: integer('experiment_id').notNull().references(() => experiments.id),
    selection: text('selection').notNull(), // JSON { siteIds, coachIds, references }
    description: text('description').notNull(),
    status: text('status').notNull(), // previewed | running | finished | stopped
    total: integer('total').notNull().default(0),
    done: integer('done').notNull().default(0),
    assigned: integer('assigned').notNull().default(0),
    notAssigned: text('not_assigned').notNull().default('{}'), // JSON { reason: count }
    message: text('message'),
    createdBy: integer('created_by').notNull().references(() => users.id),
    createdAt: createdAt(),
    startedAt: text('started_at'),
    heartbeatAt: text('heartbeat_at'),
    finishedAt: text('finished_at'),
  },
  (t) => [index('enrolment_batches_experiment_idx').on(t.experimentId, t.id)],
);

/** Every move of a person from one work coach's caseload to another's, never changed. */
export const caseloadMoves = sqliteTable(
  'caseload_moves',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    fromCoachId: integer('from_coach_id').notNull().references(() => workCoaches.id),
    toCoachId: integer('to_coach_id').notNull().references(() => workCoaches.id),
    // Several people moved together (a whole caseload) share one move group.
    moveGroup: text('move_group').notNull(),
    reason: text('reason').notNull(),
    movedBy: integer('moved_by').references(() => users.id),
    movedAt: text('moved_at').notNull(),
  },
  (t) => [index('caseload_moves_contact_idx').on(t.contactId), index('caseload_moves_at_idx').on(t.movedAt)],
);

/** Append-only record of what happened on a person's journey. */
export const outcomeEvents = sqliteTable(
  'outcome_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    stage: text('stage').notNull(),
    value: real('value'),
    detail: text('detail'), // JSON, shape depends on stage
    occurredAt: text('occurred_at').notNull(),
    recordedAt: text('recorded_at').notNull(),
    recordedBy: integer('recorded_by').notNull().references(() => users.id),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    // sha256 of the request as sent (experiments/outcomes/outcome-payload.ts), so a
    // reused key with another payload is refused (null for events recorded before it).
    payloadHash: text('payload_hash'),
  },
  (t) => [
    index('outcome_events_contact_stage_idx').on(t.contactId, t.stage, t.occurredAt),
    index('outcome_events_stage_idx').on(t.stage, t.contactId),
  ],
);

/**
 * Corrections of outcome events, appended and never changed (docs/decisions/0035):
 * the event itself stays as first recorded. The latest correction of an event
 * says what counts: 'withdraw' (it no longer counts) or 'correct' (the full
 * corrected occurred_at, value and detail). Reasons come from a short list
 * (experiments/outcomes/correction-schema.ts) with an optional note.
 */
export const outcomeCorrections = sqliteTable(
  'outcome_corrections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: integer('event_id').notNull().references(() => outcomeEvents.id),
    kind: text('kind').notNull(), // withdraw | correct
    // For 'correct': the whole corrected record. For 'withdraw': null.
    occurredAt: text('occurred_at'),
    value: real('value'),
    detail: text('detail'),
    reason: text('reason').notNull(),
    reasonNote: text('reason_note'),
    correctedBy: integer('corrected_by').notNull().references(() => users.id),
    correctedAt: text('corrected_at').notNull(),
    idempotencyKey: text('idempotency_key').unique(),
  },
  (t) => [index('outcome_corrections_event_idx').on(t.eventId, t.id)],
);

/**
 * A person opting back in after an opt-out, only at their own request: the
 * opt-out event it ends, why, and who recorded it. The opt-out event stays.
 */
export const optIns = sqliteTable(
  'opt_ins',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    contactId: integer('contact_id').notNull().references(() => contacts.id),
    optOutEventId: integer('opt_out_event_id').notNull().references(() => outcomeEvents.id).unique(),
    reason: text('reason').notNull(),
    recordedBy: integer('recorded_by').notNull().references(() => users.id),
    recordedAt: text('recorded_at').notNull(),
  },
  (t) => [index('opt_ins_contact_idx').on(t.contactId)],
);

/** Work coaches' daily reflective notes. */
export const learningNotes = sqliteTable('learning_notes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  authorId: integer('author_id').notNull().references(() => users.id),
  note: text('note').notNull(),
  experimentId: integer('experiment_id').references(() => experiments.id),
  armId: integer('arm_id').references(() => experimentArms.id),
  createdAt: createdAt(),
});

/**
 * Analysts' weekly summary of what the unit learned: the only learning text
 * ministers see (docs/decisions/0027). One row per week holds the working
 * text; status says whether that text is the approved one.
 */
export const learningSummaries = sqliteTable('learning_summaries', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  weekEnding: text('week_ending').notNull().unique(), // the Sunday, YYYY-MM-DD
  text: text('text').notNull(),
  status: text('status').notNull(), // draft | approved
  createdBy: integer('created_by').notNull().references(() => users.id),
  updatedBy: integer('updated_by').notNull().references(() => users.id),
  // The latest approval (kept while a later draft waits for approval).
  approvedBy: integer('approved_by').references(() => users.id),
  approvedAt: text('approved_at'),
  createdAt: createdAt(),
  updatedAt: text('updated_at').notNull(),
});

/** Every approved version of a week's summary, never changed: ministers see the latest. */
export const learningSummaryApprovals = sqliteTable(
  'learning_summary_approvals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    summaryId: integer('summary_id').notNull().references(() => learningSummaries.id),
    text: text('text').notNull(),
    approvedBy: integer('approved_by').notNull().references(() => users.id),
    approvedAt: text('approved_at').notNull(),
  },
  (t) => [index('learning_summary_approvals_summary_idx').on(t.summaryId, t.id)],
);

/** Frozen weekly reports for ministers. `created_at` is when the week was frozen. */
export const reportSnapshots = sqliteTable('report_snapshots', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  weekEnding: text('week_ending').notNull().unique(),
  content: text('content').notNull(), // JSON
  createdAt: createdAt(),
});

/**
 * Leases for background jobs (the weekly freeze, and later purges): the one
 * instance holding an unexpired lease runs the job, so several server
 * instances over one database never run it twice at once.
 */
export const jobLeases = sqliteTable('job_leases', {
  job: text('job').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: text('expires_at').notNull(),
});

/**
 * Who saw and changed what, one row per person-level request. Entity ids only
 * (a pseudonymous reference or an experiment key): nothing personal.
 * Append-only: triggers in the migration refuse UPDATE, and DELETE of any row
 * not older than the cutoff in `audit_retention` (docs/decisions/0031).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').references(() => users.id),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    /** The experiment a person-level action was in (an assignment), when there is one. */
    experimentKey: text('experiment_key'),
    at: text('at').notNull(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_entity_idx').on(t.entity, t.entityId, t.at),
    index('audit_log_user_idx').on(t.userId, t.at),
  ],
);

/**
 * One row (id 1): audit rows older than `delete_before` may be deleted, no
 * others. Null (the default) means none may be. Only the retention job should
 * move it; the triggers refuse a cutoff in the future or one that moves back,
 * and every change writes its own audit row.
 */
export const auditRetention = sqliteTable(
  'audit_retention',
  {
    id: integer('id').primaryKey(),
    deleteBefore: text('delete_before'),
  },
  (t) => [check('audit_retention_one_row', sql`${t.id} = 1`)],
);

/**
 * Demo mode only: the generated passwords of the demo users, so `npm run
 * demo-logins` can show them again. Never written outside demo seeding; a row
 * goes when that user's password changes.
 */
export const demoCredentials = sqliteTable('demo_credentials', {
  username: text('username').primaryKey(),
  role: text('role').notNull(),
  password: text('password').notNull(),
});

/** One column per funnel stage: days from assignment to the first such event after it. */
const stageDayColumns = Object.fromEntries(STAGES.map((stage) => [stage.key, real(`${stage.key}_day`)])) as Record<
  (typeof STAGES)[number]['key'],
  ReturnType<typeof real>
>;
/** For stages that carry a score: the first score recorded after assignment. */
const stageValueColumns = Object.fromEntries(
  STAGES.filter((stage) => 'value' in stage).map((stage) => [`${stage.key}Value`, real(`${stage.key}_value`)]),
) as Record<string, SQLiteColumnBuilderBase>;

/**
 * Read model for reports: one row per assignment with the person's baseline
 * characteristics (as at assignment, or null once they are erased) and how far they have got. Maintained on
 * every assignment and outcome event, and rebuildable from those tables at any
 * time (experiments/progress/progress-projection.ts), so every figure can be
 * reproduced from the raw records. Clustered by experiment for fast scans.
 */
export const assignmentProgress = sqliteTable(
  'assignment_progress',
  {
    experimentId: integer('experiment_id').notNull(),
    assignmentId: integer('assignment_id').notNull().references(() => assignments.id),
    contactId: integer('contact_id').notNull(),
    armId: integer('arm_id').notNull(),
    coachId: integer('coach_id').notNull(),
    // Null once the person is erased: "not recorded" in subgroup breakdowns (docs/decisions/0033).
    healthGroup: text('health_group'),
    ageBand: text('age_band'),
    sex: text('sex'),
    ethnicityGroup: text('ethnicity_group'),
    caring: integer('caring'),
    timeOnBenefits: text('time_on_benefits'),
    previousWork: text('previous_work'),
    /** julianday(assigned_at) */
    assignedDay: real('assigned_day').notNull(),
    ...stageDayColumns,
    ...stageValueColumns,
  },
  (t) => [
    primaryKey({ columns: [t.experimentId, t.assignmentId] }),
    uniqueIndex('assignment_progress_assignment_uq').on(t.assignmentId),
    index('assignment_progress_contact_idx').on(t.contactId),
  ],
);

/**
 * Day-level tallies of `assignment_progress`, so a report reads thousands of
 * rows rather than one per person. Per experiment and arm: people assigned
 * (stage '_assigned') and people first reaching each stage, by UTC day
 * (days since 1970-01-01), with the sums of first scores. The primary metric
 * and assignments are also tallied by each characteristic and by work coach
 * (`dimension`, `dimension_value`) for subgroup and coach breakdowns.
 * Kept in step by experiments/progress/progress-projection.ts.
 */
export const progressTallies = sqliteTable(
  'progress_tallies',
  {
    experimentId: integer('experiment_id').notNull(),
    dimension: text('dimension').notNull(),
    dimensionValue: text('dimension_value').notNull(),
    stage: text('stage').notNull(),
    armId: integer('arm_id').notNull(),
    day: integer('day').notNull(),
    people: integer('people').notNull(),
    valueSum: real('value_sum').notNull().default(0),
    valueSumSquares: real('value_sum_squares').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.experimentId, t.dimension, t.dimensionValue, t.stage, t.armId, t.day] })],
);

/**
 * How far the reports' read model has got through each append-only table
 * (`assignments`, `outcome_events`): the highest id it has taken in.
 */
export const projectionCheckpoints = sqliteTable('projection_checkpoints', {
  source: text('source').primaryKey(),
  lastId: integer('last_id').notNull(),
});
