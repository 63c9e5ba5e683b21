import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseUnavailableError, isUniqueViolation, openDatabase, type Db } from '../../server/db/database.ts';
import { fixedClock } from '../../server/clock.ts';
import { createContactService } from './contact-service.ts';
import { importContactsCsv } from './contact-import.ts';
import { summariseImport, type ImportJob, type ImportReply } from './contact-import-job.ts';

/**
 * The worker thread behind importContactsOffThread: its own connection to the
 * same database, on the same engine as the server (a SQLite file, where WAL
 * lets the server's connection go on reading, or PostgreSQL), and the same
 * all-or-nothing import as the CLI, in one transaction. The server has applied
 * the migrations already.
 */
const job = workerData as ImportJob;

// On a small, busy machine the import and the server's thread compete for the
// same cores: lower this thread's priority so people using the pages come
// first. Linux names the thread in /proc/thread-self; elsewhere this is skipped.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // Not Linux, or not allowed: the import still runs, at normal priority.
}

let reply: ImportReply;
let db: Db | undefined;
try {
  db = await openDatabase(job.databaseLocation, { migrate: false, poolSize: 2 });
  const report = await importContactsCsv(createContactService(db, fixedClock(job.now)), Readable.from([Buffer.from(job.csv)]));
  reply = { ok: true, summary: summariseImport(report, job.shownRejections) };
} catch (error) {
  reply = {
    ok: false,
    message: error instanceof Error ? error.message : String(error),
    code: (error as { code?: unknown } | null)?.code?.toString() ?? null,
    uniqueViolation: isUniqueViolation(error),
    unavailable: error instanceof DatabaseUnavailableError,
  };
} finally {
  await db?.close().catch(() => undefined);
}
parentPort!.postMessage(reply);
