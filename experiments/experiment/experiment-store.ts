import type { Db } from '../../server/db/database.ts';
import type { experimentArms, experimentPhases, experiments } from '../../server/db/schema.ts';
import { ALWAYS_GUARDRAILS } from '../vocabulary.ts';
import type { ExperimentInput } from './experiment-schema.ts';
import type { LifecycleAction } from './experiment-service.ts';
import { rowLockSql } from './row-lock.ts';

export type ExperimentRow = typeof experiments.$inferSelect;
export type ArmRow = Omit<typeof experimentArms.$inferSelect, 'isControl'> & { isControl: number };
export type PhaseRow = typeof experimentPhases.$inferSelect;

/** What an experiment's view depends on once created (see FINGERPRINT). */
export interface FingerprintRow {
  id: number;
  status: string;
  updatedAt: string;
  phaseId: number | null;
}

const EXPERIMENT_COLUMNS = `id, key, name, hypothesis, journey_phase AS "journeyPhase", status, factors, eligibility,
  primary_metric AS "primaryMetric", secondary_metrics AS "secondaryMetrics", guardrail_metrics AS "guardrailMetrics",
  planned_sample_size AS "plannedSampleSize", decision_rule AS "decisionRule", alpha_spending AS "alphaSpending",
  randomisation, randomisation_unit AS "randomisationUnit", strata, created_by AS "createdBy", created_at AS "createdAt",
  updated_at AS "updatedAt", launched_at AS "launchedAt", concluded_at AS "concludedAt"`;
const BY_KEY = `SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE key = ?`;
const ARMS_OF = `SELECT id, experiment_id AS "experimentId", key, name, is_control AS "isControl", levels, position
  FROM experiment_arms WHERE experiment_id = ? ORDER BY position, id`;
const PHASES_OF = `SELECT id, experiment_id AS "experimentId", number, seed, arm_ids AS "armIds", weights, coverage,
  started_at AS "startedAt", ended_at AS "endedAt", reason
  FROM experiment_phases WHERE experiment_id = ? ORDER BY number`;
const ALL_EXPERIMENTS = `SELECT ${EXPERIMENT_COLUMNS} FROM experiments ORDER BY created_at, id`;
const ID_BY_KEY = 'SELECT id FROM experiments WHERE key = ?';
const ARM_ID_BY_KEY = 'SELECT id FROM experiment_arms WHERE experiment_id = ? AND key = ?';
const INSERT_EXPERIMENT = `INSERT INTO experiments (key, name, hypothesis, journey_phase, factors, eligibility, primary_metric,
    secondary_metrics, guardrail_metrics, planned_sample_size, decision_rule, alpha_spending, randomisation,
    randomisation_unit, strata, status, created_by, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?) RETURNING ${EXPERIMENT_COLUMNS}`;
const UPDATE_DESIGN = `UPDATE experiments SET name = ?, hypothesis = ?, journey_phase = ?, factors = ?, eligibility = ?,
    primary_metric = ?, secondary_metrics = ?, guardrail_metrics = ?, planned_sample_size = ?, decision_rule = ?,
    alpha_spending = ?, randomisation = ?, randomisation_unit = ?, strata = ?, updated_at = ?
  WHERE id = ?`;
const INSERT_ARM = `INSERT INTO experiment_arms (experiment_id, key, name, is_control, levels, position)
  VALUES (?, ?, ?, ?, ?, ?) RETURNING id`;
const INSERT_PHASE = `INSERT INTO experiment_phases (experiment_id, number, seed, arm_ids, weights, coverage, started_at, reason)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const DELETE_PHASES = 'DELETE FROM experiment_phases WHERE experiment_id = ?';
const DELETE_ARMS = 'DELETE FROM experiment_arms WHERE experiment_id = ?';
const SET_STATUS: Record<LifecycleAction, string> = {
  launch: 'UPDATE experiments SET status = ?, updated_at = ?, launched_at = ? WHERE id = ?',
  pause: 'UPDATE experiments SET status = ?, updated_at = ? WHERE id = ?',
  resume: 'UPDATE experiments SET status = ?, updated_at = ? WHERE id = ?',
  conclude: 'UPDATE experiments SET status = ?, updated_at = ?, concluded_at = ? WHERE id = ?',
};
const START_FIRST_PHASE = 'UPDATE experiment_phases SET started_at = ? WHERE experiment_id = ? AND number = 1';
const END_OPEN_PHASES = 'UPDATE experiment_phases SET ended_at = ? WHERE experiment_id = ? AND ended_at IS NULL';
const EDIT_PHASE = 'UPDATE experiment_phases SET arm_ids = ?, weights = ?, coverage = ?, reason = ? WHERE id = ?';
const END_PHASE = 'UPDATE experiment_phases SET ended_at = ? WHERE id = ?';
const TOUCH = 'UPDATE experiments SET updated_at = ? WHERE id = ?';
// What an experiment's view depends on once created: its status and updated_at
// (set by every change) and its newest phase (a new phase on any allocation change).
// One indexed lookup, so hot paths can reuse a view until this changes, even when
// another connection or service instance made the change.
export const FINGERPRINT = `SELECT e.id, e.status, e.updated_at AS "updatedAt",
    (SELECT MAX(p.id) FROM experiment_phases p WHERE p.experiment_id = e.id) AS "phaseId"
  FROM experiments e WHERE e.key = ?`;

/** The design's columns, in the order INSERT_EXPERIMENT and UPDATE_DESIGN list them. */
function designColumns(input: ExperimentInput): unknown[] {
  return [
    input.name,
    input.hypothesis,
    input.journeyPhase,
    JSON.stringify(input.factors),
    JSON.stringify(input.eligibility),
    input.primaryMetric,
    JSON.stringify(input.secondaryMetrics),
    JSON.stringify(input.guardrailMetrics.filter((m) => !ALWAYS_GUARDRAILS.includes(m))),
    input.plannedSampleSize ?? null,
    input.decisionRule ?? null,
    input.alphaSpending ?? 'obf',
    input.randomisation,
    input.randomisationUnit ?? 'person',
    JSON.stringify(input.strata),
  ];
}

/** A new phase's allocation: the open arms in hash-bucket order and their shares. */
export interface PhaseAllocation {
  armIds: number[];
  weights: number[];
  coverage: number;
  reason: string | null;
}

/**
 * Plain reads and writes on experiments, experiment_arms and experiment_phases.
 * Rows come back as stored (JSON columns as text); the experiment service reads
 * them into views. The writes are made inside the experiment service's transactions.
 */
export function createExperimentStore(db: Db) {
  // Writers lock the experiment's row first, so changes to one experiment take turns on PostgreSQL too.
  const lockedByKey = `${BY_KEY}${rowLockSql(db.dialect).forUpdate}`;

  return {
    /** The experiment's row; `lock` (inside a transaction) holds it until the transaction ends. */
    byKey(key: string, lock = false): Promise<ExperimentRow | undefined> {
      return db.get<ExperimentRow>(lock ? lockedByKey : BY_KEY, [key]);
    },
    all(): Promise<ExperimentRow[]> {
      return db.all<ExperimentRow>(ALL_EXPERIMENTS);
    },
    async idByKey(key: string): Promise<number | null> {
      return (await db.get<{ id: number }>(ID_BY_KEY, [key]))?.id ?? null;
    },
    fingerprint(key: string): Promise<FingerprintRow | undefined> {
      return db.get<FingerprintRow>(FINGERPRINT, [key]);
    },
    armsOf(experimentId: number): Promise<ArmRow[]> {
      return db.all<ArmRow>(ARMS_OF, [experimentId]);
    },
    async armIdByKey(experimentId: number, armKey: string): Promise<number | null> {
      return (await db.get<{ id: number }>(ARM_ID_BY_KEY, [experimentId, armKey]))?.id ?? null;
    },
    phasesOf(experimentId: number): Promise<PhaseRow[]> {
      return db.all<PhaseRow>(PHASES_OF, [experimentId]);
    },

    /** A new draft; throws the driver's unique violation when the key is taken. */
    async insert(input: ExperimentInput, userId: number | null, at: string): Promise<ExperimentRow> {
      return (await db.get<ExperimentRow>(INSERT_EXPERIMENT, [input.key, ...designColumns(input), userId, at, at]))!;
    },
    async updateDesign(experimentId: number, input: ExperimentInput, at: string): Promise<void> {
      await db.run(UPDATE_DESIGN, [...designColumns(input), at, experimentId]);
    },
    async setStatus(experimentId: number, action: LifecycleAction, status: string, at: string): Promise<void> {
      const stamped = action === 'launch' || action === 'conclude';
      await db.run(SET_STATUS[action], stamped ? [status, at, at, experimentId] : [status, at, experimentId]);
    },
    async touch(experimentId: number, at: string): Promise<void> {
      await db.run(TOUCH, [at, experimentId]);
    },

    async insertArm(experimentId: number, arm: { key: string; name: string; isControl: boolean; levels: Record<string, string> }, position: number): Promise<number> {
      return (await db.get<{ id: number }>(INSERT_ARM, [experimentId, arm.key, arm.name, arm.isControl, JSON.stringify(arm.levels), position]))!.id;
    },
    /** Only for a draft, whose design is rewritten. */
    async deleteArms(experimentId: number): Promise<void> {
      await db.run(DELETE_ARMS, [experimentId]);
    },

    async insertPhase(experimentId: number, number: number, seed: string, allocation: PhaseAllocation, startedAt: string): Promise<void> {
      await db.run(INSERT_PHASE, [
        experimentId,
        number,
        seed,
        JSON.stringify(allocation.armIds),
        JSON.stringify(allocation.weights),
        allocation.coverage,
        startedAt,
        allocation.reason,
      ]);
    },
    /** Only before launch, when phase 1 is edited in place. */
    async editPhase(phaseId: number, allocation: PhaseAllocation): Promise<void> {
      await db.run(EDIT_PHASE, [JSON.stringify(allocation.armIds), JSON.stringify(allocation.weights), allocation.coverage, allocation.reason, phaseId]);
    },
    async endPhase(phaseId: number, at: string): Promise<void> {
      await db.run(END_PHASE, [at, phaseId]);
    },
    async startFirstPhase(experimentId: number, at: string): Promise<void> {
      await db.run(START_FIRST_PHASE, [at, experimentId]);
    },
    async endOpenPhases(experimentId: number, at: string): Promise<void> {
      await db.run(END_OPEN_PHASES, [at, experimentId]);
    },
    /** Only for a draft, whose design is rewritten. */
    async deletePhases(experimentId: number): Promise<void> {
      await db.run(DELETE_PHASES, [experimentId]);
    },
  };
}

export type ExperimentStore = ReturnType<typeof createExperimentStore>;
