import { randomBytes } from 'node:crypto';
import type { Db } from '../server/db/database.ts';
import { guardProgressSources } from '../experiments/progress/source-guard.ts';
import { fixedClock } from '../server/clock.ts';
import { createWeeklyReportService } from '../dashboard/report/weekly-report-service.ts';
import { defaultReportBuilder } from '../dashboard/report-source.ts';
import { createServices } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import type { Role } from '../experiments/vocabulary.ts';
import { createRandom } from './random.ts';
import { generateCohort } from './cohort.ts';
import { createTimeline, type Timeline } from './timeline.ts';
import { createDemoCredentialStore } from '../server/auth/demo-credential-store.ts';
import { createSeedStore } from './seed-store.ts';
import { createJourneys, EXPERIMENT_KEYS, type Person, type SimulationCounts } from './journeys.ts';
import { DEMO_EXPERIMENTS } from './demo-experiments.ts';
import { DEMO_LEARNING_NOTES, type DemoNote } from './learning-notes.ts';
import { scheduleLearningSummaries } from './learning-summaries.ts';
import { PROPENSITY } from './true-effects.ts';

/**
 * Realistic demo data: one EIU jobcentre and a community venue, ten work
 * coaches, a cohort of LCWRA / ESA support group contacts, and ten weeks of
 * three running experiments, simulated week by week up to `now` through the
 * real services (so every rule the API enforces applies to the demo data too).
 * Everything except the passwords is deterministic from `seed`; outcomes are
 * drawn from seed/true-effects.ts.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEKS_OF_INTAKE = 10;
/** Share of the cohort not yet reached by the end of the history (kept for live demos of assignment). */
const NOT_YET_REACHED = 0.08;
/** From week 3, share of people eligible for both phase-1 experiments who go to channel × tone. */
const CHANNEL_TONE_SHARE = 0.85;
/** Simulation steps per transaction (and per progress report). */
const BATCH_STEPS = 5000;

export const DEMO_SITES = [
  { code: 'JC-EIU', name: 'Engagement Innovation Unit, Riverside Jobcentre', kind: 'jobcentre' },
  { code: 'CV-HUB', name: 'Riverside Community Wellbeing Hub', kind: 'community_venue' },
] as const;

export const DEMO_COACHES = [
  'Amira Hussain',
  'Gareth Jones',
  'Siobhan Murphy',
  'Tom Okafor',
  'Priya Patel',
  'Dave Whitfield',
  'Claire Robinson',
  'Marcus Bell',
  'Hannah Lewis',
  'Joanne Taylor',
].map((name, i) => ({ code: `WC${String(i + 1).padStart(2, '0')}`, username: `coach${String(i + 1).padStart(2, '0')}`, name }));

const OTHER_USERS: { username: string; displayName: string; role: Role }[] = [
  { username: 'analyst', displayName: 'Nadia Rahman (EIU analyst)', role: 'analyst' },
  { username: 'minister', displayName: 'Minister for Employment (demo)', role: 'minister' },
  { username: 'admin', displayName: 'EIU platform administrator', role: 'admin' },
];

/** The logins printed at every start of a demo database: every demo user, so each coach can be tried. */
const PRINTED_LOGINS = ['analyst', ...DEMO_COACHES.map((c) => c.username), 'minister', 'admin'];

export interface DemoCredential {
  role: string;
  username: string;
  password: string;
}

export interface SeedProgress {
  step: string;
  done: number;
  total: number;
}

export interface SeedSummary {
  contacts: number;
  assignments: Record<string, number>;
  events: number;
  learningNotes: number;
  start: string;
  end: string;
}

/** A readable random password such as `k7qm-2xva-p9dt` (Crockford base32: no i, l, o or u). */
export function readablePassword(): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => alphabet[b & 31]);
  return [chars.slice(0, 4), chars.slice(4, 8), chars.slice(8, 12)].map((group) => group.join('')).join('-');
}

/** How long after a week's end the demo's past weeks were frozen (the schedule runs every few minutes). */
const FREEZE_DELAY = 5 * 60_000;

export async function seedDemoData(
  db: Db,
  options: { contacts: number; seed: number; now?: Date; onProgress?: (progress: SeedProgress) => void },
): Promise<{ credentials: DemoCredential[]; summary: SeedSummary }> {
  const end = (options.now ?? new Date()).getTime();
  const today = Math.floor(end / DAY) * DAY;
  const launch = {
    channelTone: today - 70 * DAY + 8.5 * HOUR,
    meetingPlace: today - 56 * DAY + 8.5 * HOUR,
    firstMeeting: today - 42 * DAY + 8.5 * HOUR,
  };
  const setUpAt = launch.channelTone - 14 * DAY;
  const clock = fixedClock(new Date(setUpAt).toISOString());
  // The read model follows in batches as records are written; the rebuild at the
  // end recomputes it from the raw records in one pass (as after a restore).
  const services = createServices(db, clock);
  const random = createRandom(`eiu-demo|${options.seed}`);
  const progress = options.onProgress ?? (() => {});
  const seedStore = createSeedStore(db);

  // Places and people who work there.
  progress({ step: 'staff', done: 0, total: 1 });
  for (const site of DEMO_SITES) await services.staff.addSite(site);
  const credentials: DemoCredential[] = [];
  const users = new Map<string, CurrentUser>();
  for (const user of OTHER_USERS) {
    const password = readablePassword();
    users.set(user.username, await services.auth.createUser({ ...user, password }));
    credentials.push({ role: user.role, username: user.username, password });
  }
  const coachUsers: CurrentUser[] = [];
  for (const coach of DEMO_COACHES) {
    const password = readablePassword();
    const user = await services.auth.createUser({ username: coach.username, displayName: coach.name, role: 'coach', password });
    const row = await services.staff.addCoach({ code: coach.code, name: coach.name, siteCode: 'JC-EIU', userId: user.id });
    coachUsers.push({ ...user, coachId: row.id });
    credentials.push({ role: 'coach', username: coach.username, password });
  }
  const printed = PRINTED_LOGINS.map((username) => credentials.find((c) => c.username === username)!);
  await createDemoCredentialStore(db).insertMany(printed);
  const analyst = users.get('analyst')!;

  // The cohort, imported by the analyst a week before the first experiment.
  progress({ step: 'contacts', done: 0, total: options.contacts });
  clock.set(new Date(setUpAt + 7 * DAY).toISOString());
  const inputs = generateCohort(
    random,
    options.contacts,
    DEMO_COACHES.map((c) => c.code),
    'JC-EIU',
  );
  const imported = await services.contacts.createMany(inputs);
  if (imported.rejected.length) throw new Error(`Demo contacts were rejected: ${JSON.stringify(imported.rejected.slice(0, 3))}`);
  await services.audit.record(analyst.id, 'import', 'contacts', imported.created);
  progress({ step: 'contacts', done: options.contacts, total: options.contacts });

  const people = toPeople(inputs);

  // The ten weeks of trials, as a timeline of things that happen.
  const timeline = createTimeline(end);
  const counts: SimulationCounts = { assignments: {}, notAssigned: 0, events: 0 };
  const journeys = createJourneys({ services, timeline, coachUsers, seed: options.seed, firstMeetingLaunch: launch.firstMeeting, counts });

  // Real experiments get random seeds; the demo's come from its own seed, so the same demo seed gives the same arms.
  const allocationSeeds = createRandom(`eiu-demo-allocation|${options.seed}`);
  for (const [name, design] of Object.entries(DEMO_EXPERIMENTS) as [keyof typeof launch, (typeof DEMO_EXPERIMENTS)[keyof typeof launch]][]) {
    const seed = Array.from({ length: 4 }, () => allocationSeeds.int(0x1_0000_0000).toString(16).padStart(8, '0')).join('');
    timeline.at(launch[name] - 3 * DAY + 5.5 * HOUR, async () => {
      await services.experiments.create({ ...design, seed }, analyst.id);
      await services.audit.record(analyst.id, 'create', 'experiment', design.key);
    });
    timeline.at(launch[name], async () => {
      await services.experiments.transition(design.key, 'launch');
      await services.audit.record(analyst.id, 'launch', 'experiment', design.key);
    });
  }

  for (const { person, week, experiment } of planIntakes(people, random)) {
    const intakeAt = launch.channelTone + week * 7 * DAY + 30 * MINUTE;
    journeys.enterPhaseOne(person, experiment, intakeAt + random.between(0, 8 * HOUR));
  }

  const notesAt: { at: number; note: DemoNote }[] = [];
  for (const note of DEMO_LEARNING_NOTES) {
    const at = today - note.daysAgo * DAY + 16 * HOUR + random.int(90) * MINUTE;
    notesAt.push({ at: Math.min(at, end), note });
    timeline.at(Math.min(at, end), async () => {
      const experiment = note.experiment ? await services.experiments.get(note.experiment) : null;
      const arm = experiment?.arms.find((a) => a.key === note.arm) ?? null;
      await seedStore.addLearningNote(coachUsers[note.coach].id, note.note, experiment?.id ?? null, arm?.id ?? null, clock.now().toISOString());
    });
  }

  // Ministers read only these approved summaries, never the notes (docs/decisions/0027).
  scheduleLearningSummaries({ services, timeline, analyst, notes: notesAt });

  await runInBatches(db, timeline, (at, steps) => {
    clock.set(new Date(at).toISOString());
    if (steps % BATCH_STEPS === 0) progress({ step: 'simulating', done: at - setUpAt, total: end - setUpAt });
  });
  progress({ step: 'simulating', done: end - setUpAt, total: end - setUpAt });
  progress({ step: 'report tallies', done: 0, total: 1 });
  await services.progress.rebuild();
  progress({ step: 'report tallies', done: 1, total: 1 });

  // Each past week frozen shortly after it ended, as the scheduled job would have.
  progress({ step: 'weekly reports', done: 0, total: 1 });
  const reports = createWeeklyReportService({ db, clock, experiments: services.experiments, buildReport: defaultReportBuilder });
  for (const week of await reports.dueWeeks(new Date(end))) {
    clock.set(new Date(Math.min(week.end.getTime() + FREEZE_DELAY, end)).toISOString());
    await reports.freezeDueWeeks();
  }
  progress({ step: 'weekly reports', done: 1, total: 1 });

  return {
    credentials: printed,
    summary: {
      contacts: imported.created,
      assignments: counts.assignments,
      events: counts.events,
      learningNotes: DEMO_LEARNING_NOTES.length,
      start: new Date(setUpAt).toISOString(),
      end: new Date(end).toISOString(),
    },
  };
}

/** Wraps each person's inputs with their (normalised) propensity to respond and their coach. */
function toPeople(inputs: ReturnType<typeof generateCohort>): Person[] {
  const raw = inputs.map(
    (input) =>
      PROPENSITY.healthGroup[input.healthGroup] *
      PROPENSITY.ageBand[input.ageBand] *
      PROPENSITY.caring[String(input.caring) as 'true' | 'false'] *
      PROPENSITY.timeOnBenefits[input.timeOnBenefits] *
      PROPENSITY.previousWork[input.previousWork],
  );
  const mean = raw.reduce((a, b) => a + b, 0) / Math.max(1, raw.length);
  const coachIndex = new Map(DEMO_COACHES.map((c, i) => [c.code, i]));
  return inputs.map((input, i) => ({ input, propensity: raw[i] / mean, coachIndex: coachIndex.get(input.coach)! }));
}

/**
 * Splits the cohort into weekly intakes and says which phase-1 experiment each
 * person joins. The eligibility here mirrors the experiments' own conditions
 * (the assignment service still checks them): channel × tone only takes people
 * with no preferred channel; meeting place leaves out people whose adjustments
 * already fix where they meet. Weeks 1–2 run channel × tone alone.
 */
function planIntakes(people: Person[], random: ReturnType<typeof createRandom>) {
  const forChannelTone = (p: Person) => p.input.preferredChannel === null;
  const forMeetingPlace = (p: Person) => !p.input.adjustments.some((a) => a === 'phone_meeting' || a === 'home_meeting');
  const shuffled = random.shuffle([...people]);
  const reached = shuffled.slice(0, Math.round(shuffled.length * (1 - NOT_YET_REACHED))).filter((p) => forChannelTone(p) || forMeetingPlace(p));
  const perWeek = Math.ceil(reached.length / WEEKS_OF_INTAKE);
  const early = reached.filter(forChannelTone).slice(0, 2 * perWeek);
  const earlySet = new Set(early);
  const rest = reached.filter((p) => !earlySet.has(p));
  const laterPerWeek = Math.ceil(rest.length / (WEEKS_OF_INTAKE - 2));

  const plan: { person: Person; week: number; experiment: string }[] = [];
  early.forEach((person, i) => plan.push({ person, week: Math.floor(i / perWeek), experiment: EXPERIMENT_KEYS.channelTone }));
  rest.forEach((person, i) => {
    const both = forChannelTone(person) && forMeetingPlace(person);
    const experiment = both
      ? random.chance(CHANNEL_TONE_SHARE)
        ? EXPERIMENT_KEYS.channelTone
        : EXPERIMENT_KEYS.meetingPlace
      : forChannelTone(person)
        ? EXPERIMENT_KEYS.channelTone
        : EXPERIMENT_KEYS.meetingPlace;
    plan.push({ person, week: 2 + Math.floor(i / laterPerWeek), experiment });
  });
  return plan;
}

/**
 * Runs the simulation in transactions of a few thousand steps each: the
 * services' own transactions join the batch's, so a 100,000-person cohort
 * commits a few dozen times instead of a few hundred thousand. Each batch
 * takes the progress sources' guard first, as every writer of assignments and
 * outcome events must (experiments/progress/source-guard.ts).
 */
async function runInBatches(db: Db, timeline: Timeline, onStep: (at: number, steps: number) => void): Promise<void> {
  let steps = 0;
  for (;;) {
    let attempted = false;
    const ran = await db.withTransaction(async () => {
      // The timeline moves on as it runs, so a batch cannot be run again from its start.
      if (attempted) throw new Error('A batch of the demo simulation was rolled back and cannot be retried: seed again from an empty database.');
      attempted = true;
      await guardProgressSources(db);
      return timeline.runNext(BATCH_STEPS, (at) => onStep(at, ++steps));
    });
    if (ran < BATCH_STEPS) return;
  }
}
