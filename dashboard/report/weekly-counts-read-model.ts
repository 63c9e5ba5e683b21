import type { Db } from '../../server/db/database.ts';
import type { UnitTotals } from './weekly-report-builder.ts';

const PEOPLE = 'SELECT COUNT(DISTINCT contact_id) AS n FROM assignments WHERE assigned_at < ?';
const STAGES = `
  SELECT o.stage AS stage, COUNT(DISTINCT o.contact_id) AS n
  FROM effective_outcome_events o
  WHERE o.stage IN ('meeting_attended', 'engaged_8w', 'started_work', 'in_work_13w', 'in_work_26w', 'opted_out', 'complaint')
    AND o.occurred_at < ?
    AND EXISTS (SELECT 1 FROM assignments a WHERE a.contact_id = o.contact_id AND a.assigned_at < ?)
  GROUP BY o.stage`;

/**
 * Unit-wide totals for the weekly report, which no single experiment report
 * carries: people taking part in any experiment, and how many of them reached
 * the outcomes that matter most (engagement, lasting work, harms), counting
 * records that happened before the week's cut-off, as corrected (a withdrawn
 * record does not count; docs/decisions/0035). Disclosure control happens
 * in the report builder.
 */
export function createWeeklyCountsReadModel(db: Db) {
  return {
    /** Distinct people, as of the cut-off `end` (exclusive). */
    async unitTotals(end: Date): Promise<UnitTotals> {
      const cutOff = end.toISOString();
      const counts = new Map((await db.all<{ stage: string; n: number }>(STAGES, [cutOff, cutOff])).map((r) => [r.stage, r.n]));
      const people = (await db.get<{ n: number }>(PEOPLE, [cutOff]))?.n ?? 0;
      return {
        people,
        attended: counts.get('meeting_attended') ?? 0,
        engaged8w: counts.get('engaged_8w') ?? 0,
        startedWork: counts.get('started_work') ?? 0,
        inWork13w: counts.get('in_work_13w') ?? 0,
        inWork26w: counts.get('in_work_26w') ?? 0,
        optedOut: counts.get('opted_out') ?? 0,
        complaints: counts.get('complaint') ?? 0,
      };
    },
  };
}
