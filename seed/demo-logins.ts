import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Db } from '../server/db/database.ts';
import { createDemoCredentialStore } from '../server/auth/demo-credential-store.ts';

/** The command that prints the demo logins again (package.json "demo-logins"). */
export const DEMO_LOGINS_COMMAND = 'npm run demo-logins';

/**
 * The demo users' sign-ins as lines to print, from `demo_credentials` (which only
 * demo seeding writes, and from which a login is removed once its password
 * changes). Empty when there are none.
 */
export async function demoLoginLines(db: Db): Promise<string[]> {
  const credentials = await createDemoCredentialStore(db).all();
  if (credentials.length === 0) return [];
  return [
    'Demo mode: sign in as any of these demo users (demo data only, never real people):',
    ...credentials.map((c) => `  ${c.role.padEnd(9)} username ${c.username.padEnd(10)} password ${c.password}`),
  ];
}

/** `npm run demo-logins`: prints the demo logins of the database at EIU_DB (a SQLite file or a postgres:// URL). */
async function printDemoLogins() {
  const { databaseLocationFromEnv, describeLocation, isPostgresUrl, openDatabase } = await import('../server/db/database.ts');
  const location = databaseLocationFromEnv();
  const where = describeLocation(location);
  if (!isPostgresUrl(location) && !existsSync(location)) {
    console.log(`There is no database at ${where} yet: \`npm start\` makes one with demo data.`);
    return;
  }
  const db = await openDatabase(location);
  let lines: string[];
  try {
    lines = await demoLoginLines(db);
  } finally {
    await db.close();
  }
  console.log(lines.length ? lines.join('\n') : `No demo logins in ${where}: it was not made as a demo database, or their passwords have all been changed.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await printDemoLogins();
