import type { Db } from '../../server/db/database.ts';

const GET = 'SELECT content, created_at AS "frozenAt" FROM report_snapshots WHERE week_ending = ?';
const FREEZE = 'INSERT INTO report_snapshots (week_ending, content, created_at) VALUES (?, ?, ?) ON CONFLICT (week_ending) DO NOTHING';
const LIST = 'SELECT week_ending AS "weekEnding", created_at AS "frozenAt" FROM report_snapshots ORDER BY week_ending DESC';

/** Plain reads and writes on report_snapshots: one row a week, written once (the report as JSON text). */
export function createReportSnapshotStore(db: Db) {
  return {
    byWeek(weekEnding: string): Promise<{ content: string; frozenAt: string } | undefined> {
      return db.get<{ content: string; frozenAt: string }>(GET, [weekEnding]);
    },
    /** Writes the week's snapshot unless one is already there, which is kept. */
    async insertUnlessFrozen(weekEnding: string, content: string, at: string): Promise<void> {
      await db.run(FREEZE, [weekEnding, content, at]);
    },
    /** Newest week first. */
    list(): Promise<{ weekEnding: string; frozenAt: string }[]> {
      return db.all<{ weekEnding: string; frozenAt: string }>(LIST);
    },
  };
}

export type ReportSnapshotStore = ReturnType<typeof createReportSnapshotStore>;
