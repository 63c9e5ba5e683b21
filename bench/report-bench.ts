import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices } from '../server/services.ts';
import { buildExperimentReport } from '../analysis/experiment-report.ts';
import type { BenchSection } from './core.ts';
import { mulberry32 } from '../seed/mulberry32.ts';

/**
 * The full experiment report at 1,000,000 people and ~3,000,000 events, timed
 * beside one bare `COUNT(*) … GROUP BY arm` scan over the same assignments.
 * Data is written with plain SQL for speed, then the read model is rebuilt from
 * it exactly as `rebuild` would after a restore.
 */
export async function reportBenchmark(options: { people?: number; log?: (line: string) => void } = {}) {
  const people = options.people ?? 1_000_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'eiu-bench-report-'));
  const db = openDatabase(join(dir, 'bench.sqlite'));
  const sqlite = db.$client;
  try {
    const launch = new Date('2026-06-01T09:00:00Z');
    const clock = fixedClock(launch.toISOString());
    const services = createServices(db, clock);
    services.staff.addSite({ code: 'JC', name: 'Jobcentre', kind: 'jobcentre' });
    for (let c = 1; c <= 10; c++) services.staff.addCoach({ code: `WC${String(c).padStart(2, '0')}`, name: `Coach ${c}`, siteCode: 'JC' });
    services.experiments.create(
      {
        key: 'bench',
        name: 'Channel and tone at scale',
        hypothesis: 'Benchmark',
        journeyPhase: 1,
        factors: [
          { key: 'channel', levels: ['letter', 'text'] },
          { key: 'tone', levels: ['standard', 'warm'] },
        ],
        primaryMetric: 'meeting_agreed',
        secondaryMetrics: ['responded', 'meeting_attended'],
        guardrailMetrics: [],
        coverage: 1,
        eligibility: {},
        randomisation: 'hash',
        strata: [],
        plannedSampleSize: people,
      },
      null,
    );
    services.experiments.transition('bench', 'launch');
    const experiment = services.experiments.get('bench');
    const phaseId = experiment.phase.id;
    const armIds = experiment.arms.map((a) => a.id);

    log(`  writing ${people.toLocaleString('en-GB')} people, their assignments and events…`);
    const started = Date.now();
    const random = mulberry32(12345);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
    const insertContact = sqlite.prepare(
      `INSERT INTO contacts (id, reference, coach_id, site_id, health_group, age_band, sex, ethnicity_group, caring, time_on_benefits, previous_work, benefit_type, adjustments, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 'uc_lcwra', '[]', ?, ?)`,
    );
    const insertAssignment = sqlite.prepare(
      `INSERT INTO assignments (id, experiment_id, contact_id, arm_id, phase_id, method, seed, assigned_at) VALUES (?, ?, ?, ?, ?, 'hash', 'bench-1', ?)`,
    );
    const insertEvent = sqlite.prepare(
      `INSERT INTO outcome_events (contact_id, stage, occurred_at, recorded_at, recorded_by, idempotency_key) VALUES (?, ?, ?, ?, 1, ?)`,
    );
    sqlite.prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (1, 'bench', 'Bench', 'analyst', 'x', ?)").run(launch.toISOString());
    const createdAt = launch.toISOString();
    let events = 0;
    const rates = [0.04, 0.06, 0.05, 0.08]; // meeting agreed per arm
    for (let start = 1; start <= people; start += 50_000) {
      sqlite.transaction(() => {
        for (let id = start; id < Math.min(start + 50_000, people + 1); id++) {
          insertContact.run(id, `B-${id}`, 1 + (id % 10), pick(['mental_health', 'musculoskeletal', 'neurological', 'multiple_conditions']), pick(['16-24', '25-34', '35-49', '50-64']), pick(['female', 'male']), pick(['white', 'asian', 'black', 'mixed', 'other']), random() < 0.2 ? 1 : 0, pick(['under_1y', '1-2y', '2-5y', 'over_5y']), pick(['never', 'over_5y_ago', 'within_5y']), createdAt, createdAt);
          const arm = Math.floor(random() * 4);
          const assigned = launch.getTime() + random() * 140 * 86_400_000;
          insertAssignment.run(id, experiment.id, id, armIds[arm], phaseId, new Date(assigned).toISOString());
          const at = (days: number) => new Date(assigned + days * 86_400_000).toISOString();
          insertEvent.run(id, 'outreach_attempted', at(0.1), at(0.1), `b${id}o`);
          events++;
          if (random() < 0.6) {
            insertEvent.run(id, 'responded', at(2), at(2), `b${id}r`);
            events++;
          }
          if (random() < rates[arm] * 10) {
            insertEvent.run(id, 'meeting_agreed', at(4), at(4), `b${id}m`);
            events++;
            if (random() < 0.7) {
              insertEvent.run(id, 'meeting_attended', at(10), at(10), `b${id}a`);
              events++;
            }
          }
          if (random() < 0.45) {
            insertEvent.run(id, 'complaint', at(1), at(1), `b${id}c`);
            events++;
          }
        }
      })();
    }
    log(`  ${events.toLocaleString('en-GB')} events written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const rebuildStarted = Date.now();
    services.progress.rebuild();
    const rebuildSeconds = (Date.now() - rebuildStarted) / 1000;
    log(`  read model rebuilt from the raw records in ${rebuildSeconds.toFixed(1)} s`);
    sqlite.pragma('optimize');

    const asOf = new Date(launch.getTime() + 150 * 86_400_000);
    const bare = sqlite.prepare('SELECT arm_id, COUNT(*) AS n FROM assignments WHERE experiment_id = ? GROUP BY arm_id');
    const time = (work: () => unknown, runs = 3) => {
      work(); // warm the page cache
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        work();
        times.push(Number(process.hrtime.bigint() - t) / 1e9);
      }
      return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
    };
    const bareSeconds = time(() => bare.all(experiment.id));
    const reportSeconds = time(() => buildExperimentReport(db, 'bench', { asOf }));
    return { people, events, rebuildSeconds, bareSeconds, reportSeconds };
  } finally {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run bench` section: the report at a million people (100,000 with --quick). */
export const reportSection: BenchSection = {
  key: 'report',
  title: 'Experiment report at scale',
  async run({ log, quick }) {
    const result = await reportBenchmark({ people: quick ? 100_000 : 1_000_000, log: (line) => log(line) });
    const scale = `${result.people.toLocaleString('en-GB')} people, ${result.events.toLocaleString('en-GB')} events`;
    return [
      {
        name: `full experiment report (${scale})`,
        value: result.reportSeconds,
        unit: 's',
        comparison: `one bare COUNT(*) … GROUP BY arm over the same assignments: ${result.bareSeconds.toFixed(3)} s`,
        goal: { text: '≤ 1 s', met: result.reportSeconds <= 1 },
      },
    ];
  },
};
