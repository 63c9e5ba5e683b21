import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { databaseLocationFromEnv, describeLocation, isPostgresUrl, openDatabase, type Db } from '../server/db/database.ts';
import { systemClock } from '../server/clock.ts';
import { createAuditService } from '../server/audit-service.ts';
import { createContactService } from '../experiments/contacts/contact-service.ts';
import { importContactsCsv, type RejectedRow } from '../experiments/contacts/contact-import.ts';

/**
 * `eiu import contacts FILE.csv [--db FILE|URL]`: adds a cohort from a CSV file,
 * all rows or none (experiments/contacts/contact-import.ts), into a SQLite file
 * or a PostgreSQL database (a postgres:// URL; `EIU_DB` by default). Shows a progress bar on
 * stderr when it is a terminal, based on the bytes read, so it moves smoothly
 * however large the file; otherwise prints one line when reading is done.
 * Exits with 1 when any row is rejected, the file is missing or is not valid CSV.
 */

/** How many problems to list before summarising the rest. */
const SHOWN_PROBLEMS = 50;

export function register(program: Command): void {
  const importCommand = program.command('import').description('load data into the platform');
  importCommand
    .command('contacts')
    .description('import a cohort of contacts from a CSV file: every row is added, or none is')
    .argument('<file>', 'CSV file with a header row (columns as in the cohort template)')
    // The default is not shown in --help: a PostgreSQL URL may hold a password.
    .option('--db <file or url>', 'SQLite database file, or postgres:// URL (default: EIU_DB, or ./data/eiu.sqlite)')
    .action(async (file: string, options: { db?: string }) => {
      process.exitCode = await importContacts(file, options.db ?? databaseLocationFromEnv());
    });
}

const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** Imports the file and reports on stdout (success) or stderr (problems). Returns the exit code. */
export async function importContacts(file: string, location: string): Promise<number> {
  if (!existsSync(file)) return fail(`No file at ${file}: check the path and try again.`);
  const stat = statSync(file);
  if (!stat.isFile()) return fail(`${file} is not a file: give the path of a CSV file.`);
  const size = stat.size;
  if (!isPostgresUrl(location) && location !== ':memory:' && !existsSync(location))
    return fail(`No database at ${resolve(location)}: start the platform once (npm start) or give --db.`);

  let db: Db;
  try {
    db = await openDatabase(location);
  } catch (error) {
    return fail(`Could not open the database at ${describeLocation(location)}: ${(error as Error).message}`);
  }
  try {
    const started = Date.now();
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: 'Reading {file} |{bar}| {percentage}% | {read} of {size} MB | {rows} rows',
            hideCursor: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    let bytesRead = 0;
    let rowsRead = 0;
    const payload = () => ({ file, read: megabytes(bytesRead), size: megabytes(size), rows: rowsRead.toLocaleString('en-GB') });
    bar?.start(Math.max(size, 1), 0, payload());
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytesRead += chunk.length;
        bar?.update(bytesRead, payload());
        done(null, chunk);
      },
    });
    // A read error ends the input early (so the parser finishes) and is reported instead of the result.
    let readError: Error | null = null;
    // Saving happens after the last byte is read, in one transaction: say so rather than sit at 100%.
    let barStopped = false;
    const stopBar = () => {
      if (!bar || barStopped) return;
      barStopped = true;
      bar.update(Math.max(size, 1), payload());
      bar.stop();
    };
    counter.on('end', () => {
      stopBar();
      if (bar) process.stderr.write('Checking every row and saving…\n');
    });
    const source = createReadStream(file);
    source.on('error', (error) => {
      readError = error;
      counter.end();
    });
    const report = await importContactsCsv(createContactService(db, systemClock), source.pipe(counter), {
      onProgress: (rows) => {
        rowsRead = rows;
        bar?.update(bytesRead, payload());
      },
    });
    stopBar();
    if (!bar) process.stderr.write(`Read ${report.rows.toLocaleString('en-GB')} rows (${megabytes(bytesRead)} MB) from ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    if (readError) return fail(`Could not read ${file}: ${(readError as Error).message}`);
    if (report.rejected.length > 0) {
      printRejected(report.rejected);
      return 1;
    }
    await createAuditService(db, systemClock).record(null, 'import', 'contacts', report.imported);
    process.stdout.write(`Imported ${report.imported} contacts into ${describeLocation(location)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

function printRejected(rejected: RejectedRow[]): void {
  const problems = rejected.flatMap((row) => row.errors.map((error) => ({ line: row.line, column: error.field, message: error.message })));
  const rows = rejected.length;
  process.stderr.write(`Nothing was imported: ${rows} ${rows === 1 ? 'row has' : 'rows have'} problems. Fix them and import the whole file again.\n`);
  for (const problem of problems.slice(0, SHOWN_PROBLEMS)) process.stderr.write(`  line ${problem.line}, column ${problem.column}: ${problem.message}\n`);
  if (problems.length > SHOWN_PROBLEMS) process.stderr.write(`  …and ${problems.length - SHOWN_PROBLEMS} more\n`);
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}
