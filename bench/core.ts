import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { openDatabase, type Db } from '../server/db/database.ts';
import { systemClock } from '../server/clock.ts';
import { createApp } from '../server/app.ts';
import { createServices, type Services } from '../server/services.ts';
import type { CurrentUser } from '../server/auth/auth-service.ts';
import { CONTACT_CSV_COLUMNS, importContactsCsv } from '../experiments/contacts/contact-import.ts';
import type { ContactInput } from '../experiments/contacts/contact-schema.ts';
import { experimentInputSchema } from '../experiments/experiment/experiment-schema.ts';
import { generateCohort } from '../seed/cohort.ts';
import { createRandom } from '../seed/random.ts';
import type { LoadJob, LoadResult } from './load-generator.ts';

/**
 * The core platform benchmarks: assignment over HTTP against a bare Express
 * echo, assignment in process with persistence, importing 100,000 contacts
 * from CSV, and outcome events over HTTP. Each is a section (see run.ts) that
 * logs as it goes and returns its figures, each with what it is compared with.
 */

export interface BenchFigure {
  /** What was measured, e.g. "assignments per second over HTTP". */
  name: string;
  value: number;
  unit: string;
  /** What the figure is compared with, in words, with the comparison's own figure. */
  comparison: string;
  /** A goal, when there is one, and whether this run met it. */
  goal?: { text: string; met: boolean };
}

export interface BenchContext {
  log(line: string): void;
  /** Smaller counts, for a quick check that the benchmarks still run. */
  quick: boolean;
}

export interface BenchSection {
  key: string;
  title: string;
  run(context: BenchContext): Promise<BenchFigure[]>;
}

const HTTP_CONCURRENCY = 16;

// ── helpers ────────────────────────────────────────────────────────────────

/** A temporary directory that is removed afterwards, whatever happens. */
async function inTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perSecond = (count: number, seconds: number) => count / seconds;
export const formatNumber = (value: number, digits = 0) => value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Site, ten coaches (coach 1 with a sign-in), an analyst; returns their CurrentUsers and API tokens. */
async function addStaff(services: Services) {
  services.staff.addSite({ code: 'JC-EIU', name: 'Bench Jobcentre', kind: 'jobcentre' });
  const coachUser = await services.auth.createUser({ username: 'coach01', displayName: 'Bench coach', role: 'coach', password: 'bench-password-123' });
  const coach = services.staff.addCoach({ code: 'WC01', name: 'Bench coach', siteCode: 'JC-EIU', userId: coachUser.id });
  for (let i = 2; i <= 10; i++) services.staff.addCoach({ code: `WC${String(i).padStart(2, '0')}`, name: `Coach ${i}`, siteCode: 'JC-EIU' });
  const analyst = await services.auth.createUser({ username: 'analyst', displayName: 'Bench analyst', role: 'analyst', password: 'bench-password-123' });
  return {
    coach: { ...coachUser, coachId: coach.id } as CurrentUser,
    analyst,
    coachToken: services.auth.createApiToken(coachUser.id, 'bench'),
  };
}

/** Realistic people (the demo cohort's mix), all on coach WC01's caseload. */
function people(count: number, seed: number): ContactInput[] {
  return generateCohort(createRandom(`bench|${seed}`), count, ['WC01'], 'JC-EIU');
}

/** A launched 2 × 2 channel × tone experiment, hash randomisation, nobody excluded. */
function launchExperiment(services: Services, userId: number, key = 'bench-channel-tone') {
  services.experiments.create(
    experimentInputSchema.parse({
      key,
      name: 'Bench: channel and tone',
      hypothesis: 'Benchmark experiment',
      journeyPhase: 1,
      factors: [
        { key: 'channel', levels: ['letter', 'text'] },
        { key: 'tone', levels: ['standard', 'warm_voluntary'] },
      ],
      primaryMetric: 'meeting_agreed',
      secondaryMetrics: ['responded'],
    }),
    userId,
  );
  services.experiments.transition(key, 'launch');
  return key;
}

interface BenchServer {
  baseUrl: string;
  db: Db;
  services: Services;
  close(): Promise<void>;
}

/** The real app over a file database (WAL), with the bare echo route, on loopback. */
async function startServer(dir: string): Promise<BenchServer> {
  const db = openDatabase(join(dir, 'bench.sqlite'));
  const app = createApp({ db, clock: systemClock, echoRoute: true });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    services: app.locals.services,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.$client.close();
    },
  };
}

/** The load generator in a child process, so it does not share the server's event loop. */
async function startLoadGenerator() {
  const child: ChildProcess = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = await once(child, 'message');
  if (ready !== 'ready') throw new Error('The load generator did not start');
  return {
    async run(job: LoadJob): Promise<LoadResult> {
      const reply = once(child, 'message');
      child.send(job);
      const [result] = (await reply) as [LoadResult];
      return result;
    },
    stop() {
      child.send('exit');
    },
  };
}

const describeLoad = (result: LoadResult) =>
  `${formatNumber(result.requests)} requests in ${result.seconds.toFixed(2)} s, p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, statuses ${JSON.stringify(result.statuses)}${result.errors ? `, ${result.errors} errors` : ''}`;

function expectStatuses(result: LoadResult, allowed: number[], what: string) {
  const unexpected = Object.keys(result.statuses).filter((s) => !allowed.includes(Number(s)));
  if (unexpected.length || result.errors) throw new Error(`${what}: unexpected responses ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
}

// ── sections ───────────────────────────────────────────────────────────────

/** Assignments per second over HTTP, against the same server's bare JSON echo. */
export const httpAssignments: BenchSection = {
  key: 'http-assignments',
  title: 'Assignment over HTTP (keep-alive, 16 in flight, load generator in its own process)',
  async run({ log, quick }) {
    const requests = quick ? 2_000 : 10_000;
    const warmUp = quick ? 300 : 1_000;
    return inTempDir('eiu-bench-http-', async (dir) => {
      const server = await startServer(dir);
      const load = await startLoadGenerator();
      try {
        const staff = await addStaff(server.services);
        const cohort = people(2 * (requests + warmUp), 1);
        server.services.contacts.createMany(cohort);
        const key = launchExperiment(server.services, staff.analyst.id);
        const headers = { authorization: `Bearer ${staff.coachToken}` };
        const bodies = cohort.map((c) => JSON.stringify({ contact: c.reference }));
        const job = (path: string, slice: string[]): LoadJob => ({ baseUrl: server.baseUrl, path, headers, bodies: slice, concurrency: HTTP_CONCURRENCY });
        const assignPath = `/api/experiments/${key}/assignments`;

        // Warm both routes (JIT, statement caches, page cache), then measure echo, assignment, echo again.
        await load.run(job('/bench/echo', bodies.slice(0, warmUp)));
        await load.run(job(assignPath, bodies.slice(0, warmUp)));
        let next = warmUp;
        const take = () => bodies.slice(next, (next += requests));
        const echo1 = await load.run(job('/bench/echo', bodies.slice(0, requests)));
        const assigned1 = await load.run(job(assignPath, take()));
        const echo2 = await load.run(job('/bench/echo', bodies.slice(0, requests)));
        const assigned2 = await load.run(job(assignPath, take()));
        for (const r of [echo1, echo2]) expectStatuses(r, [200], 'echo');
        for (const r of [assigned1, assigned2]) expectStatuses(r, [201], 'assignment');
        log(`  echo:        ${describeLoad(echo1)}`);
        log(`  assignment:  ${describeLoad(assigned1)}`);
        log(`  echo:        ${describeLoad(echo2)}`);
        log(`  assignment:  ${describeLoad(assigned2)}`);
        const echoRate = perSecond(echo1.requests + echo2.requests, echo1.seconds + echo2.seconds);
        const assignRate = perSecond(assigned1.requests + assigned2.requests, assigned1.seconds + assigned2.seconds);
        const ratio = assignRate / echoRate;
        return [
          {
            name: 'assignments per second over HTTP',
            value: assignRate,
            unit: '/s',
            comparison: `bare Express JSON echo on the same server: ${formatNumber(echoRate)}/s`,
          },
          {
            name: 'assignment rate ÷ echo rate',
            value: ratio,
            unit: '×',
            comparison: 'the echo is the ceiling for any route on this server',
            goal: { text: '≥ 0.7', met: ratio >= 0.7 },
          },
        ];
      } finally {
        load.stop();
        await server.close();
      }
    });
  },
};

/** Assignments per second through the service, each in its own committed transaction on a file database. */
export const inProcessAssignments: BenchSection = {
  key: 'in-process-assignments',
  title: 'Assignment in process (assignment service, file database, WAL, one transaction each)',
  async run({ log, quick }) {
    const count = quick ? 5_000 : 20_000;
    return inTempDir('eiu-bench-assign-', async (dir) => {
      const db = openDatabase(join(dir, 'bench.sqlite'));
      try {
        const services = createServices(db, systemClock);
        const staff = await addStaff(services);
        const cohort = people(count + 1_000, 2);
        services.contacts.createMany(cohort);
        const key = launchExperiment(services, staff.analyst.id);
        for (const person of cohort.slice(count)) services.assignments.assign(staff.coach, key, person.reference); // warm-up

        const started = performance.now();
        for (const person of cohort.slice(0, count)) {
          const result = services.assignments.assign(staff.coach, key, person.reference);
          if (!result.assigned || !result.created) throw new Error('Bench assignment was not created');
        }
        const seconds = (performance.now() - started) / 1000;

        // The floor of the same work: one bare INSERT per committed transaction.
        db.$client.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, experiment_id INTEGER, contact_id INTEGER, arm_id INTEGER, assigned_at TEXT)');
        const insert = db.$client.prepare('INSERT INTO bench_rows (experiment_id, contact_id, arm_id, assigned_at) VALUES (1, ?, 1, ?)');
        const bare = db.$client.transaction((i: number) => insert.run(i, new Date().toISOString()));
        const bareStarted = performance.now();
        for (let i = 0; i < count; i++) bare.immediate(i);
        const bareSeconds = (performance.now() - bareStarted) / 1000;
        log(`  ${formatNumber(count)} assignments in ${seconds.toFixed(2)} s; ${formatNumber(count)} bare inserts in ${bareSeconds.toFixed(2)} s`);
        return [
          {
            name: 'assignments per second in process',
            value: perSecond(count, seconds),
            unit: '/s',
            comparison: `bare INSERT, one transaction each, same database: ${formatNumber(perSecond(count, bareSeconds))}/s`,
          },
        ];
      } finally {
        db.$client.close();
      }
    });
  },
};

/** Writes a cohort CSV of `count` realistic rows, as the cohort template lays it out. */
async function writeCohortCsv(file: string, count: number) {
  const out = createWriteStream(file);
  out.write(CONTACT_CSV_COLUMNS.join(',') + '\n');
  const random = createRandom('bench-import');
  const coaches = Array.from({ length: 10 }, (_, i) => `WC${String(i + 1).padStart(2, '0')}`);
  for (let start = 0; start < count; start += 10_000) {
    const rows = generateCohort(random, Math.min(10_000, count - start), coaches, 'JC-EIU').map((c, i) =>
      [
        `IMP-${String(start + i).padStart(7, '0')}`,
        c.coach,
        c.site,
        c.healthGroup,
        c.ageBand,
        c.sex,
        c.ethnicityGroup,
        c.caring ? 'true' : 'false',
        c.timeOnBenefits,
        c.previousWork,
        c.benefitType,
        c.preferredChannel ?? '',
        c.adjustments.join(';'),
      ].join(','),
    );
    if (!out.write(rows.join('\n') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Seconds to import 100,000 contacts from CSV, all-or-nothing, into a file database. */
export const csvImport: BenchSection = {
  key: 'csv-import',
  title: 'Importing contacts from CSV (importContactsCsv, file database)',
  async run({ log, quick }) {
    const count = quick ? 20_000 : 100_000;
    return inTempDir('eiu-bench-import-', async (dir) => {
      const file = join(dir, 'cohort.csv');
      await writeCohortCsv(file, count);
      log(`  wrote ${formatNumber(count)} rows (${(statSync(file).size / 1_048_576).toFixed(1)} MB)`);

      // The floor: reading and parsing the same file with csv-parse, nothing else.
      const parseStarted = performance.now();
      let parsed = 0;
      for await (const record of createReadStream(file).pipe(parse({ columns: true }))) if (record) parsed++;
      const parseSeconds = (performance.now() - parseStarted) / 1000;

      const db = openDatabase(join(dir, 'bench.sqlite'));
      try {
        const services = createServices(db, systemClock);
        services.staff.addSite({ code: 'JC-EIU', name: 'Bench Jobcentre', kind: 'jobcentre' });
        for (let i = 1; i <= 10; i++) services.staff.addCoach({ code: `WC${String(i).padStart(2, '0')}`, name: `Coach ${i}`, siteCode: 'JC-EIU' });
        const started = performance.now();
        const report = await importContactsCsv(services.contacts, createReadStream(file));
        const seconds = (performance.now() - started) / 1000;
        if (report.imported !== count || parsed !== count) throw new Error(`Imported ${report.imported} of ${count} rows: ${JSON.stringify(report.rejected.slice(0, 3))}`);
        log(`  imported ${formatNumber(report.imported)} in ${seconds.toFixed(2)} s; csv-parse alone ${parseSeconds.toFixed(2)} s`);
        return [
          {
            name: `seconds to import ${formatNumber(count)} contacts from CSV`,
            value: seconds,
            unit: 's',
            comparison: `reading and parsing the file alone (csv-parse): ${parseSeconds.toFixed(2)} s`,
            goal: quick ? undefined : { text: '≤ 5 s', met: seconds <= 5 },
          },
        ];
      } finally {
        db.$client.close();
      }
    });
  },
};

/** Outcome events per second over HTTP, against the same server's bare JSON echo. */
export const httpOutcomes: BenchSection = {
  key: 'http-outcomes',
  title: 'Recording outcome events over HTTP (keep-alive, 16 in flight)',
  async run({ log, quick }) {
    const requests = quick ? 2_000 : 10_000;
    const warmUp = quick ? 300 : 1_000;
    return inTempDir('eiu-bench-outcomes-', async (dir) => {
      const server = await startServer(dir);
      const load = await startLoadGenerator();
      try {
        const staff = await addStaff(server.services);
        const cohort = people(2_000, 3);
        server.services.contacts.createMany(cohort);
        const key = launchExperiment(server.services, staff.analyst.id);
        // Half the people are assigned, so events also move the report's read model on.
        for (const person of cohort.slice(0, 1_000)) server.services.assignments.assign(staff.coach, key, person.reference);
        const headers = { authorization: `Bearer ${staff.coachToken}` };
        const event = (i: number) =>
          JSON.stringify({ contact: cohort[i % cohort.length].reference, stage: 'outreach_attempted', detail: { channel: 'text' }, idempotencyKey: `bench-event-${i}` });
        const bodies = Array.from({ length: warmUp + requests }, (_, i) => event(i));
        const job = (path: string, slice: string[]): LoadJob => ({ baseUrl: server.baseUrl, path, headers, bodies: slice, concurrency: HTTP_CONCURRENCY });

        await load.run(job('/bench/echo', bodies.slice(0, warmUp)));
        await load.run(job('/api/outcomes', bodies.slice(0, warmUp)));
        const echo = await load.run(job('/bench/echo', bodies.slice(warmUp)));
        const recorded = await load.run(job('/api/outcomes', bodies.slice(warmUp)));
        expectStatuses(echo, [200], 'echo');
        expectStatuses(recorded, [201], 'outcome');
        log(`  echo:     ${describeLoad(echo)}`);
        log(`  outcomes: ${describeLoad(recorded)}`);
        const echoRate = perSecond(echo.requests, echo.seconds);
        const rate = perSecond(recorded.requests, recorded.seconds);
        return [
          {
            name: 'outcome events per second over HTTP',
            value: rate,
            unit: '/s',
            comparison: `bare Express JSON echo: ${formatNumber(echoRate)}/s (ratio ${(rate / echoRate).toFixed(2)})`,
          },
        ];
      } finally {
        load.stop();
        await server.close();
      }
    });
  },
};

export const coreSections: BenchSection[] = [httpAssignments, inProcessAssignments, csvImport, httpOutcomes];
