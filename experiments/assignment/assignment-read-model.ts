import type { Db } from '../../server/db/database.ts';
import { CONTACT_BY_REFERENCE, type StoredContact } from '../contacts/contact-store.ts';
import { FINGERPRINT, type FingerprintRow } from '../experiment/experiment-store.ts';
import type { AssignmentRecord } from './assignment-store.ts';

/** A stored assignment with its arm and phase, as the assignment view needs them. */
export interface StoredAssignment extends AssignmentRecord {
  phase: number;
  armKey: string;
  armName: string;
  isControl: number;
  levels: string;
}

/** What an assignment starts from: the experiment's fingerprint and the person's row (null if no such person). */
export interface AssignmentContext {
  fingerprint: FingerprintRow;
  contact: StoredContact | null;
}

const STORED = `
  SELECT a.method, a.seed, a.hash_value AS "hashValue", a.stratum, a.block_index AS "blockIndex",
         a.block_position AS "blockPosition", a.cluster, a.assigned_at AS "assignedAt", p.number AS phase,
         r.key AS "armKey", r.name AS "armName", r.is_control AS "isControl", r.levels
  FROM assignments a
  JOIN experiment_arms r ON r.id = a.arm_id
  JOIN experiment_phases p ON p.id = a.phase_id
  WHERE a.experiment_id = ? AND a.contact_id = ?`;
const EXPERIMENTS_OF_CONTACT = `
  SELECT e.key FROM assignments a JOIN experiments e ON e.id = a.experiment_id
  WHERE a.contact_id = ? ORDER BY e.created_at, e.id`;
// The experiment's fingerprint and the person, in one round trip: the two
// stores' own statements, side by side (no row when there is no such experiment).
const CONTEXT = `
  SELECT f.id AS "experimentId", f.status AS "experimentStatus", f."updatedAt" AS "experimentUpdatedAt", f."phaseId" AS "experimentPhaseId", c.*
  FROM (${FINGERPRINT}) f LEFT JOIN (${CONTACT_BY_REFERENCE}) c ON 1 = 1`;

type ContextRow = { experimentId: number; experimentStatus: string; experimentUpdatedAt: string; experimentPhaseId: number | null } & {
  [K in keyof StoredContact]: StoredContact[K] | null;
};

/** The reads behind assignment: where an assignment starts, and stored assignments with their arms. */
export function createAssignmentReadModel(db: Db) {
  return {
    async context(experimentKey: string, reference: string): Promise<AssignmentContext | null> {
      const row = await db.get<ContextRow>(CONTEXT, [experimentKey, reference]);
      if (!row) return null;
      const { experimentId, experimentStatus, experimentUpdatedAt, experimentPhaseId, ...contact } = row;
      return {
        fingerprint: { id: experimentId, status: experimentStatus, updatedAt: experimentUpdatedAt, phaseId: experimentPhaseId },
        contact: contact.id === null ? null : (contact as StoredContact),
      };
    },
    stored: (experimentId: number, contactId: number) => db.get<StoredAssignment>(STORED, [experimentId, contactId]),
    async experimentsOf(contactId: number): Promise<string[]> {
      return (await db.all<{ key: string }>(EXPERIMENTS_OF_CONTACT, [contactId])).map((r) => r.key);
    },
  };
}
