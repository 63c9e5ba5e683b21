import type { Db } from '../server/db/database.ts';
import type { Role } from '../experiments/vocabulary.ts';

// The coach with the largest caseload (or the one named), one of their people with the longest history,
// and the running experiment with the most people; ties go to the lowest id.
const BUSIEST_COACH = `SELECT u.username, w.id AS "coachId", COUNT(c.id) AS people FROM work_coaches w
  JOIN users u ON u.id = w.user_id JOIN contacts c ON c.coach_id = w.id
  WHERE CAST(? AS TEXT) IS NULL OR u.username = ?
  GROUP BY w.id, u.username ORDER BY people DESC, w.id LIMIT 1`;
const LONGEST_HISTORY = `SELECT c.reference FROM contacts c JOIN outcome_events o ON o.contact_id = c.id
  WHERE c.coach_id = ? GROUP BY c.id, c.reference ORDER BY COUNT(o.id) DESC, c.id LIMIT 1`;
const LARGEST_EXPERIMENT = `SELECT e.key FROM experiments e LEFT JOIN assignments a ON a.experiment_id = e.id
  WHERE e.status IN ('running', 'paused', 'concluded') GROUP BY e.id, e.key ORDER BY COUNT(a.id) DESC, e.id LIMIT 1`;
const FIRST_USER_WITH_ROLE = 'SELECT username FROM users WHERE role = ? AND disabled_at IS NULL ORDER BY id LIMIT 1';

/** What dashboard/bench-pages.ts picks from the database to time: whose pages, and which. */
export function createBenchPagesReadModel(db: Db) {
  return {
    /** `username` null: the coach with the largest caseload. */
    busiestCoach(username: string | null): Promise<{ username: string; coachId: number } | undefined> {
      return db.get<{ username: string; coachId: number }>(BUSIEST_COACH, [username, username]);
    },
    async longestHistory(coachId: number): Promise<string | undefined> {
      return (await db.get<{ reference: string }>(LONGEST_HISTORY, [coachId]))?.reference;
    },
    async largestExperiment(): Promise<string | undefined> {
      return (await db.get<{ key: string }>(LARGEST_EXPERIMENT))?.key;
    },
    async firstUserWithRole(role: Role): Promise<string | undefined> {
      return (await db.get<{ username: string }>(FIRST_USER_WITH_ROLE, [role]))?.username;
    },
  };
}
