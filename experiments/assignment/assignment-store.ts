import type { Db, Dialect } from '../../server/db/database.ts';
import { rowLockSql } from '../experiment/row-lock.ts';
import { sourceLockFor } from '../progress/source-lock-store.ts';

/** How a person's arm was drawn, as stored with their assignment (its audit detail). */
export interface AssignmentRecord {
  method: string;
  seed: string;
  /** The hash bucket (hash), or the stratum and place in its block sequence (blocks). */
  hashValue: number | null;
  stratum: string | null;
  blockIndex: number | null;
  blockPosition: number | null;
  /** Cluster-randomised designs: the coach or site code that was hashed (its arm is every member's arm). */
  cluster: string | null;
  assignedAt: string;
}

/** One new assignment row, as INSERT_COLUMNS lists it. */
export interface NewAssignment extends AssignmentRecord {
  experimentId: number;
  contactId: number;
  armId: number;
  phaseId: number;
  assignedBy: number;
}

export interface BlockCounter {
  blockIndex: number;
  blockPosition: number;
}

// The insert's columns with their PostgreSQL types (the guarded insert selects its values, so it casts them).
const INSERT_COLUMNS: [column: string, field: keyof NewAssignment, type: string][] = [
  ['experiment_id', 'experimentId', 'integer'],
  ['contact_id', 'contactId', 'integer'],
  ['arm_id', 'armId', 'integer'],
  ['phase_id', 'phaseId', 'integer'],
  ['method', 'method', 'text'],
  ['seed', 'seed', 'text'],
  ['hash_value', 'hashValue', 'double precision'],
  ['stratum', 'stratum', 'text'],
  ['block_index', 'blockIndex', 'integer'],
  ['block_position', 'blockPosition', 'integer'],
  ['cluster', 'cluster', 'text'],
  ['assigned_at', 'assignedAt', 'text'],
  ['assigned_by', 'assignedBy', 'integer'],
];
const INTO = `INSERT INTO assignments (${INSERT_COLUMNS.map(([column]) => column).join(', ')})`;
// One assignment per person and experiment, by the unique index: the loser of a race inserts nothing.
const ONCE = 'ON CONFLICT (experiment_id, contact_id) DO NOTHING RETURNING id';

/**
 * The insert, one per dialect. It takes the progress source lock itself
 * (experiments/progress/source-guard.ts): on PostgreSQL its values are selected
 * from the lock's one-row SELECT, so the lock is held before the row's id is
 * drawn and costs no round trip of its own; SQLite needs no lock.
 */
function insertSql(dialect: Dialect): string {
  const lock = sourceLockFor(dialect).sharedLockSelect;
  if (!lock) return `${INTO} VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}) ${ONCE}`;
  const values = INSERT_COLUMNS.map(([, , type]) => `CAST(? AS ${type})`).join(', ');
  return `WITH source_guard AS MATERIALIZED (${lock}) ${INTO} SELECT ${values} FROM source_guard ${ONCE}`;
}

const RECORD_SCREENING = 'INSERT INTO screenings (experiment_id, contact_id, reason, screened_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
const START_BLOCK_COUNTER = `
  INSERT INTO block_counters (phase_id, stratum, block_index, block_position) VALUES (?, ?, 0, 0)
  ON CONFLICT (phase_id, stratum) DO NOTHING`;
const MOVE_BLOCK_COUNTER = 'UPDATE block_counters SET block_index = ?, block_position = ? WHERE phase_id = ? AND stratum = ?';

/**
 * Plain reads and writes on assignments, screenings and block_counters, made
 * inside the assignment service's transactions.
 */
export function createAssignmentStore(db: Db) {
  const insert = insertSql(db.dialect);
  // FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction already has the database to itself.
  const LOCK_BLOCK_COUNTER = `SELECT block_index AS "blockIndex", block_position AS "blockPosition" FROM block_counters
    WHERE phase_id = ? AND stratum = ?${rowLockSql(db.dialect).forUpdate}`;

  return {
    /** The new row's id, or null when the person was already assigned (the stored arm stands). */
    async insert(row: NewAssignment): Promise<number | null> {
      return (await db.get<{ id: number }>(insert, INSERT_COLUMNS.map(([, field]) => row[field])))?.id ?? null;
    },
    async recordScreening(experimentId: number, contactId: number, reason: string, at: string): Promise<void> {
      await db.run(RECORD_SCREENING, [experimentId, contactId, reason, at]);
    },
    /** The stratum's counter, locked until the transaction ends; undefined before its first person. */
    lockedCounter: (phaseId: number, stratum: string) => db.get<BlockCounter>(LOCK_BLOCK_COUNTER, [phaseId, stratum]),
    /** Creates the counter at slot 0, unless another request (or instance) just did. */
    async startCounter(phaseId: number, stratum: string): Promise<void> {
      await db.run(START_BLOCK_COUNTER, [phaseId, stratum]);
    },
    async moveCounter(phaseId: number, stratum: string, to: BlockCounter): Promise<void> {
      await db.run(MOVE_BLOCK_COUNTER, [to.blockIndex, to.blockPosition, phaseId, stratum]);
    },
  };
}

export type AssignmentStore = ReturnType<typeof createAssignmentStore>;
