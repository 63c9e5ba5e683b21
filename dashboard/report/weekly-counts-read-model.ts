import type { Db } from '../../server/db/client.ts';
import { ASSIGNED, catchUpProgress } from '../../experiments/progress/progress-projection.ts';
import type { UnitTotals, WeeklyPeople } from './weekly-report-builder.ts';

/**
 * Counts for the weekly report the experiment report does not carry: people
 * brought in and first contacted during the week, and unit-wide totals of the
 * outcomes that matter most (engagement, lasting work, harms). Aggregated in
 * SQL; suppression happens in the report builder. Like the experiment report,
 * events count by when they happened; the weekly snapshot is what keeps a
 * week's figures fixed once it is over.
 */
const DAY = 86_400_000;

export function createWeeklyCountsReadModel(db: Db) {
  // progress_tallies counts people by the UTC day they were assigned (ASSIGNED) or
  // first reached a stage after assignment; report weeks start and end at UTC midnight,
  // so whole-day sums are exact. A few index reads, whatever the number of people.
  const tallied = db.$client.prepare(`
    SELECT COALESCE(SUM(CASE WHEN day >= @startDay THEN people END), 0) AS thisWeek, COALESCE(SUM(people), 0) AS total
    FROM progress_tallies
    WHERE experiment_id = @experimentId AND dimension = '' AND dimension_value = '' AND stage = @stage AND day < @endDay`);
  const people = db.$client.prepare('SELECT COUNT(DISTINCT contact_id) AS n FROM assignments WHERE assigned_at < @end');
  const stages = db.$client.prepare(`
    SELECT o.stage AS stage, COUNT(DISTINCT o.contact_id) AS n
    FROM outcome_events o
    WHERE o.stage IN ('meeting_attended', 'engaged_8w', 'in_work_13w', 'in_work_26w', 'opted_out', 'complaint')
      AND o.occurred_at < @end
      AND EXISTS (SELECT 1 FROM assignments a WHERE a.contact_id = o.contact_id AND a.assigned_at < @end)
    GROUP BY o.stage`);

  return {
    /** People assigned, and first contacted after assignment, in [start, end) and in total before end (whole UTC days). */
    forExperiment(experimentId: number, start: Date, end: Date): WeeklyPeople {
      catchUpProgress(db);
      const days = { experimentId, startDay: Math.floor(start.getTime() / DAY), endDay: Math.ceil(end.getTime() / DAY) };
      const a = tallied.get({ ...days, stage: ASSIGNED }) as { thisWeek: number; total: number };
      const c = tallied.get({ ...days, stage: 'outreach_attempted' }) as { thisWeek: number; total: number };
      return { assignedThisWeek: a.thisWeek, assignedTotal: a.total, contactedThisWeek: c.thisWeek, contactedTotal: c.total };
    },
    unitTotals(end: Date): UnitTotals {
      const params = { end: end.toISOString() };
      const counts = new Map((stages.all(params) as { stage: string; n: number }[]).map((r) => [r.stage, r.n]));
      return {
        people: (people.get(params) as { n: number }).n,
        attended: counts.get('meeting_attended') ?? 0,
        engaged8w: counts.get('engaged_8w') ?? 0,
        inWork13w: counts.get('in_work_13w') ?? 0,
        inWork26w: counts.get('in_work_26w') ?? 0,
        optedOut: counts.get('opted_out') ?? 0,
        complaints: counts.get('complaint') ?? 0,
      };
    },
  };
}
