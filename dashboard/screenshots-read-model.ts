import type { Db } from '../server/db/database.ts';

const CONTACT_IN_PHASE_ONE = `SELECT c.reference FROM contacts c
  JOIN work_coaches w ON w.id = c.coach_id AND w.code = 'WC01'
  JOIN assignments a ON a.contact_id = c.id
  JOIN experiments e ON e.id = a.experiment_id AND e.key = 'channel-tone'
  JOIN experiment_arms r ON r.id = a.arm_id AND r.key = 'text-warm_voluntary'
  WHERE c.opted_out_at IS NULL
    AND EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.stage = 'meeting_agreed')
    AND NOT EXISTS (SELECT 1 FROM outcome_events o WHERE o.contact_id = c.id AND o.stage IN ('meeting_attended', 'meeting_not_attended'))
  ORDER BY c.reference LIMIT 1`;

/** What dashboard/screenshots.ts picks from the demo data to show. */
export function createScreenshotsReadModel(db: Db) {
  return {
    /** The reference of a person on coach01's caseload with a meeting agreed but not yet held, if any. */
    async contactInPhaseOne(): Promise<string | undefined> {
   return (await db.get<{ reference: string }>(CONTACT_IN_PHASE_ONE))?.reference;
    },
  };
}
