import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { FieldError } from '../../server/errors.ts';
import type { ContactService } from './contact-service.ts';
import { contactInputSchema, type ContactInput } from './contact-schema.ts';
import { BREAKDOWN_COLUMNS } from '../vocabulary.ts';

/** The columns of a cohort file, in the order the template shows them. */
export const CONTACT_CSV_COLUMNS = [
  'reference',
  'coach',
  'site',
  'health_group',
  'age_band',
  'sex',
  'ethnicity_group',
  'caring',
  'time_on_benefits',
  'previous_work',
  'benefit_type',
  'preferred_channel',
  'adjustments',
] as const;
const REQUIRED = CONTACT_CSV_COLUMNS.filter((c) => c !== 'preferred_channel' && c !== 'adjustments');

const FIELD_TO_COLUMN: Record<string, string> = {
  ...BREAKDOWN_COLUMNS,
  reference: 'reference',
  coach: 'coach',
  site: 'site',
  benefitType: 'benefit_type',
  preferredChannel: 'preferred_channel',
  adjustments: 'adjustments',
};

export interface RejectedRow {
  /** Line in the file, counting the header as line 1. */
  line: number;
  errors: FieldError[];
}

export interface ImportReport {
  rows: number;
  imported: number;
  rejected: RejectedRow[];
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

function toInput(record: Record<string, string>): unknown {
  const caring = (record.caring ?? '').trim().toLowerCase();
  const adjustments = (record.adjustments ?? '').trim();
  const channel = (record.preferred_channel ?? '').trim();
  return {
    reference: record.reference,
    coach: record.coach,
    site: record.site,
    healthGroup: record.health_group,
    ageBand: record.age_band,
    sex: record.sex,
    ethnicityGroup: record.ethnicity_group,
    caring: TRUE.has(caring) ? true : FALSE.has(caring) ? false : record.caring,
    timeOnBenefits: record.time_on_benefits,
    previousWork: record.previous_work,
    benefitType: record.benefit_type,
    preferredChannel: channel === '' ? null : channel,
    adjustments: adjustments === '' ? [] : adjustments.split(/[;|]/).map((a) => a.trim()),
  };
}

/**
 * Reads a cohort CSV and adds its people, all or none: if any row is wrong,
 * nothing is imported and every wrong row is reported with its line number.
 * `onProgress` is called with the number of rows read so far.
 */
export async function importContactsCsv(
  contactService: ContactService,
  source: Readable,
  options: { onProgress?: (rowsRead: number) => void } = {},
): Promise<ImportReport> {
  const parser = source.pipe(parse({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), info: true, skip_empty_lines: true, trim: true, bom: true }));
  const inputs: ContactInput[] = [];
  const lines: number[] = [];
  const rejected: RejectedRow[] = [];
  let rows = 0;
  let checkedHeader = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!checkedHeader) {
        const missing = REQUIRED.filter((c) => !(c in record));
        if (missing.length) return { rows: 0, imported: 0, rejected: [{ line: 1, errors: [{ field: 'header', message: `The file is missing the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` }] }] };
        checkedHeader = true;
      }
      rows++;
      const parsed = contactInputSchema.safeParse(toInput(record));
      if (parsed.success) {
        inputs.push(parsed.data);
        lines.push(info.lines);
      } else {
        rejected.push({ line: info.lines, errors: parsed.error.issues.map((i) => ({ field: FIELD_TO_COLUMN[String(i.path[0])] ?? String(i.path[0]), message: i.message })) });
      }
      if (rows % 5000 === 0) options.onProgress?.(rows);
    }
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return { rows, imported: 0, rejected: [...rejected, { line: line ?? rows + 1, errors: [{ field: 'file', message: `The file is not valid CSV: ${(error as Error).message}` }] }] };
  }
  options.onProgress?.(rows);
  if (rows === 0) return { rows, imported: 0, rejected: [{ line: 1, errors: [{ field: 'file', message: 'The file has no rows to import' }] }] };
  if (rejected.length) return { rows, imported: 0, rejected };
  const result = await contactService.createMany(inputs);
  return {
    rows,
    imported: result.created,
    rejected: result.rejected.map((r) => ({ line: lines[r.index], errors: r.errors.map((e) => ({ ...e, field: FIELD_TO_COLUMN[e.field] ?? e.field })) })),
  };
}
