import { desc, eq } from 'drizzle-orm';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { reportSnapshots } from '../../server/db/schema.ts';
import type { MinisterReport } from './weekly-report-builder.ts';

/**
 * Frozen weekly reports. A week's report is written once and never changed,
 * so what a minister read on Monday is what anyone reads later.
 */
export function createReportSnapshotService(db: Db, clock: Clock) {
  return {
    get(weekEnding: string): { report: MinisterReport; frozenAt: string } | null {
      const row = db.select().from(reportSnapshots).where(eq(reportSnapshots.weekEnding, weekEnding)).get();
      return row ? { report: JSON.parse(row.content) as MinisterReport, frozenAt: row.createdAt } : null;
    },

    /** Stores the week's report unless one is already frozen (which then wins). */
    freeze(report: MinisterReport): { report: MinisterReport; frozenAt: string } {
      db.insert(reportSnapshots)
        .values({ weekEnding: report.weekEnding, content: JSON.stringify(report), createdAt: clock.now().toISOString() })
        .onConflictDoNothing({ target: reportSnapshots.weekEnding })
        .run();
      return this.get(report.weekEnding)!;
    },

    list(): { weekEnding: string; frozenAt: string }[] {
      return db
        .select({ weekEnding: reportSnapshots.weekEnding, frozenAt: reportSnapshots.createdAt })
        .from(reportSnapshots)
        .orderBy(desc(reportSnapshots.weekEnding))
        .all();
    },
  };
}
