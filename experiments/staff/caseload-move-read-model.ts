import type { Db } from '../../server/db/database.ts';
import type { MoveView } from './caseload-move-service.ts';

// Every row of a move group has the same coaches, reason, mover and time.
const RECENT = `
  SELECT m.move_group AS "moveGroup", COUNT(*) AS people, CASE WHEN COUNT(*) = 1 THEN MAX(c.reference) END AS reference,
    MAX(f.name) AS "fromCoach", MAX(t.name) AS "toCoach", MAX(m.reason) AS reason, MAX(u.display_name) AS "movedBy", MAX(m.moved_at) AS "movedAt"
  FROM caseload_moves m
  JOIN contacts c ON c.id = m.contact_id
  JOIN work_coaches f ON f.id = m.from_coach_id
  JOIN work_coaches t ON t.id = m.to_coach_id
  LEFT JOIN users u ON u.id = m.moved_by
  GROUP BY m.move_group ORDER BY MAX(m.id) DESC LIMIT ?`;

/** The admin's list of recent caseload moves: one line per move, newest first, with the coaches' and mover's names. */
export function createCaseloadMoveReadModel(db: Db) {
  return {
    recent: (limit: number): Promise<MoveView[]> => db.all<MoveView>(RECENT, [limit]),
  };
}

export type CaseloadMoveReadModel = ReturnType<typeof createCaseloadMoveReadModel>;
