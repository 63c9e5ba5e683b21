import { count } from 'drizzle-orm';
import { openDatabase } from './db/client.ts';
import { createApp } from './app.ts';
import { demoCredentials, users } from './db/schema.ts';
import { seedDemoData } from '../seed/demo.ts';
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

const db = openDatabase(file);
const app = createApp({ db });

if (db.select({ n: count() }).from(users).get()!.n === 0 && demo) {
  console.log(`Empty database at ${file}: loading the demo data (about 3,000 people, three experiments)…`);
  const started = Date.now();
  await seedDemoData(db, { contacts: 3000, seed: 1 });
  console.log(`Demo data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

const credentials = db.select().from(demoCredentials).all();
if (credentials.length > 0) {
  console.log('\nDemo mode: sign in as any of these demo users (demo data only, never real people):');
  for (const c of credentials) console.log(`  ${c.role.padEnd(9)} username ${c.username.padEnd(10)} password ${c.password}`);
  console.log('');
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

const server = app.listen(port, () => {
  console.log(`EIU test-and-learn platform at http://localhost:${port} (database ${file})`);
});

const shutdown = () => {
  stopFreezing();
  stopRetention();
  server.close(() => {
    db.$client.close();
    process.exit(0);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
