import { count } from 'drizzle-orm';
import { openDatabase } from './db/client.ts';
import { createApp } from './app.ts';
import { trustProxySetting } from './middleware/security-headers.ts';
import { demoCredentials, users } from './db/schema.ts';
import { seedDemoData } from '../seed/demo.ts';
import { createWeeklyReportService, startWeeklyFreezeSchedule } from '../dashboard/report/weekly-report-service.ts';
import { defaultReportBuilder } from '../dashboard/report-source.ts';

/**
 * `npm start`: opens (and migrates) the database, loads the demo data the first
 * time it is empty, and serves the platform.
 */
const port = Number(process.env.PORT ?? 3000);
const file = process.env.EIU_DB ?? './data/eiu.sqlite';
const demo = (process.env.EIU_DEMO ?? 'true') !== 'false';

const db = openDatabase(file);
// Behind a TLS-terminating proxy set EIU_TRUST_PROXY (e.g. 1): cookies then get Secure and HSTS is sent.
const app = createApp({ db, trustProxy: trustProxySetting(process.env.EIU_TRUST_PROXY) });

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

const server = app.listen(port, () => {
  console.log(`EIU test-and-learn platform at http://localhost:${port} (database ${file})`);
});

const shutdown = () => {
  stopFreezing();
  server.close(() => {
    db.$client.close();
    process.exit(0);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
