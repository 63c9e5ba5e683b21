import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../server/clock.ts';
import { DatabaseUnavailableError, reopenLocation, type Db } from '../../server/db/database.ts';
import { ConflictError } from '../../server/errors.ts';
import type { ContactService } from './contact-service.ts';
import { importContactsCsv, type ImportReport, type RejectedRow } from './contact-import.ts';

/**
 * Cohort imports from the API and the data page, off the server's event loop.
 *
 * Parsing and checking 50,000 rows takes about two seconds of CPU, and saving
 * them a few hundred milliseconds more in one transaction; on the event loop
 * that stalled every other user for the whole time. Here a worker thread does
 * all of it over its own connection to the same database (the same engine as
 * the server: it opens the location it is given with openDatabase). On SQLite,
 * WAL lets the server's connection keep reading; on PostgreSQL the worker has
 * its own small pool. The import is still one transaction, so other users see
 * all of the cohort or none of it. (On SQLite, a write by someone else in the
 * last few hundred milliseconds, while the rows are saved, waits for that
 * commit, as it would for `eiu import contacts`.)
 *
 * The worker opens the database where the server opened it (`reopenLocation`:
 * a file path, or a PostgreSQL URL with the password `db.location` hides). An
 * in-memory database (the tests) runs the import on the event loop instead.
 * Imports into one database run one at a time.
 */

export interface ImportJob {
  /** The database to open: a SQLite file path or a PostgreSQL URL (with its password). */
  databaseLocation: string;
  csv: Uint8Array;
  /** The server clock's time when the upload arrived: the rows' created_at. */
  now: string;
  shownRejections: number;
}

/** What the pages and the API need from a finished import, cheap to pass between threads. */
export interface ImportSummary {
  rows: number;
  imported: number;
  /** How many rows were rejected; `rejected` holds only the first few. */
  rejectedRows: number;
  rejected: RejectedRow[];
  /** The whole ImportReport as JSON, for the API to send as it is. */
  reportJson: string;
}

export type ImportReply =
  | { ok: true; summary: ImportSummary }
  | {
      ok: false;
      message: string;
      code: string | null;
      /** Someone else added one of these references meanwhile (isUniqueViolation). */
      uniqueViolation: boolean;
      /** The database could not be reached (DatabaseUnavailableError). */
      unavailable: boolean;
    };

export function summariseImport(report: ImportReport, shownRejections: number): ImportSummary {
  return {
    rows: report.rows,
    imported: report.imported,
    rejectedRows: report.rejected.length,
    rejected: report.rejected.slice(0, shownRejections),
    reportJson: JSON.stringify(report),
  };
}

// A JavaScript entry that registers tsx and loads contact-import-worker.ts.
const WORKER = new URL('./contact-import-worker.mjs', import.meta.url);
const running = new WeakMap<Db, Promise<unknown>>();

/** Where the worker can open the same database, or null when it cannot (in memory). */
function workerLocation(db: Db, databaseLocation: string | undefined): string | null {
  const location = databaseLocation?.trim() || reopenLocation(db);
  return location && location !== ':memory:' ? location : null;
}

/**
 * Imports a cohort CSV all-or-nothing, in a worker thread when the worker can
 * open the same database. `services.databaseLocation` is the location the
 * server opened (unmasked); see the note at the top of this file.
 */
export async function importContactsOffThread(
  services: { db: Db; clock: Clock; contacts: ContactService; databaseLocation?: string },
  csv: Buffer,
  options: { shownRejections?: number } = {},
): Promise<ImportSummary> {
  const shownRejections = options.shownRejections ?? 20;
  const location = workerLocation(services.db, services.databaseLocation);
  if (location === null) return summariseImport(await importContactsCsv(services.contacts, Readable.from([csv])), shownRejections);

  const previous = running.get(services.db) ?? Promise.resolve();
  const job = previous
    .catch(() => undefined)
    .then(() => runWorker({ databaseLocation: location, csv: new Uint8Array(csv), now: services.clock.now().toISOString(), shownRejections }));
  running.set(services.db, job);
  const reply = await job;
  if (reply.ok) return reply.summary;
  if (reply.uniqueViolation)
    throw new ConflictError('Someone else added some of these people while the file was being imported, so nothing was imported. Upload the file again to see which rows clash');
  if (reply.unavailable) throw new DatabaseUnavailableError(new Error(reply.message));
  throw new Error(`The import worker failed: ${reply.message}`);
}

function runWorker(job: ImportJob): Promise<ImportReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job, transferList: [job.csv.buffer as ArrayBuffer] });
    let replied = false;
    worker.once('message', (reply: ImportReply) => {
      replied = true;
      resolve(reply);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`The import worker stopped (exit code ${code}) without a result`));
    });
  });
}
