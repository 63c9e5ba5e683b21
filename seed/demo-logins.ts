import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Db } from '../server/db/database.ts';
import { demoCredentials } from '../server/db/schema.ts';

/** The command that prints the demo logins again (package.json "demo-logins"). */
export const DEMO_LOGINS_COMMAND = 'npm run demo-logins';

/**
 * The demo users' sign-ins as lines to print, from `demo_credentials` (which only
 * demo seeding writes, and from which a login is removed once its password
 * changes). Empty when there are none.
 */
export function demoLoginLines(db: Db): string[] {
  const credentials = db.select().from(demoCredentials).all();
  if (credentials.length === 0) return [];
  return [
    'Demo mode: sign in as any of these demo users (demo data only, never real people):',
    ...credentials.map((c) => `  ${c.role.padEnd(9)} username ${c.username.padEnd(10)} password ${c.password}`),
  ];
}

/** `npm run demo-logins`: prints the demo logins of the database at EIU_DB. */
async function printDemoLogins() {
  const { openDatabase } = await import('../server/db/database.ts');
  const file = process.env.EIU_DB ?? './data/eiu.sqlite';
  if (!existsSync(file)) {
    console.log(`There is no database at ${file} yet: \`npm start\` makes one with demo data.`);
    return;
  }
  const db = openDatabase(file);
  const lines = demoLoginLines(db);
  db.$client.close();
  console.log(lines.length ? lines.join('\n') : `No demo logins in ${file}: it was not made as a demo database, or their passwords have all been changed.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await printDemoLogins();
