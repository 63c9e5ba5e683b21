import type { Db } from '../server/db/database.ts';
import type { ExperimentReport } from '../analysis/report-types.ts';
import { buildExperimentReport } from '../analysis/experiment-report.ts';

/** Builds the full report of one experiment, as of a moment (default: now). */
export type ReportBuilder = (db: Db, experimentKey: string, options?: { asOf?: Date; finalInference?: boolean; extraMetrics?: string[] }) => ExperimentReport;

export const defaultReportBuilder: ReportBuilder = (db, key, options) => buildExperimentReport(db, key, options);
