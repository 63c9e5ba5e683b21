import { count } from 'drizzle-orm';
import { openDatabase } from './db/database.ts';
import { createApp } from './app.ts';
import { users } from './db/schema.ts';
import { accountSettingsFromEnv } from './auth/account-settings.ts';
import { startAccountPurgeSchedule } from './auth/account-purge.ts';
import { trustProxySetting } from './middleware/security-headers.ts';
import { seedDemoData } from '../seed/demo.ts';
import { DEMO_LOGINS_COMMAND, demoLoginLines } from '../seed/demo-logins.ts';
import { createWeeklyReportService, startWeeklyFreezeSchedule } from '../dashboard/report/weekly-report-service.ts';
import { defaultReportBuilder } from '../dashboard/report-source.ts';
import { retentionPolicyFromEnv } from './retention/retention-policy.ts';
import { createRetentionService, startRetentionSchedule } from './retention/retention-service.ts';

/**
 * `npm start`: opens (and migrates) the database, loads the demo data the first
 * time it is empty, and serves the platform.
 */
const port = Number(process.env.PORT ?? 3000);
const file = process.env.EIU_DB ?? './data/eiu.sqlite';
const demo = (process.env.EIU_DEMO ?? 'true') !== 'false';
// Read first, so a mistyped retention period stops the server before anything runs.
const retentionPolicy = retentionPolicyFromEnv();

let accounts;
try {
  accounts = accountSettingsFromEnv(process.env);
} catch (error) {
  console.error(`Cannot start: ${(error as Error).message}`);
  process.exit(1);
}
const db = openDatabase(file);
// Behind a TLS-terminating proxy or load balancer set EIU_TRUST_PROXY (e.g. 1): cookies then get
// Secure, HSTS is sent, and throttling sees each client's address.
const app = createApp({ db, services: { accounts }, trustProxy: trustProxySetting(process.env.EIU_TRUST_PROXY) });
if (!process.env.EIU_SECRET) console.log('EIU_SECRET is not set: sign-in forms only work on this instance (set it when running more than one).');

// Demo passwords are printed once, when they are made; afterwards one line says how to see them (decision 0005).
if (db.select({ n: count() }).from(users).get()!.n === 0 && demo) {
  console.log(`Empty database at ${file}: loading the demo data (about 3,000 people, three experiments)…`);
  const started = Date.now();
  await seedDemoData(db, { contacts: 3000, seed: 1 });
  console.log(`Demo data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  console.log(`\n${demoLoginLines(db).join('\n')}\n`);
} else if (demoLoginLines(db).length > 0) {
  console.log(`Demo mode: \`${DEMO_LOGINS_COMMAND}\` shows the demo users' sign-ins again.`);
}

// Freezes each week's ministers' report shortly after the week ends, catching up
// on any weeks missed while the server was down (decision 0015).
const services = app.locals.services;
const stopFreezing = startWeeklyFreezeSchedule(
  createWeeklyReportService({ db, clock: services.clock, experiments: services.experiments, buildReport: defaultReportBuilder }),
  { onError: (error) => console.error(`Weekly report freeze failed: ${(error as Error).message}`) },
);

// Deletes expired sessions, revoked tokens and old audit rows, and erases people
// whose retention period has ended, hourly under a lease (decision 0033).
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
  console.log(`EIU test-and-learn platform at http://localhost:${port} (database ${file})`);
});

const shutdown = () => {
  stopFreezing();
  stopRetention();
  stopPurging();
  server.close(() => {
    db.$client.close();
    process.exit(0);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
