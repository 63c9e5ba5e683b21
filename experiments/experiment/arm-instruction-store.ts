import type { Db } from '../../server/db/database.ts';

/** One version of what coaches are told for an arm. */
export interface ArmInstructionVersion {
  armId: number;
  version: number;
  instructions: string;
  script: string;
  reason: string | null;
  createdAt: string;
}

const COLUMNS = 'arm_id AS "armId", version, instructions, script, reason, created_at AS "createdAt"';
const LATEST_FOR_EXPERIMENT = `
  SELECT ${COLUMNS} FROM arm_instruction_versions v
  WHERE arm_id IN (SELECT id FROM experiment_arms WHERE experiment_id = ?)
    AND version = (SELECT MAX(w.version) FROM arm_instruction_versions w WHERE w.arm_id = v.arm_id)`;
// The version in force at a moment: the newest written by then, else the first (written later).
const IN_FORCE_AT = `
  SELECT ${COLUMNS} FROM arm_instruction_versions WHERE arm_id = ?
  ORDER BY CASE WHEN created_at <= ? THEN 1 ELSE 0 END DESC, CASE WHEN created_at <= ? THEN version ELSE -version END DESC LIMIT 1`;
const ALL_FOR_ARM = `SELECT ${COLUMNS} FROM arm_instruction_versions WHERE arm_id = ? ORDER BY version`;
const INSERT = `
  INSERT INTO arm_instruction_versions (arm_id, version, instructions, script, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const DELETE_FOR_ARM = 'DELETE FROM arm_instruction_versions WHERE arm_id = ?';
const DELETE_FOR_EXPERIMENT = 'DELETE FROM arm_instruction_versions WHERE arm_id IN (SELECT id FROM experiment_arms WHERE experiment_id = ?)';

/**
 * Plain reads and writes on arm_instruction_versions. Versions are only ever
 * added, except that a draft's version 1 is rewritten with its design. The
 * writes are made inside the experiment service's transactions.
 */
export function createArmInstructionStore(db: Db) {
  return {
    /** The current version of each arm of an experiment that has any, by arm id. */
    async latest(experimentId: number): Promise<Map<number, ArmInstructionVersion>> {
      return new Map((await db.all<ArmInstructionVersion>(LATEST_FOR_EXPERIMENT, [experimentId])).map((v) => [v.armId, v]));
    },
    async inForceAt(armId: number, at: string): Promise<ArmInstructionVersion | null> {
      return (await db.get<ArmInstructionVersion>(IN_FORCE_AT, [armId, at, at])) ?? null;
    },
    history(armId: number): Promise<ArmInstructionVersion[]> {
      return db.all<ArmInstructionVersion>(ALL_FOR_ARM, [armId]);
    },
    async add(armId: number, version: number, text: { instructions: string; script: string }, reason: string | null, userId: number | null, at: string): Promise<void> {
      await db.run(INSERT, [armId, version, text.instructions, text.script, reason, userId, at]);
    },
    /** Only for a draft, whose version 1 is rewritten with its design. */
    async deleteVersionsOf(armId: number): Promise<void> {
      await db.run(DELETE_FOR_ARM, [armId]);
    },
    async deleteForExperiment(experimentId: number): Promise<void> {
      await db.run(DELETE_FOR_EXPERIMENT, [experimentId]);
    },
  };
}

export type ArmInstructionStore = ReturnType<typeof createArmInstructionStore>;
