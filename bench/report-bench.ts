import type { Db } from '../server/db/database.ts';
import { fixedClock } from '../server/clock.ts';
import { createServices } from '../server/services.ts';
import { buildExperimentReport } from '../experiments/progress/report-read-model.ts';
import { guardProgressSources } from '../experiments/progress/source-guard.ts';
import type { BenchSection } from './core.ts';
import { mulberry32 } from '../seed/mulberry32.ts';
import { bufferedInsert, multiRowInsert } from '../seed/bulk-insert-store.ts';
import { createSeedStore } from '../seed/seed-store.ts';

/**
 * The full experiment report at 1,000,000 people and ~3,000,000 events, timed
 * beside one bare `COUNT(*) … GROUP BY arm` scan over the same assignments.
 * Data is written with plain multi-row INSERTs for speed (the same rows, in the
 * same order, on either engine), then the read model is rebuilt from it exactly
 * as `rebuild` would after a restore.
 */
const PEOPLE_PER_TRANSACTION = 50_000;
/** People whose contacts and assignments go in one statement each. */
const PEOPLE_PER_CHUNK = 500;

const insertContacts = multiRowInsert(
  'contacts',
  ['reference', 'coach_id', 'site_id', 'health_group', 'age_band', 'sex', 'ethnicity_group', 'caring', 'time_on_benefits', 'previous_work', 'benefit_type', 'adjustments', 'created_at', 'updated_at'],
  { rowsPerStatement: PEOPLE_PER_CHUNK, returning: ['id', 'reference'] },
);
const insertAssignments = multiRowInsert('assignments', ['experiment_id', 'contact_id', 'arm_id', 'phase_id', 'method', 'seed', 'assigned_at'], {
  rowsPerStatement: PEOPLE_PER_CHUNK,
});
const insertEvents = multiRowInsert('outcome_events', ['contact_id', 'stage', 'occurred_at', 'recorded_at', 'recorded_by', 'idempotency_key']);
const INSERT_USER = "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('bench', 'Bench', 'analyst', 'x', ?) RETURNING id";
const BARE_COUNT = 'SELECT arm_id, COUNT(*) AS n FROM assignments WHERE experiment_id = ? GROUP BY arm_id';

interface Person {
  reference: string;
  contact: unknown[];
  arm: number;
  assignedAt: string;
  events: { stage: string; at: string; key: string }[];
}

export async function reportBenchmark(options: { db: Db; people?: number; log?: (line: string) => void }) {
  const { db } = options;
  const people = options.people ?? 1_000_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const launch = new Date('2026-06-01T09:00:00Z');
  const clock = fixedClock(launch.toISOString());
  const services = createServices(db, clock);
  const site = await services.staff.addSite({ code: 'JC', name: 'Jobcentre', kind: 'jobcentre' });
  const coachIds: number[] = [];
  for (let c = 1; c <= 10; c++) coachIds.push((await services.staff.addCoach({ code: `WC${String(c).padStart(2, '0')}`, name: `Coach ${c}`, siteCode: 'JC' })).id);
  await services.experiments.create(
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
  await services.experiments.transition('bench', 'launch');
  const experiment = await services.experiments.get('bench');
  const phaseId = experiment.phase.id;
  const armIds = experiment.arms.map((a) => a.id);

  log(`  writing ${people.toLocaleString('en-GB')} people, their assignments and events…`);
  const started = Date.now();
  const random = mulberry32(12345);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
  const createdAt = launch.toISOString();
  const userId = (await db.get<{ id: number }>(INSERT_USER, [createdAt]))!.id;
  const rates = [0.04, 0.06, 0.05, 0.08]; // meeting agreed per arm
  let events = 0;

  /** One person's rows, drawing from `random` in the same order as ever, so the data is the same on every run and engine. */
  const draw = (n: number): Person => {
    const reference = `B-${n}`;
    const contact = [
      reference,
      coachIds[n % 10],
      site.id,
      pick(['mental_health', 'musculoskeletal', 'neurological', 'multiple_conditions']),
      pick(['16-24', '25-34', '35-49', '50-64']),
      pick(['female', 'male']),
      pick(['white', 'asian', 'black', 'mixed', 'other']),
      random() < 0.2 ? 1 : 0,
      pick(['under_1y', '1-2y', '2-5y', 'over_5y']),
      pick(['never', 'over_5y_ago', 'within_5y']),
      'uc_lcwra',
      '[]',
      createdAt,
      createdAt,
    ];
    const arm = Math.floor(random() * 4);
    const assigned = launch.getTime() + random() * 140 * 86_400_000;
    const at = (days: number) => new Date(assigned + days * 86_400_000).toISOString();
    const list = [{ stage: 'outreach_attempted', at: at(0.1), key: `b${n}o` }];
    if (random() < 0.6) list.push({ stage: 'responded', at: at(2), key: `b${n}r` });
    if (random() < rates[arm] * 10) {
      list.push({ stage: 'meeting_agreed', at: at(4), key: `b${n}m` });
      if (random() < 0.7) list.push({ stage: 'meeting_attended', at: at(10), key: `b${n}a` });
    }
    if (random() < 0.45) list.push({ stage: 'complaint', at: at(1), key: `b${n}c` });
    return { reference, contact, arm, assignedAt: new Date(assigned).toISOString(), events: list };
  };

  for (let start = 1; start <= people; start += PEOPLE_PER_TRANSACTION) {
    const stop = Math.min(start + PEOPLE_PER_TRANSACTION, people + 1);
    await db.withTransaction(async () => {
      await guardProgressSources(db);
      const eventRows = bufferedInsert(insertEvents, db);
      for (let chunk = start; chunk < stop; chunk += PEOPLE_PER_CHUNK) {
        const batch: Person[] = [];
        for (let n = chunk; n < Math.min(chunk + PEOPLE_PER_CHUNK, stop); n++) batch.push(draw(n));
        const ids = new Map((await insertContacts.insert<{ id: number; reference: string }>(db, batch.map((p) => p.contact))).map((row) => [row.reference, row.id]));
        await insertAssignments.insert(
          db,
          batch.map((p) => [experiment.id, ids.get(p.reference), armIds[p.arm], phaseId, 'hash', 'bench-1', p.assignedAt]),
        );
        for (const person of batch) {
          const contactId = ids.get(person.reference);
          for (const event of person.events) await eventRows.add([contactId, event.stage, event.at, event.at, userId, event.key]);
          events += person.events.length;
        }
      }
      await eventRows.flush();
    });
  }
  log(`  ${events.toLocaleString('en-GB')} events written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const rebuildStarted = Date.now();
  await services.progress.rebuild();
  const rebuildSeconds = (Date.now() - rebuildStarted) / 1000;
  log(`  read model rebuilt from the raw records in ${rebuildSeconds.toFixed(1)} s`);
  await createSeedStore(db).refreshStatistics();

  const asOf = new Date(launch.getTime() + 150 * 86_400_000);
  const time = async (work: () => unknown, runs = 3) => {
    await work(); // warm the page cache
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      await work();
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
  };
  const bareSeconds = await time(() => db.all(BARE_COUNT, [experiment.id]));
  const reportSeconds = await time(() => buildExperimentReport(db, 'bench', { asOf }));
  return { people, events, rebuildSeconds, bareSeconds, reportSeconds };
}

/** `npm run bench` section: the report at a million people (100,000 with --quick). */
export const reportSection: BenchSection = {
  key: 'report',
  title: 'Experiment report at scale',
  async run(context) {
    const { log, quick } = context;
    const db = await context.openDatabase('report');
    let result: Awaited<ReturnType<typeof reportBenchmark>>;
    try {
      result = await reportBenchmark({ db, people: quick ? 100_000 : 1_000_000, log: (line) => log(line) });
    } finally {
      await db.close();
    }
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
