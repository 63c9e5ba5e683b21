import { databaseLocationFromEnv, DatabaseUnavailableError, describeLocation, openDatabase, type Db } from './db/database.ts';
import { createApp } from './app.ts';
import { accountSettingsFromEnv } from './auth/account-settings.ts';
import { startAccountPurgeSchedule } from './auth/account-purge.ts';
import { createUserStore } from './auth/user-store.ts';
import { trustProxySetting } from './middleware/security-headers.ts';
import { seedDemoData } from '../seed/demo.ts';
import { DEMO_LOGINS_COMMAND, demoLoginLines } from '../seed/demo-logins.ts';
import { createWeeklyReportService, startWeeklyFreezeSchedule } from '../dashboard/report/weekly-report-service.ts';
import { defaultReportBuilder } from '../dashboard/report-source.ts';
import { retentionPolicyFromEnv } from './retention/retention-policy.ts';
import { createRetentionService, startRetentionSchedule } from './retention/retention-service.ts';

/**
 * `npm start`: opens the database `EIU_DB` names (a SQLite file, by default
 * ./data/eiu.sqlite, or a postgres:// URL), applies the committed migrations
 * (on PostgreSQL under an advisory lock, so instances starting together take
 * turns), loads the demo data the first time it is empty, and serves the
 * platform. Several instances may serve one PostgreSQL database: sessions,
 * sign-in counters and job leases are in the database, and EIU_SECRET signs
 * the sign-in form on all of them.
 */
const port = Number(process.env.PORT ?? 3000);
const location = databaseLocationFromEnv();
// Never log a password: a PostgreSQL URL is shown with it masked.
const where = describeLocation(location);
const demo = (process.env.EIU_DEMO ?? 'true') !== 'false';

/** One line saying why the server cannot start, and exit 1. */
function stop(message: string): never {
  console.error(`Cannot start: ${message}`);
  process.exit(1);
}

// Read first, so a mistyped setting stops the server before anything runs.
let retentionPolicy;
let accounts;
try {
  retentionPolicy = retentionPolicyFromEnv();
  accounts = accountSettingsFromEnv(process.env);
} catch (error) {
  stop((error as Error).message);
}

let db: Db;
try {
  db = await openDatabase(location);
} catch (error) {
  if (error instanceof DatabaseUnavailableError) stop(`the database at ${where} cannot be reached. Check EIU_DB and that the server is running, then try again.`);
  // Not the password: the driver's message names the host or file at most.
  stop(`the database at ${where} could not be opened or migrated: ${(error as Error).message}`);
}

// Behind a TLS-terminating proxy or load balancer set EIU_TRUST_PROXY (e.g. 1): cookies then get
// Secure, HSTS is sent, and throttling sees each client's address.
const app = createApp({ db, services: { accounts }, trustProxy: trustProxySetting(process.env.EIU_TRUST_PROXY) });
if (!process.env.EIU_SECRET) console.log('EIU_SECRET is not set: sign-in forms only work on this instance (set it when running more than one).');

const users = createUserStore(db);
const noUsers = async () => (await users.count()) === 0;

// Demo passwords are printed once, when they are made; afterwards one line says how to see them (decision 0005).
// One instance seeds: others starting at the same time skip it.
try {
  let seeded = false;
  if (demo && (await noUsers())) {
    await db.exclusively('demo-seed', async () => {
      if (!(await noUsers())) return;
      console.log(`Empty database at ${where}: loading the demo data (about 3,000 people, three experiments)…`);
      const started = Date.now();
      await seedDemoData(db, { contacts: 3000, seed: 1 });
      console.log(`Demo data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
      console.log(`\n${(await demoLoginLines(db)).join('\n')}\n`);
      seeded = true;
    });
  }
  if (!seeded && (await demoLoginLines(db)).length > 0) console.log(`Demo mode: \`${DEMO_LOGINS_COMMAND}\` shows the demo users' sign-ins again.`);
} catch (error) {
  await db.close().catch(() => {});
  if (error instanceof DatabaseUnavailableError) stop(`the database at ${where} cannot be reached. Check EIU_DB and that the server is running, then try again.`);
  throw error;
}

// Freezes each week's ministers' report shortly after the week ends, catching up
// on any weeks missed while the server was down (decision 0015).
const services = app.locals.services;
const stopFreezing = await startWeeklyFreezeSchedule(
  createWeeklyReportService({ db, clock: services.clock, experiments: services.experiments, buildReport: defaultReportBuilder }),
  { onError: (error) => console.error(`Weekly report freeze failed: ${(error as Error).message}`) },
);

// Deletes expired sessions, revoked tokens and old audit rows, and erases people
// whose retention period has ended, hourly under the job's lock and lease (decision 0033).
const retention = createRetentionService({ db, clock: services.clock, policy: retentionPolicy, erasure: services.erasure });
const stopRetention = startRetentionSchedule(retention, {
  onError: (error) => console.error(`Retention run failed: ${(error as Error).message}`),
  onRun: (result) => {
    if (result.people || result.auditRows || result.sessions || result.apiTokens)
      console.log(`Retention: erased ${result.people} people; deleted ${result.sessions} sessions, ${result.apiTokens} API tokens, ${result.auditRows} audit rows.`);
  },
});
// Ends sessions and tokens past their limits, and old sign-in counters, every 15 minutes.
const stopPurging = startAccountPurgeSchedule(
  { db, clock: services.clock, auth: services.auth, throttle: services.throttle },
  { onError: (error) => console.error(`Purging expired sessions and tokens failed: ${(error as Error).message}`) },
);

const server = app.listen(port, () => {
  console.log(`EIU test-and-learn platform at http://localhost:${port} (database ${where})`);
});

// Stops taking requests, lets the background runs in progress finish, then closes the database.
let shuttingDown = false;
const shutdown = () => {
  if (shuttingDown) return;
  shuttingDown = true;
  const jobsStopped = Promise.all([stopFreezing(), stopRetention(), stopPurging()]);
  server.close(async () => {
    try {
      await jobsStopped;
      await db.close();
    } catch (error) {
      console.error(`Shutting down: ${(error as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  });
  // Keep-alive connections would hold server.close open; they are idle between requests.
  server.closeIdleConnections();
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
