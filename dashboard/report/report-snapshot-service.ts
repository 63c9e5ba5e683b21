import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { createReportSnapshotStore } from './report-snapshot-store.ts';
import type { MinisterReport } from './weekly-report-builder.ts';

/**
 * Frozen weekly reports. A week's report is written once and never changed,
 * so what a minister read on Monday is what anyone reads later.
 */
export function createReportSnapshotService(db: Db, clock: Clock) {
  const store = createReportSnapshotStore(db);

  async function get(weekEnding: string): Promise<{ report: MinisterReport; frozenAt: string } | null> {
    const row = await store.byWeek(weekEnding);
    return row ? { report: JSON.parse(row.content) as MinisterReport, frozenAt: row.frozenAt } : null;
  }

  return {
    get,

    /** Stores the week's report unless one is already frozen (which then wins). */
    async freeze(report: MinisterReport): Promise<{ report: MinisterReport; frozenAt: string }> {
      await store.insertUnlessFrozen(report.weekEnding, JSON.stringify(report), clock.now().toISOString());
      return (await get(report.weekEnding))!;
    },

    async list(): Promise<{ weekEnding: string; frozenAt: string }[]> {
      return store.list();
    },
  };
}
