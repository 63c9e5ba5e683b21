import type { Db } from '../server/db/database.ts';
import type { ExperimentReport } from '../analysis/report-types.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';

/** Builds the full report of one experiment, as of a moment (default: now). Callers await it. */
export type ReportBuilder = (
  db: Db,
  experimentKey: string,
  options?: { asOf?: Date; finalInference?: boolean; extraMetrics?: string[] },
) => Promise<ExperimentReport> | ExperimentReport;

export const defaultReportBuilder: ReportBuilder = (db, key, options) => buildExperimentReport(db, key, options);
