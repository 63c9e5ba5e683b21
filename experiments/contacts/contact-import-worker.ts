import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../server/db/client.ts';
import { fixedClock } from '../../server/clock.ts';
import { createContactService } from './contact-service.ts';
import { importContactsCsv } from './contact-import.ts';
import { summariseImport, type ImportJob, type ImportReply } from './contact-import-job.ts';

/**
 * The worker thread behind importContactsOffThread: its own connection to the
 * same database file (WAL lets the server's connection go on reading), and the
 * same all-or-nothing import as the CLI, in one transaction.
 */
const job = workerData as ImportJob;
let reply: ImportReply;
const db = openDatabase(job.databaseFile);
try {
  const report = await importContactsCsv(createContactService(db, fixedClock(job.now)), Readable.from([Buffer.from(job.csv)]));
  reply = { ok: true, summary: summariseImport(report, job.shownRejections) };
} catch (error) {
  reply = { ok: false, message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? null };
} finally {
  db.$client.close();
}
parentPort!.postMessage(reply);
