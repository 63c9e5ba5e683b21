import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import type { MinisterReport } from './weekly-report-builder.ts';

const GET = 'SELECT content, created_at AS "frozenAt" FROM report_snapshots WHERE week_ending = ?';
const FREEZE = 'INSERT INTO report_snapshots (week_ending, content, created_at) VALUES (?, ?, ?) ON CONFLICT (week_ending) DO NOTHING';
const LIST = 'SELECT week_ending AS "weekEnding", created_at AS "frozenAt" FROM report_snapshots ORDER BY week_ending DESC';

/**
 * Frozen weekly reports. A week's report is written once and never changed,
 * so what a minister read on Monday is what anyone reads later.
 */
export function createReportSnapshotService(db: Db, clock: Clock) {
  async function get(weekEnding: string): Promise<{ report: MinisterReport; frozenAt: string } | null> {
    const row = await db.get<{ content: string; frozenAt: string }>(GET, [weekEnding]);
    return row ? { report: JSON.parse(row.content) as MinisterReport, frozenAt: row.frozenAt } : null;
  }

  return {
    get,

    /** Stores the week's report unless one is already frozen (which then wins). */
    async freeze(report: MinisterReport): Promise<{ report: MinisterReport; frozenAt: string }> {
      await db.run(FREEZE, [report.weekEnding, JSON.stringify(report), clock.now().toISOString()]);
      return (await get(report.weekEnding))!;
    },

    async list(): Promise<{ weekEnding: string; frozenAt: string }[]> {
      return db.all<{ weekEnding: string; frozenAt: string }>(LIST);
    },
  };
}
