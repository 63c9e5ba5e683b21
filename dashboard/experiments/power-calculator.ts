import { sampleSizePerArm } from '../../analysis/two-proportion-power.ts';
import type { Db } from '../../server/db/client.ts';
import type { PageError } from '../page-context.ts';

/**
 * The power calculator beside "planned sample size": from the baseline rate and
 * the uplift the analyst hopes to detect, the people needed (80% power, 5%
 * two-sided, as R's power.prop.test) and how many weeks that takes at the
 * current intake. Runs on the server, so the "Calculate" button works without JS.
 */
export interface PowerResult {
  perArm: number;
  total: number;
  arms: number;
  weeks: number | null;
  intake: number | null;
}

function percent(text: string): number {
  return Number(text.replace(/%/g, '').trim());
}

/**
 * `weightShares` are the arms' shares of people (summing to 1); with unequal
 * weights the smallest arm must still reach the per-arm number.
 */
export function calculatePower(
  input: { baseline: string; uplift: string; intake: string },
  weightShares: number[],
): { result: PowerResult | null; errors: PageError[] } {
  const errors: PageError[] = [];
  const baseline = percent(input.baseline);
  const uplift = percent(input.uplift);
  if (!input.baseline || !Number.isFinite(baseline) || baseline <= 0 || baseline >= 100)
    errors.push({ field: 'powerBaseline', message: 'Enter the control rate you expect as a percentage between 0 and 100, for example 20' });
  if (!input.uplift || !Number.isFinite(uplift) || uplift === 0)
    errors.push({ field: 'powerUplift', message: 'Enter the uplift you hope to detect in percentage points, for example 5' });
  else if (Number.isFinite(baseline) && (baseline + uplift <= 0 || baseline + uplift >= 100))
    errors.push({ field: 'powerUplift', message: 'Enter an uplift that keeps the rate between 0 and 100%' });
  let intake: number | null = null;
  if (input.intake) {
    intake = Number(input.intake.replace(/,/g, ''));
    if (!Number.isFinite(intake) || intake <= 0) errors.push({ field: 'powerIntake', message: 'Enter how many people join each week, for example 120' });
  }
  if (errors.length) return { result: null, errors };
  const perArm = sampleSizePerArm({ baseline: baseline / 100, target: (baseline + uplift) / 100 });
  const shares = weightShares.length >= 2 ? weightShares : [0.5, 0.5];
  const total = Math.ceil(perArm / Math.min(...shares));
  return { result: { perArm, total, arms: shares.length, weeks: intake ? Math.ceil(total / intake) : null, intake }, errors: [] };
}

/** People added to the cohort per week, averaged over the last four weeks (null when none). */
export function currentWeeklyIntake(db: Db, now: Date): number | null {
  const since = new Date(now.getTime() - 28 * 86_400_000).toISOString();
  const row = db.$client.prepare('SELECT COUNT(*) AS n FROM contacts WHERE created_at >= ?').get(since) as { n: number };
  if (row.n > 0) return Math.round(row.n / 4);
  const assigned = db.$client.prepare('SELECT COUNT(*) AS n FROM assignments WHERE assigned_at >= ?').get(since) as { n: number };
  return assigned.n > 0 ? Math.round(assigned.n / 4) : null;
}
