import { Readable } from 'node:stream';
import type { Db } from '../../server/db/database.ts';
import { csvStream } from '../../server/csv.ts';
import { CHARACTERISTICS, createExportReadModel, PAGE_SIZE } from './export-read-model.ts';

/**
 * CSV exports for analysts: one row per assignment (with the person's
 * pseudonymous reference and analysis characteristics) and one row per outcome
 * event of an assigned person, labelled with their arm. Rows are read a page of
 * assignments at a time (by assignment id) as the stream is read, so large
 * exports never sit in memory. Each page is read on its own, so an export taken
 * while people are being assigned or recorded shows every assignment that
 * existed when its page was read.
 *
 * Outcome rows are the events as they now count (docs/decisions/0035): a
 * corrected event shows its corrected date, value and detail with
 * `corrected` = 1; a withdrawn event is left out. The originals and the
 * corrections stay in the database (outcome_events, outcome_corrections).
 */

const ASSIGNMENT_COLUMNS = [
  'experiment',
  'contact',
  'arm',
  'is_control',
  'phase',
  'method',
  'seed',
  'hash_value',
  'stratum',
  'block_index',
  'block_position',
  'randomised_cluster',
  'assigned_at',
  'coach',
  'site',
  ...CHARACTERISTICS,
  'opted_out_at',
];

const OUTCOME_COLUMNS = ['experiment', 'contact', 'arm', 'assigned_at', 'stage', 'value', 'detail', 'occurred_at', 'recorded_at', 'days_since_assignment', 'corrected'];

export function createExportService(db: Db) {
  const readModel = createExportReadModel(db);

  async function* assignmentRows(experimentId: number): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const page = await readModel.assignmentPage(experimentId, after);
      for (const { assignment_id: _id, ...row } of page) yield row;
      if (page.length < PAGE_SIZE) return;
      after = Number(page[page.length - 1].assignment_id);
    }
  }

  async function* outcomeRows(experimentId: number): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const end = await readModel.pageEnd(experimentId, after);
      if (end === null) return;
      for (const row of await readModel.outcomePage(experimentId, after, end)) yield row;
      after = Number(end);
    }
  }

  // The columns are fixed, so an empty export still has its header. A failed read fails the CSV stream too.
  const toCsv = (rows: AsyncIterable<Record<string, unknown>>, columns: string[]) => {
    const csv = csvStream({ header: true, columns });
    const source = Readable.from(rows);
    source.once('error', (error) => csv.destroy(error));
    return source.pipe(csv);
  };

  return {
    assignmentsCsv: (experimentId: number): Readable => toCsv(assignmentRows(experimentId), ASSIGNMENT_COLUMNS),
    outcomesCsv: (experimentId: number): Readable => toCsv(outcomeRows(experimentId), OUTCOME_COLUMNS),
  };
}
