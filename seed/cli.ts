import { existsSync, rmSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { databaseLocationFromEnv, describeLocation, isPostgresUrl, openDatabase } from '../server/db/database.ts';
import { seedDemoData, type SeedProgress } from './demo.ts';
import { recreatePostgresDatabase } from './postgres-admin.ts';
import { createSeedStore } from './seed-store.ts';

/**
 * `npm run seed -- --contacts N --seed S [--db FILE|URL] [--reset]`: fills a
 * database with the demo data (see seed/demo.ts), on SQLite (a file) or on
 * PostgreSQL (a postgres:// URL; `EIU_DB` by default). Refuses a database that
 * already has users or contacts unless --reset, which deletes the SQLite file
 * first, or drops and creates again the PostgreSQL database.
 */
const positiveInteger = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('Give a whole number of 1 or more.');
  return number;
};
const integer = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError('Give a whole number.');
  return number;
};

const program = new Command()
  .name('npm run seed --')
  .description('Load realistic demo data: sites, coaches, users, a cohort and ten weeks of three experiments')
  .option('--contacts <n>', 'how many people in the cohort', positiveInteger, 3000)
  .option('--seed <n>', 'random seed: the same seed gives the same people and outcomes', integer, 1)
  .option('--db <file or url>', 'SQLite database file, or postgres:// URL (default: EIU_DB, or ./data/eiu.sqlite)')
  .option('--reset', 'delete the database (SQLite file, or PostgreSQL database) first')
  .option('--now <iso>', 'end the simulated history at this time instead of now')
  .showHelpAfterError();

const parsed = program.parse(process.argv).opts<{ contacts: number; seed: number; db?: string; reset?: boolean; now?: string }>();
// The default is not shown in --help: a PostgreSQL URL may hold a password.
const options = { ...parsed, db: parsed.db ?? databaseLocationFromEnv() };

const now = options.now ? new Date(options.now) : new Date();
if (Number.isNaN(now.getTime())) program.error('--now must be a date and time, for example 2026-11-23T09:00:00Z');

const where = describeLocation(options.db);
if (options.reset) {
  if (isPostgresUrl(options.db)) await recreatePostgresDatabase(options.db);
  else for (const suffix of ['', '-wal', '-shm']) if (existsSync(options.db + suffix)) rmSync(options.db + suffix);
}
const db = await openDatabase(options.db);
const store = createSeedStore(db);
if ((await store.usersAndContacts()) > 0) {
  await db.close();
  console.error(`${where} already has data in it. Use --reset to delete it and start again.`);
  process.exit(1);
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const showProgress = options.contacts >= 10_000;
let lastPercent = -1;
const onProgress = (progress: SeedProgress) => {
  if (!showProgress) return;
  if (progress.step === 'simulating') {
    const percent = Math.floor((100 * progress.done) / progress.total / 10) * 10;
    if (percent !== lastPercent) console.log(`  simulating the trials: ${percent}% of the weeks (${elapsed()})`);
    lastPercent = percent;
  } else if (progress.done === progress.total) {
    console.log(`  ${progress.step}: done (${elapsed()})`);
  }
};

console.log(`Seeding ${where} with ${options.contacts.toLocaleString('en-GB')} people (seed ${options.seed})…`);
try {
  const { credentials, summary } = await seedDemoData(db, { contacts: options.contacts, seed: options.seed, now, onProgress });
  const seconds = (Date.now() - started) / 1000;
  await store.refreshStatistics();
  await db.close();
  console.log(`\nDone in ${seconds.toFixed(1)} s. History from ${summary.start.slice(0, 10)} to ${summary.end.slice(0, 10)}:`);
  console.log(`  ${summary.contacts.toLocaleString('en-GB')} people, ${summary.events.toLocaleString('en-GB')} outcome events, ${summary.learningNotes} learning notes`);
  for (const [key, n] of Object.entries(summary.assignments)) console.log(`  ${key.padEnd(22)} ${n.toLocaleString('en-GB')} people assigned`);
  console.log('\nDemo sign-ins (demo data only, never real people):');
  for (const c of credentials) console.log(`  ${c.role.padEnd(9)} username ${c.username.padEnd(10)} password ${c.password}`);
  console.log('Every coach (coach01 to coach10) has its own password; only coach01 is printed here.');
} catch (error) {
  await db.close().catch(() => {});
  console.error(`Seeding failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
