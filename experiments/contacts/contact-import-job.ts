import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../server/clock.ts';
import type { Db } from '../../server/db/database.ts';
import { ConflictError } from '../../server/errors.ts';
import type { ContactService } from './contact-service.ts';
import { importContactsCsv, type ImportReport, type RejectedRow } from './contact-import.ts';

/**
 * Cohort imports from the API and the data page, off the server's event loop.
 *
 * Parsing and checking 50,000 rows takes about two seconds of CPU, and saving
 * them a few hundred milliseconds more in one transaction; on the event loop
 * that stalled every other user for the whole time. Here a worker thread does
 * all of it over its own connection to the same database file: WAL lets the
 * server's connection keep reading, and the import is still one transaction,
 * so other users see all of the cohort or none of it. (A write by someone
 * else in the last few hundred milliseconds, while the rows are saved, waits
 * for that commit, as it would for `eiu import contacts`.)
 *
 * An in-memory database (the tests) cannot be shared with a thread, so there
 * the import runs on the event loop as before. Imports into one database run
 * one at a time.
 */

export interface ImportJob {
  databaseFile: string;
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

export type ImportReply = { ok: true; summary: ImportSummary } | { ok: false; message: string; code: string | null };

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

/** Imports a cohort CSV all-or-nothing, in a worker thread when the database is a file. */
export async function importContactsOffThread(
  services: { db: Db; clock: Clock; contacts: ContactService },
  csv: Buffer,
  options: { shownRejections?: number } = {},
): Promise<ImportSummary> {
  const shownRejections = options.shownRejections ?? 20;
  const client = services.db.$client;
  if (client.memory || !client.name) return summariseImport(await importContactsCsv(services.contacts, Readable.from([csv])), shownRejections);

  const previous = running.get(services.db) ?? Promise.resolve();
  const job = previous.catch(() => undefined).then(() => runWorker({ databaseFile: client.name, csv: new Uint8Array(csv), now: services.clock.now().toISOString(), shownRejections }));
  running.set(services.db, job);
  const reply = await job;
  if (reply.ok) return reply.summary;
  if (reply.code === 'SQLITE_CONSTRAINT_UNIQUE' || reply.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    throw new ConflictError('Someone else added some of these people while the file was being imported, so nothing was imported. Upload the file again to see which rows clash');
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
