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

/**
 * Plain reads and writes on arm_instruction_versions. Versions are only ever
 * added, except that a draft's version 1 is rewritten with its design.
 */
export function createArmInstructionStore(db: Db) {
  const columns = 'arm_id AS armId, version, instructions, script, reason, created_at AS createdAt';
  const latestForExperiment = db.$client.prepare(`
    SELECT ${columns} FROM arm_instruction_versions v
    WHERE arm_id IN (SELECT id FROM experiment_arms WHERE experiment_id = ?)
      AND version = (SELECT max(version) FROM arm_instruction_versions w WHERE w.arm_id = v.arm_id)`);
  // The version in force at a moment: the newest written by then, else the first (written later).
  const inForceAt = db.$client.prepare(`
    SELECT ${columns} FROM arm_instruction_versions WHERE arm_id = ?
    ORDER BY (created_at <= ?) DESC, CASE WHEN created_at <= ? THEN version ELSE -version END DESC LIMIT 1`);
  const allForArm = db.$client.prepare(`SELECT ${columns} FROM arm_instruction_versions WHERE arm_id = ? ORDER BY version`);
  const insert = db.$client.prepare(`
    INSERT INTO arm_instruction_versions (arm_id, version, instructions, script, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const deleteForArm = db.$client.prepare('DELETE FROM arm_instruction_versions WHERE arm_id = ?');
  const deleteForExperiment = db.$client.prepare('DELETE FROM arm_instruction_versions WHERE arm_id IN (SELECT id FROM experiment_arms WHERE experiment_id = ?)');

  return {
    /** The current version of each arm of an experiment that has any, by arm id. */
    latest(experimentId: number): Map<number, ArmInstructionVersion> {
      return new Map((latestForExperiment.all(experimentId) as ArmInstructionVersion[]).map((v) => [v.armId, v]));
    },
    inForceAt(armId: number, at: string): ArmInstructionVersion | null {
      return (inForceAt.get(armId, at, at) as ArmInstructionVersion | undefined) ?? null;
    },
    history(armId: number): ArmInstructionVersion[] {
      return allForArm.all(armId) as ArmInstructionVersion[];
    },
    add(armId: number, version: number, text: { instructions: string; script: string }, reason: string | null, userId: number | null, at: string) {
      insert.run(armId, version, text.instructions, text.script, reason, userId, at);
    },
    /** Only for a draft, whose version 1 is rewritten with its design. */
    deleteVersionsOf(armId: number) {
      deleteForArm.run(armId);
    },
    deleteForExperiment(experimentId: number) {
      deleteForExperiment.run(experimentId);
    },
  };
}

export type ArmInstructionStore = ReturnType<typeof createArmInstructionStore>;
