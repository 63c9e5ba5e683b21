import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices, type Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { robustIntervalAt } from '../analysis/clustering.ts';
import { readClusterRandomisedCells } from '../experiments/progress/report-read-model.ts';
import { expectClose, expectIntervalClose } from '../analysis/expect-close.ts';
import { utcDayOf } from '../experiments/calendar/reporting-calendar.ts';
import { contactFixture } from './support/test-server.ts';
import { openTestDatabase } from './support/test-database.ts';
import { scalar } from './support/sql.ts';

/**
 * A small coach-randomised trial built through the real assignment path: eight
 * work coaches with 8 to 22 people each, whole caseloads hashed to a standard or
 * warm first letter. Replies are set by rule so the data can be rebuilt in R:
 * person p of coach c replies when (7p + 3c) mod 10 is below the coach's own
 * rate (COACH_RATE, which makes coaches differ) plus 2 for the warm letter.
 */
// Reference values: Rscript (R 4.2.2, clubSandwich 0.5.8), options(digits = 17), on the cells this trial produces
// (seed coach-letters-r-check puts WC01–WC03 in warm):
//   g <- sprintf("WC%02d", 1:8); a <- c(rep("warm", 3), rep("standard", 5))
//   n <- c(8, 10, 12, 14, 16, 18, 20, 22); s <- c(3, 6, 5, 8, 5, 2, 10, 5)
//   d <- data.frame(site = factor(rep(g, n)), arm = factor(rep(a, n)),
//                   y = unlist(mapply(function(n, s) c(rep(1, s), rep(0, n - s)), n, s)))
//   d$arm <- relevel(d$arm, "standard"); fit <- lm(y ~ arm, d)
//   coef_test(fit, vcov = "CR2", cluster = d$site, test = "Satterthwaite")        # "R: coef_test"
//   conf_int(fit, vcov = "CR2", cluster = d$site, test = "Satterthwaite")         # "R: conf_int"
//   p <- s / n; t.test(p[a == "warm"], p[a == "standard"], var.equal = TRUE)$p.value   # "R: t.test"
//   nested ANOVA ICC as in analysis/cluster-randomised-comparison.test.ts         # "R: nested ANOVA"
const LAUNCH = '2026-09-01T09:00:00.000Z';
const day = (n: number) => new Date(Date.parse(LAUNCH) + n * 86_400_000).toISOString();
const COACHES = Array.from({ length: 8 }, (_, c) => ({ code: `WC${String(c + 1).padStart(2, '0')}`, size: 8 + 2 * c }));
/** Replies in 10 at each coach under the standard letter. */
const COACH_RATE = [1, 4, 2, 6, 3, 1, 5, 2];
const reference = (c: number, p: number) => `K${c}-${String(p).padStart(3, '0')}`;

let db: Db;
let services: Services;
const people: { c: number; p: number; arm: string; replies: boolean }[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  const clock = fixedClock(day(-5));
  services = await createServices(db, clock);
  await services.staff.addSite({ code: 'JC1', name: 'Jobcentre', kind: 'jobcentre' });
  for (const coach of COACHES) await services.staff.addCoach({ code: coach.code, name: coach.code, siteCode: 'JC1' });
  const row = (await db.get<{ id: number }>("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a', 'A', 'analyst', 'x', ?) RETURNING \"id\"", [day(-5)]))!;
  const analyst: CurrentUser = { id: row.id, username: 'a', displayName: 'A', role: 'analyst', coachId: null };
  await services.contacts.createMany(
    COACHES.flatMap((coach, c) => Array.from({ length: coach.size }, (_, p) => contactFixture(reference(c, p), { coach: coach.code, adjustments: [], preferredChannel: null }))) as never,
  );
  const total = COACHES.reduce((sum, coach) => sum + coach.size, 0);
  await services.experiments.create(
    {
      key: 'coach-letters',
      name: 'Warm letters, randomised by coach',
      hypothesis: 'Coaches sending warm letters get more replies',
      journeyPhase: 1,
      factors: [{ key: 'tone', levels: ['standard', 'warm'] }],
      primaryMetric: 'responded',
      secondaryMetrics: [],
      guardrailMetrics: [],
      coverage: 1,
      eligibility: {},
      randomisation: 'hash',
      randomisationUnit: 'coach',
      strata: [],
      plannedSampleSize: total,
      seed: 'coach-letters-r-check',
    },
    analyst.id,
  );
  clock.set(LAUNCH);
  await services.experiments.transition('coach-letters', 'launch');
  clock.set(day(1));
  for (const [c, coach] of COACHES.entries()) {
    for (let p = 0; p < coach.size; p++) {
      const result = await services.assignments.assign(analyst, 'coach-letters', reference(c, p));
      if (!result.assigned) throw new Error('not assigned');
      const arm = result.assignment.arm.key;
      people.push({ c, p, arm, replies: (7 * p + 3 * c) % 10 < COACH_RATE[c] + (arm === 'warm' ? 2 : 0) });
    }
  }
  clock.set(day(3));
  for (const person of people.filter((x) => x.replies))
    await services.outcomes.record(analyst, { contact: reference(person.c, person.p), stage: 'responded', idempotencyKey: `reply-${person.c}-${person.p}`, occurredAt: day(3) });
});
afterAll(() => db?.close());

const asOf = new Date(day(30));

describe('the report of a coach-randomised experiment', () => {
  it('counts each coach in the one arm their caseload was given', async () => {
    const report = await buildExperimentReport(db, 'coach-letters', { asOf });
    const experiment = await services.experiments.get('coach-letters');
    const cells = await readClusterRandomisedCells(db, { experimentId: experiment.id, stage: 'responded', lastDay: utcDayOf(asOf), windowDays: null, armKeyById: new Map(experiment.arms.map((a) => [a.id, a.key])) });
    expect(cells.map((cell) => [cell.cluster, cell.arm, cell.n, cell.successes])).toEqual(
      COACHES.map((coach, c) => {
        const own = people.filter((p) => p.c === c);
        return [coach.code, own[0].arm, own.length, own.filter((p) => p.replies).length];
      }),
    );
    expect(report.clusterRandomised).toMatchObject({ unit: 'coach', clusters: 8 });
    expect(report.experiment.randomisationUnit).toBe('coach');
  });

  it('decides the primary metric with coaches as the unit: CR2 t-test with df from the number of coaches', async () => {
    const report = await buildExperimentReport(db, 'coach-letters', { asOf });
    const analysis = report.clusterRandomised!.analysis!;
    const [warm] = analysis.comparisons;
    expect(analysis.clusters).toBe(8);
    expectClose(warm.difference, 0.13333333333333261, 1e-12); // R: coef_test beta
    expectClose(warm.robustSe, 0.10586774098638148); // R: coef_test SE
    expectClose(warm.degreesOfFreedom, 3.2695456219492414); // R: coef_test df_Satt
    expectClose(warm.pValue, 0.29027710127501227); // R: coef_test p_Satt
    expectIntervalClose(warm.robustCi, [-0.1884038753732927, 0.45507054203995789]); // R: conf_int
    expectClose(warm.clusterSummary.pValue, 0.3734428550676453); // R: t.test
    expectClose(analysis.icc, 0.066941873827133194, 1e-10); // R: nested ANOVA icc
    expectClose(analysis.designEffect, 1.9371862335798649, 1e-10); // R: nested ANOVA 1 + (N / k - 1) * icc

    const verdict = report.metrics[0].comparisons[0];
    expect(verdict.verdictRule).toBe('group_sequential');
    expect(verdict.verdictAllowsForClusters).toBe(true);
    expect(verdict.verdictPValue).toBe(warm.pValue);
    // Three coaches (30 people) against five (90): 0.75 of the planned information, so this look's level is above 95%.
    expect(verdict.look?.informationFraction).toBeCloseTo(0.75, 12);
    expectClose(verdict.verdictConfidence!, 0.980701350092976, 1e-12);
    // R: conf_int(fit, vcov = "CR2", cluster = d$site, test = "Satterthwaite", level = 0.980701350092976)
    expectIntervalClose(verdict.verdictInterval!, [-0.32273430889886312, 0.58940097556552828]);
    expectIntervalClose(verdict.verdictInterval!, robustIntervalAt(warm, verdict.verdictConfidence!), 1e-12);
    // The person-level score test, shown beside it, is not what decides.
    expect(verdict.pValue).not.toBeCloseTo(warm.pValue, 3);
  });

  it('reads each week, like the headline, from the cluster-level interval', async () => {
    const report = await buildExperimentReport(db, 'coach-letters', { asOf });
    const last = report.weekly.at(-1)!.comparisons[0];
    expectIntervalClose(last.decidingCi!, report.metrics[0].comparisons[0].verdictInterval!, 1e-12);
    expect(report.srm?.observed).toEqual([5, 3]);
  });

  it('keeps someone who later moves caseload in the coach they were randomised with', async () => {
    const before = (await buildExperimentReport(db, 'coach-letters', { asOf })).clusterRandomised!.analysis!;
    const wc08 = await scalar<number>(db, "SELECT id FROM work_coaches WHERE code = 'WC08'");
    await db.run('UPDATE contacts SET coach_id = ? WHERE reference = ?', [wc08, reference(0, 0)]);
    const after = (await buildExperimentReport(db, 'coach-letters', { asOf })).clusterRandomised!.analysis!;
    expect(after.comparisons[0].pValue).toBe(before.comparisons[0].pValue);
    expect(after.clusters).toBe(8);
  });
});
